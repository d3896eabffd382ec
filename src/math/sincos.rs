//! `sin` and `cos` of `2π · phase / 2^64` for a 64-bit fixed-point phase.
//!
//! Algorithm:
//! 1. **Exact quadrant reduction on the integer.** `w0`, the top 32 bits
//!    of the phase (the phase truncated to `2^-32` turn: the dropped low
//!    bits are `< 2^-32` turn, 1.5e-9 rad), splits into the quadrant `q`,
//!    the top two bits of `w = w0 + 2^29` (the nearest quarter turn), and
//!    a signed remainder `r ∈ [-2^29, 2^29)` in units of `2^-32` turn, the
//!    low 30 bits of `w0` sign-extended, so that `w0/2^32 = q/4 + r/2^32`
//!    exactly. No floating-point range reduction happens, so accuracy
//!    does not depend on the position.
//! 2. `x = f32(4r) · (2π/2^34) ∈ [-π/4, π/4)` (`4r` is `w0 << 2` as an
//!    `i32`; the same `x` as `f32(r) · (2π/2^32)`, one operation fewer),
//!    then the Cephes `sinf`/`cosf`
//!    minimax polynomials (degree 7 and 8), evaluated with separate IEEE
//!    multiplies and adds (never a fused multiply-add), `cos` as
//!    `1 - (x²/2 - x⁴·P(x²))`: the small terms first, so the only rounding
//!    near 1 is the last one.
//! 3. Rotate by `q` quarter turns: swap (`q` odd) and flip signs, by bit
//!    operations on the lanes.
//!
//! Source: the quadrant trick is the classical integer phase accumulator
//! (DDS); the polynomial coefficients are those of Cephes `sinf.c`/`cosf.c`
//! (S. L. Moshier), valid on `[-π/4, π/4]`.
//!
//! Error bound: [`SINCOS_TURNS_MAX_ABS_ERR`] absolute against the exact
//! `sin`/`cos` of the exact phase, for every `u64` phase (tested against an
//! f64 oracle in `reference` over random phases and a dense sweep).
//! The vector and scalar versions are bit-identical.

use crate::simd::{F32x8, I32x8};

/// Absolute error bound of [`sincos_octets`] / [`sincos_turns`] against the
/// exact sine and cosine of the exact phase: `2^-23` (1.19e-7). Measured
/// worst case 1.07e-7 over 2^26 phases (`INLAYER_EXTENSIVE=1`), 9.75e-8 in
/// the default run; the tests assert this bound. (With `cos` as a
/// compensated `(1 - x²/2) + x⁴·P(x²)` the worst case was 9.43e-8, for three
/// operations more per lane; dropping them made the single D = 4096
/// sinusoidal row 1.64 → 1.79 G values/s on the default build.)
#[allow(dead_code, reason = "asserted by the tests, cited by the rope kernels")]
pub(crate) const SINCOS_TURNS_MAX_ABS_ERR: f64 = 1.0 / 8_388_608.0;

use coefficients::{C1, C2, C3, RAD_PER_UNIT, S1, S2, S3};

/// The constants of the polynomial (shared with the AVX-512 row kernel).
pub(crate) mod coefficients {
    /// `2π / 2^34` rounded to f32: radians per unit of `4r` (`w0 << 2`).
    pub(crate) const RAD_PER_UNIT: f32 = 1.462_918_1e-9 / 4.0;

    pub(crate) const S1: f32 = -1.666_665_5e-1;
    pub(crate) const S2: f32 = 8.332_161e-3;
    pub(crate) const S3: f32 = -1.951_529_6e-4;
    pub(crate) const C1: f32 = 4.166_664_6e-2;
    pub(crate) const C2: f32 = -1.388_731_6e-3;
    pub(crate) const C3: f32 = 2.443_315_7e-5;
}

/// The top 32 bits of `phase`: `w0` of the module docs.
#[inline(always)]
fn phase_word(phase: u64) -> i32 {
    (phase >> 32) as u32 as i32
}

