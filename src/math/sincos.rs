//! `sin` and `cos` of `2π · phase / 2^64` for a 64-bit fixed-point phase.
//!
//! Algorithm:
//! 1. **Exact reduction on the integer.** `w0`, the top 32 bits of the
//!    phase (the phase truncated to `2^-32` turn: the dropped low bits are
//!    `< 2^-32` turn, 1.5e-9 rad), splits into `k`, the nearest 32nd of a
//!    turn (the top five bits of `w0 + 2^26`), and a signed remainder
//!    `b ∈ [-1/64, 1/64)` turn, the low 27 bits of `w0` sign-extended
//!    (`w0 << 5` as an `i32`, in units of `2^-37` turn), so that
//!    `w0/2^32 = k/32 + b` exactly. No floating-point range reduction
//!    happens, so accuracy does not depend on the position.
//! 2. `b` in radians (`f32(w0 << 5) · (2π/2^37)`, `|b| ≤ π/32`), then two
//!    short polynomials, minimax on `[-π/32, π/32]` (fitted by the Remez
//!    algorithm for this crate): `sin b ≈ b + b³·S3` and
//!    `1 - cos b ≈ b²·(1/2 - b²·H4)`.
//! 3. Angle addition with `sin` and `cos` of `2πk/32` from two 32-entry
//!    tables (f32, correctly rounded):
//!    `sin = Sk + (Ck·sin b - Sk·(1 - cos b))`,
//!    `cos = Ck - (Ck·(1 - cos b) + Sk·sin b)`: the small terms first, so
//!    the one rounding of the size of the result is the last. The table
//!    covers the whole turn, so no quadrant rotation follows.
//!
//! Every step uses separate IEEE multiplies and adds (never a fused
//! multiply-add), so the vector and scalar versions and every backend give
//! the same bits. On AVX-512 each table is two registers and a lookup one
//! `vpermt2ps` (`crate::sinusoidal::avx512`); the lanes look up each lane.
//!
//! Source: the integer reduction is the classical phase accumulator (DDS);
//! table plus short polynomial is the textbook table-driven method (Tang's
//! `exp`/`log` tables, the `sincos` of many libms).
//!
//! Error bound: [`SINCOS_TURNS_MAX_ABS_ERR`] absolute against the exact
//! `sin`/`cos` of the exact phase, for every `u64` phase (tested against an
//! f64 oracle in `reference` over random phases and a dense sweep).

use crate::simd::{F32x8, I32x8};

/// Absolute error bound of [`sincos_octets`] / [`sincos_turns`] against the
/// exact sine and cosine of the exact phase: `2^-23` (1.19e-7). Measured
/// worst case 7.1e-8 over 2^26 phases and a sweep of every 64th phase word
/// (the polynomials' own error is 1.4e-8 for `sin b` and 1.8e-10 for
/// `1 - cos b`; the rest is the f32 roundings of the table, of `b` and of
/// the angle addition); the tests assert the bound. (The octant-reduced
/// Cephes polynomials and quadrant rotation of earlier versions read
/// 1.07e-7, for 26 vector operations a 16-frequency vector on AVX-512
/// where this takes 22.)
#[allow(dead_code, reason = "asserted by the tests, cited by the rope kernels")]
pub(crate) const SINCOS_TURNS_MAX_ABS_ERR: f64 = 1.0 / 8_388_608.0;

use coefficients::{COS, H4, RAD_PER_UNIT, S3, SIN};

/// The constants of the algorithm (shared with the x86 row bodies).
pub(crate) mod coefficients {
    /// `2π / 2^37` rounded to f32: radians per unit of `b` (`w0 << 5`).
    pub(crate) const RAD_PER_UNIT: f32 = 4.571_619e-11;

    /// `sin b ≈ b + b³·S3` on `[-π/32, π/32]` (minimax; Taylor's `-1/6`
    /// would be off by 7.6e-8 at the ends).
    pub(crate) const S3: f32 = -0.166_586_37;
    /// `1 - cos b ≈ b²·(1/2 - b²·H4)` on `[-π/32, π/32]` (minimax).
    pub(crate) const H4: f32 = 0.041_653_283;

    /// `sin(2πj/32)` for `j = 0..=8`, correctly rounded to f32.
    const QUARTER: [f32; 9] = [
        0.0,
        0.195_090_32,
        0.382_683_43,
        0.555_570_24,
        0.707_106_77,
        0.831_469_6,
        0.923_879_5,
        0.980_785_25,
        1.0,
    ];

    /// `sin(2πk/32)` for `k = 0..32` by symmetry from [`QUARTER`] (the
    /// zeros are `+0.0`).
    pub(crate) const SIN: [f32; 32] = {
        let mut t = [0.0; 32];
        let mut k = 0;
        while k < 32 {
            let j = k % 16;
            let v = if j <= 8 { QUARTER[j] } else { QUARTER[16 - j] };
            t[k] = if k > 16 { -v } else { v };
            k += 1;
        }
        t
    };

