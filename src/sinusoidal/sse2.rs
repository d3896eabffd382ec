//! SSE2 body of the one-row kernel (`kernel::emit`): four frequencies a
//! 16-byte vector, for x86_64 CPUs without AVX2 (the Atom-class Celeron
//! and Pentium Silver of many x86 edge boxes). SSE2 is part of the x86_64
//! baseline, so this body needs no run-time check and no `unsafe`:
//! `crate::arch::sinusoidal_row` runs it where neither AVX-512 nor AVX2
//! does.
//!
//! The twin of `avx2.rs`, with what SSE2 has: the same IEEE operations in
//! the same order as the lanes (no fused multiply-add), so the same bits.
//! What it buys over the lanes, which LLVM builds from `wide`'s portable
//! operations:
//! - The phase word, the top 32 bits of `p · F mod 2^64` for `p < 2^32`, is
//!   `p · F_hi + ⌊p · F_lo / 2^32⌋ mod 2^32`, exactly: two 32 × 32 → 64-bit
//!   multiplies (`pmuludq`) a pair of frequencies, of which one `shufps`
//!   keeps the two 32-bit halves that matter, and one 32-bit add. The lanes
//!   form the whole 64-bit product.
//! - The table lookup's index, the top five bits of `p · F + 2^58 mod 2^64`
//!   (the same as those of `w0 + 2^26`), comes from a 64-bit `imul`, an
//!   `add` and a `shr` in general-purpose registers, in parallel with the
//!   vector work, instead of out of the vector lanes (`movd` and shuffles
//!   on the same SIMD ports); then one 8-byte load of the `[sin, cos]`
//!   pair (`SIN_COS`) a lane, and two `shufps` split four pairs into the
//!   `sin` and `cos` vectors. The lanes make two 4-byte lookups a lane, each
//!   index taken out of a vector.
//!
//! D = 4096 row, this CPU with AVX2 turned off (`--cfg
//! inlayer_no_dispatch`), G values/s: the lanes 1.82; this body with the
//! lanes' lookup 1.78, with the index moved out of the vector 64 bits at a
//! time 1.90, with the index from the `imul` 2.05.
//!
//! The arithmetic, the stores and the driver over the row are the text it
//! shares with `avx2.rs` and `avx512.rs` (`x86_body!`). Two vectors a step
//! (8 frequencies): four a step spill the sixteen registers (1.85 G
//! values/s).

use core::arch::x86_64::{
    __m128, __m128i, _mm_add_epi32, _mm_add_ps, _mm_castps_si128, _mm_castsi128_ps,
    _mm_cvtepi32_ps, _mm_mul_epu32, _mm_mul_ps, _mm_set1_epi32, _mm_set1_ps, _mm_shuffle_ps,
    _mm_slli_epi32, _mm_srli_epi64, _mm_sub_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
};

use crate::math::sincos_coefficients::{H4, RAD_PER_UNIT, S3, SIN_COS};

/// `shufps` mask: lanes 0 and 2 of the first operand, then of the second.
const EVENS: i32 = 0b10_00_10_00;
/// `shufps` mask: lanes 1 and 3 of the first operand, then of the second.
const ODDS: i32 = 0b11_01_11_01;

/// `shufps` on integers: lanes of `a`, then of `b`, as `MASK` says.
#[target_feature(enable = "sse2")]
#[inline]
fn pick<const MASK: i32>(a: __m128i, b: __m128i) -> __m128i {
    _mm_castps_si128(_mm_shuffle_ps::<MASK>(
        _mm_castsi128_ps(a),
        _mm_castsi128_ps(b),
    ))
}

/// The phase words (`math::sincos`'s `phase_word`) of the phases
/// `p · f[k] mod 2^64`, in order: `⌊p · F_lo / 2^32⌋` is the high half of
/// the 64-bit product of `p` and the low half of `F`, and `p · F_hi mod
/// 2^32` the low half of that of `p` and the high half.
#[target_feature(enable = "sse2")]
#[inline]
fn words(p: __m128i, f: &[u64; 4]) -> __m128i {
    let [a, b]: [__m128i; 2] = bytemuck::cast(*f);
    let low = pick::<ODDS>(_mm_mul_epu32(a, p), _mm_mul_epu32(b, p));
    let high = pick::<EVENS>(
        _mm_mul_epu32(_mm_srli_epi64::<32>(a), p),
        _mm_mul_epu32(_mm_srli_epi64::<32>(b), p),
    );
    _mm_add_epi32(low, high)
}

x86_body!(
    "sse2",
    __m128,
    __m128i,
    4,
    2,
    [
        _mm_mul_ps,
        _mm_add_ps,
        _mm_sub_ps,
        _mm_set1_ps,
        _mm_cvtepi32_ps
    ],
    _mm_slli_epi32
);

/// `sin` and `cos` of `2πk/32` for the four phases `pos · f[i] mod 2^64`,
/// `k` the top five bits of the phase plus `2^58` (of the phase word plus
/// `2^26`, as in `math::sincos`): the index in a general-purpose register,
/// one 8-byte load of the `[sin, cos]` pair a lane, then `shufps` splits
/// the four pairs.
#[target_feature(enable = "sse2")]
#[inline]
fn lookup(pos: u64, f: &[u64; 4]) -> (__m128, __m128) {
    let k = |f: u64| (pos.wrapping_mul(f).wrapping_add(1 << 58) >> 59) as usize;
    let pair = |f: u64| SIN_COS[k(f)];
    let lo: __m128 = bytemuck::cast([pair(f[0]), pair(f[1])]);
    let hi: __m128 = bytemuck::cast([pair(f[2]), pair(f[3])]);
    (
        _mm_shuffle_ps::<EVENS>(lo, hi),
        _mm_shuffle_ps::<ODDS>(lo, hi),
    )
}

/// The position in every 32-bit lane (`pmuludq` reads the even ones).
/// [`scalar`] takes it back out for [`lookup`].
#[target_feature(enable = "sse2")]
#[inline]
fn position(pos: u32) -> __m128i {
    _mm_set1_epi32(pos as i32)
}

/// The position of [`position`]`(pos)`, for the general-purpose registers
/// (once a row: the compiler hoists it out of the loop).
#[target_feature(enable = "sse2")]
#[inline]
fn scalar(p: __m128i) -> u64 {
    u64::from(bytemuck::cast::<__m128i, [u32; 4]>(p)[0])
}

/// sin and cos of the four frequencies of `t` at `p`, in order (the order
/// both layouts want).
#[target_feature(enable = "sse2")]
#[inline]
fn sincos_one(p: __m128i, t: &[u64; 4], _interleaved: bool) -> (__m128, __m128) {
    sincos(words(p, t), lookup(scalar(p), t))
}

/// sin and cos of the 8 frequencies of `t` at `p`: two independent
/// chains.
#[target_feature(enable = "sse2")]
#[inline]
fn sincos_step(p: __m128i, t: &[[u64; 4]; 2], _interleaved: bool) -> [(__m128, __m128); 2] {
    let pos = scalar(p);
    [
        sincos(words(p, &t[0]), lookup(pos, &t[0])),
        sincos(words(p, &t[1]), lookup(pos, &t[1])),
    ]
}

/// Writes (or adds) the `[sin, cos]` pairs of four frequencies.
#[target_feature(enable = "sse2")]
#[inline]
fn pairs<const ADD: bool>((sin, cos): (__m128, __m128), d: &mut [[f32; 4]; 2]) {
    put::<ADD>(&mut d[0], _mm_unpacklo_ps(sin, cos));
    put::<ADD>(&mut d[1], _mm_unpackhi_ps(sin, cos));
}