/// sin and cos of `2π · phase[k] / 2^64` for eight phases: one octet of
/// [`sincos_octets`], for callers with a few octets per call (RoPE's rows).
#[inline(always)]
#[must_use]
pub(crate) fn sincos_turns8(phase: [u64; 8]) -> (F32x8, F32x8) {
    sincos_words8(I32x8::new(phase.map(phase_word)))
}

/// The polynomial and the quadrant rotation on lanes of type `$f` (floats)
/// and `$i` (their `i32` twins), from phase words `$w` (`w0`): the one text of
/// [`sincos_words8`] and, on AVX-512 builds, of `sincos_phases16`.
macro_rules! sincos_lanes {
    ($f:ident, $i:ident, $w:expr) => {{
        let w0 = $w;
        let w = w0 + $i::splat(1 << 29);
        let x = $f::from_i32(w0 << 2) * $f::splat(RAD_PER_UNIT);
        let z = x * x;
        // sin(x) = x + x·z·(S1 + z·(S2 + z·S3))
        let ps = ($f::splat(S3) * z + $f::splat(S2)) * z + $f::splat(S1);
        let s = ps * z * x + x;
        // cos(x) = 1 - (z/2 - z²·(C1 + z·(C2 + z·C3))): the terms below 1/2
        // first, so the one rounding near 1 is the last.
        let pc = ($f::splat(C3) * z + $f::splat(C2)) * z + $f::splat(C1);
        let h = $f::splat(0.5) * z;
        let one = $f::splat(1.0);
        let c = one - (h - z * z * pc);
        // Rotate by q quarter turns, q being the top two bits of w, by bit
        // operations only: swap sin and cos where q is odd (bit 30), negate
        // sin where q ≥ 2 (bit 31) and cos where q is 1 or 2 (bit 31 XOR
        // bit 30).
        let sign = $i::splat(i32::MIN);
        let w1 = w << 1;
        let odd = w1 >> 31;
        let swap = s.xor_bits(c.to_bits()).to_bits() & odd;
        let sin = s.xor_bits(swap).xor_bits(w & sign);
        let cos = c.xor_bits(swap).xor_bits((w ^ w1) & sign);
        (sin, cos)
    }};
}

/// The vector kernel on phase words (see `phase_word`).
#[inline(always)]
#[must_use]
pub(crate) fn sincos_words8(w: I32x8) -> (F32x8, F32x8) {
    sincos_lanes!(F32x8, I32x8, w)
}

/// Whether the build has AVX-512 (64-byte vectors, 32 registers) and the
/// lanes are not forced scalar.
const AVX512: bool = cfg!(all(
    not(inlayer_force_scalar),
    target_arch = "x86_64",
    target_feature = "avx512f"
));

/// sin and cos of sixteen phases, as two octets. On AVX-512 builds one
/// 64-byte vector: the same operations on every lane, so the same bits,
/// with half the instructions of two octets (the single D = 4096
/// sinusoidal row went from 3.3 to 3.7 G values/s); elsewhere two
/// independent octets, whose polynomials keep both multipliers busy.
#[inline(always)]
fn sincos_phases16(phase: [u64; 16]) -> [(F32x8, F32x8); 2] {
    let w = phase.map(phase_word);
    #[cfg(all(
        not(inlayer_force_scalar),
        target_arch = "x86_64",
        target_feature = "avx512f"
    ))]
    {
        use crate::simd::{F32x16, I32x16};
        let (s, c) = sincos_lanes!(F32x16, I32x16, I32x16::new(w));
        let ([s0, s1], [c0, c1]) = (s.halves(), c.halves());
        [(s0, c0), (s1, c1)]
    }
    #[cfg(not(all(
        not(inlayer_force_scalar),
        target_arch = "x86_64",
        target_feature = "avx512f"
    )))]
    {
        let [a, b]: [[i32; 8]; 2] = bytemuck::cast(w);
        [sincos_words8(I32x8::new(a)), sincos_words8(I32x8::new(b))]
    }
}