    /// `cos(2πk/32) = sin(2π(k + 8)/32)` for `k = 0..32`.
    pub(crate) const COS: [f32; 32] = {
        let mut t = [0.0; 32];
        let mut k = 0;
        while k < 32 {
            t[k] = SIN[(k + 8) % 32];
            k += 1;
        }
        t
    };

    /// `SIN[k]`'s bits in the low half, `COS[k]`'s in the high half, for
    /// `k = 0..32`: the pair that one 8-byte load puts in two adjacent
    /// little-endian lanes, `sin` first (the SSE2 body of the one-row
    /// kernel).
    #[cfg(target_arch = "x86_64")]
    pub(crate) const SIN_COS: [u64; 32] = {
        let mut t = [0; 32];
        let mut k = 0;
        while k < 32 {
            t[k] = (COS[k].to_bits() as u64) << 32 | SIN[k].to_bits() as u64;
            k += 1;
        }
        t
    };
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

/// The reduction, the polynomials and the angle addition on lanes of type
/// `$f` (floats) and `$i` (their `i32` twins), from phase words `$w`
/// (`w0`): the one text of [`sincos_words8`] and, on AVX-512 builds, of
/// `sincos_phases16`.
macro_rules! sincos_lanes {
    ($f:ident, $i:ident, $w:expr) => {{
        let w0 = $w;
        // k: the top five bits of w0 + 2^26 (the lookup reads five bits).
        let k = (w0 + $i::splat(1 << 26)) >> 27;
        let b = $f::from_i32(w0 << 5) * $f::splat(RAD_PER_UNIT);
        let z = b * b;
        let sb = b * z * $f::splat(S3) + b;
        let hb = z * ($f::splat(0.5) - z * $f::splat(H4));
        let sk = $f::lookup32(&SIN, k);
        let ck = $f::lookup32(&COS, k);
        let sin = sk + (ck * sb - sk * hb);
        let cos = ck - (ck * hb + sk * sb);
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
    let k = ((w0.wrapping_add(1 << 26) >> 27) & 31) as usize;
    let b = (w0 << 5) as f32 * RAD_PER_UNIT;
    let z = b * b;
    let sb = b * z * S3 + b;
    let hb = z * (0.5 - z * H4);
    let (sk, ck) = (SIN[k], COS[k]);
    (sk + (ck * sb - sk * hb), ck - (ck * hb + sk * sb))
}

#[cfg(test)]
mod tests {
    use super::{COS, SIN, SINCOS_TURNS_MAX_ABS_ERR, sincos_octets, sincos_turns};
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
    fn sincos_turns_within_bound_at_table_points_and_segment_edges() {
        // k << 58 for even k is a table point (a 32nd of a turn), for odd k
        // the edge where the nearest table point changes.
        let mut worst = 0.0;
        for k in 0..64u64 {
            let base = k << 58;
            for d in [0u64, 1, 1 << 31, (1 << 31) - 1, (1 << 32) + 1, 1 << 40] {
                check(
                    &[
                        base,
                        base.wrapping_add(d),
                        base.wrapping_sub(d),
                        base.wrapping_add(d << 3),
                        base.wrapping_sub(d << 3),
                        base ^ d,
                        base.wrapping_add(1 << 57),
                        base.wrapping_sub(1 << 57),
                    ],
                    &mut worst,
                );
            }
        }
    }

    #[test]
    fn quarter_turns_are_exact_with_positive_zeros() {
        let bits = |(s, c): (f32, f32)| (s.to_bits(), c.to_bits());
        assert_eq!(bits(sincos_turns(0)), bits((0.0, 1.0)));
        assert_eq!(bits(sincos_turns(1 << 62)), bits((1.0, 0.0)));
        assert_eq!(bits(sincos_turns(1 << 63)), bits((0.0, -1.0)));
        assert_eq!(bits(sincos_turns(3 << 62)), bits((-1.0, 0.0)));
    }

    #[test]
    fn tables_are_sin_and_cos_of_each_32nd_of_a_turn_correctly_rounded() {
        for k in 0..32 {
            let a = core::f64::consts::TAU * f64::from(k as u8) / 32.0;
            for (t, exact) in [(SIN[k], libm::sin(a)), (COS[k], libm::cos(a))] {
                if exact.abs() < 1e-15 {
                    assert_eq!(t.to_bits(), 0, "k {k}: a zero is +0.0");
                    continue;
                }
                // Within half a unit in the last place of t (f64's own error
                // is far below that).
                let ulp = f64::from(f32::from_bits(t.abs().to_bits() + 1) - t.abs());
                assert!(
                    (f64::from(t) - exact).abs() <= ulp / 2.0,
                    "k {k}: {t} vs {exact}"
                );
            }
        }
    }
}