/// Calls `f(k, sin, cos)` for every whole octet `k` of `xs` (values `8k ..
/// 8k + 8`), where `phase(x)` is the phase of `x` (`x` itself, or a
/// frequency times a position); returns the number of values
/// done (`xs.len()` rounded down to a multiple of 8). With SIMD registers,
/// two octets a step: their polynomials are independent chains, and side
/// by side they keep the multipliers busy (a single D = 4096 sinusoidal row
/// went from 1.43 to 1.65× `wide`'s `sin_cos`; four a step spill registers
/// on SSE2); with AVX-512, three 64-byte vectors (six octets) a step. On
/// the portable-array fallback, one octet a step (the pair would only
/// double the code).
#[inline(always)]
pub(crate) fn sincos_octets(
    xs: &[u64],
    phase: impl Fn(u64) -> u64,
    mut f: impl FnMut(usize, F32x8, F32x8),
) -> usize {
    let mut done = 0;
    if crate::simd::SIMD_REGISTERS {
        if AVX512 {
            // Three 64-byte vectors a step: three independent chains, which
            // the 32 registers hold (the D = 4096 row, G values/s: one
            // vector a step 3.7, two 4.1, three 4.25; four, written as an
            // array of results, 3.3).
            let (triples, _) = xs.as_chunks::<48>();
            for (k, x) in triples.iter().enumerate() {
                let [a, b, c]: &[[u64; 16]; 3] = bytemuck::cast_ref(x);
                let [(s0, c0), (s1, c1)] = sincos_phases16(a.map(&phase));
                let [(s2, c2), (s3, c3)] = sincos_phases16(b.map(&phase));
                let [(s4, c4), (s5, c5)] = sincos_phases16(c.map(&phase));
                f(6 * k, s0, c0);
                f(6 * k + 1, s1, c1);
                f(6 * k + 2, s2, c2);
                f(6 * k + 3, s3, c3);
                f(6 * k + 4, s4, c4);
                f(6 * k + 5, s5, c5);
            }
            done = 48 * triples.len();
        }
        let (pairs, _) = xs.get(done..).unwrap_or(&[]).as_chunks::<16>();
        for (k, x) in pairs.iter().enumerate() {
            let [(s0, c0), (s1, c1)] = sincos_phases16(x.map(&phase));
            f(done / 8 + 2 * k, s0, c0);
            f(done / 8 + 2 * k + 1, s1, c1);
        }
        done += 16 * pairs.len();
    }
    let (octets, _) = xs.get(done..).unwrap_or(&[]).as_chunks::<8>();
    for (k, x) in octets.iter().enumerate() {
        let (s, c) = sincos_words8(I32x8::new(x.map(|x| phase_word(phase(x)))));
        f(done / 8 + k, s, c);
    }
    done + 8 * octets.len()
}

/// sin and cos of `2π · phase / 2^64`: the scalar twin of
/// [`sincos_octets`], bit-identical to one of its lanes.
#[inline]
#[must_use]
pub(crate) fn sincos_turns(phase: u64) -> (f32, f32) {
    sincos_word(phase_word(phase))
}

/// [`sincos_turns`] on a phase word (see `phase_word`): the scalar twin
/// of [`sincos_words8`].
#[inline]
#[must_use]
fn sincos_word(w0: i32) -> (f32, f32) {
    let q = (w0.wrapping_add(1 << 29) >> 30) & 3;
    let x = (w0 << 2) as f32 * RAD_PER_UNIT;
    let z = x * x;
    let ps = (S3 * z + S2) * z + S1;
    let s = ps * z * x + x;
    let pc = (C3 * z + C2) * z + C1;
    let h = 0.5 * z;
    let c = 1.0 - (h - z * z * pc);
    let (sin, cos) = if q & 1 == 1 { (c, s) } else { (s, c) };
    let flip = |v: f32, neg: bool| if neg { -v } else { v };
    (flip(sin, q & 2 != 0), flip(cos, (q + 1) & 2 != 0))
}

#[cfg(test)]
mod tests {
    use super::{SINCOS_TURNS_MAX_ABS_ERR, sincos_octets, sincos_turns};
    use crate::reference::math::sincos_turns_exact;

    fn lanes(v: crate::simd::F32x8) -> [f32; 8] {
        let mut a = [0.0; 8];
        v.store(&mut a);
        a
    }

    /// Phases a step of the random test: one step of each of
    /// `sincos_octets`'s loops (48 a step on AVX-512, then 16, then 8).
    const STEP: usize = 48 + 16 + 8;

    /// Checks the lanes (every loop of `sincos_octets` that `ph.len()`
    /// reaches) against the scalar twin, bit for bit, and both against the
    /// bound.
    fn check(ph: &[u64], worst: &mut f64) {
        let (mut s8, mut c8) = ([0.0f32; STEP], [0.0f32; STEP]);
        let done = sincos_octets(
            ph,
            |x| x,
            |k, s, c| {
                s8[8 * k..8 * k + 8].copy_from_slice(&lanes(s));
                c8[8 * k..8 * k + 8].copy_from_slice(&lanes(c));
            },
        );
        assert_eq!(done, ph.len() / 8 * 8);
        for k in 0..done {
            let (s, c) = sincos_turns(ph[k]);
            assert_eq!(
                s.to_bits(),
                s8[k].to_bits(),
                "sin lane {k} phase {:#x}",
                ph[k]
            );
            assert_eq!(
                c.to_bits(),
                c8[k].to_bits(),
                "cos lane {k} phase {:#x}",
                ph[k]
            );
            let (es, ec) = sincos_turns_exact(ph[k]);
            let e = (f64::from(s) - es).abs().max((f64::from(c) - ec).abs());
            *worst = worst.max(e);
            assert!(
                e <= SINCOS_TURNS_MAX_ABS_ERR,
                "phase {:#x}: err {e:e}",
                ph[k]
            );
        }
    }

    #[test]
    fn sincos_turns_within_bound_and_vector_equals_scalar_bitwise() {
        let n: u64 = if std::env::var("INLAYER_EXTENSIVE").is_ok() {
            1 << 26
        } else {
            1 << 17
        };
        let mut worst = 0.0f64;
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut ph = [0u64; STEP];
        for i in 0..n {
            // Half random phases, half a uniform sweep of the whole circle.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ph[i as usize % STEP] = if i % 2 == 0 {
                x
            } else {
                i.wrapping_mul(u64::MAX / n)
            };
            if i as usize % STEP == STEP - 1 {
                check(&ph, &mut worst);
            }
        }
        std::println!("sincos_turns worst abs error: {worst:e}");
    }

    #[test]
    fn sincos_turns_exact_at_octant_and_quadrant_edges() {
        let mut worst = 0.0;
        for k in 0..8u64 {
            let base = k << 61;
            for d in [0u64, 1, 1 << 31, (1 << 31) - 1, (1 << 32) + 1, 1 << 40] {
                check(
                    &[
                        base,
                        base.wrapping_add(d),
                        base.wrapping_sub(d),
                        base.wrapping_add(d << 3),
                        base.wrapping_sub(d << 3),
                        base ^ d,
                        base.wrapping_add(1 << 60),
                        base.wrapping_sub(1 << 60),
                    ],
                    &mut worst,
                );
            }
        }
        // Quarter turns are exact.
        assert_eq!(sincos_turns(0), (0.0, 1.0));
        assert_eq!(sincos_turns(1 << 62), (1.0, 0.0));
        assert_eq!(sincos_turns(1 << 63), (-0.0, -1.0));
        assert_eq!(sincos_turns(3 << 62), (-1.0, 0.0));
    }
}
