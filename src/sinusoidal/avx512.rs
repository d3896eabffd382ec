//! AVX-512 body of the one-row kernel (`kernel::emit`): sixteen
//! frequencies a 64-byte vector, for x86_64 CPUs with AVX-512F and
//! AVX-512DQ. A `#[target_feature]` function with a safe body, called only
//! through `crate::arch::sinusoidal_row`, which checks (once, by `cpuid`, on
//! a default build) that the CPU runs it; that call is the `unsafe` part.
//!
//! The same algorithm as `crate::math::sincos_octets` and, operation for
//! operation, the same IEEE arithmetic (separate multiplies and adds, never
//! a fused multiply-add), so the same bits as the lanes and the scalar twin
//! on every input. What the instructions buy over the portable lanes
//! (which LLVM cannot widen from their 16-byte SSE2 form on a default
//! build):
//! - the phase `p · F mod 2^64` by one 64-bit multiply a lane (`vpmullq`),
//!   and the sixteen phase words picked from two products by one
//!   permutation (the lanes shift and narrow each half);
//! - each table lookup (`sin` and `cos` of the nearest 32nd of a turn) by
//!   one `vpermt2ps`, the 32-entry table in two registers;
//! - for the interleaved layout, the words picked in the order in which
//!   the in-lane unpacks (one cycle each) leave the `[sin, cos]` pairs of
//!   eight consecutive frequencies in each 64-byte vector; two
//!   cross-lane permutations took 2.5 % more time.
//!
//! The arithmetic, the stores and the driver over the row are the text it
//! shares with `avx2.rs` (`x86_body!`). The table-driven `sin`/`cos`
//! (2026-11-30; before, the octant-reduced polynomials and a quadrant
//! rotation) made the native D = 4096 row 5.2 → 6.4 G values/s.
//! Four vectors a step (64 frequencies): four independent chains (D = 4096
//! row, native build, G values/s, before the phase word was truncated: one
//! a step 4.06–4.11, three 4.34–4.42, four 4.46–4.54).

use core::arch::x86_64::{
    __m512, __m512i, _mm512_add_epi32, _mm512_add_ps, _mm512_cvtepi32_ps, _mm512_mul_ps,
    _mm512_mullo_epi64, _mm512_permutex2var_epi32, _mm512_permutex2var_ps, _mm512_set1_epi32,
    _mm512_set1_epi64, _mm512_set1_ps, _mm512_slli_epi32, _mm512_srli_epi32, _mm512_sub_ps,
    _mm512_unpackhi_ps, _mm512_unpacklo_ps,
};

use crate::math::sincos_coefficients::{COS, H4, RAD_PER_UNIT, S3, SIN};

/// Dword indices, into the products of frequencies `0..8` (dwords 0..16)
/// and `8..16` (16..32), of the high halves of frequencies `0, 1, …, 15`:
/// the words in frequency order (the halves layout).
const IN_ORDER: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];
/// The same for frequencies `0, 1, 8, 9, 2, 3, 10, 11, …`: lanes `4j, 4j +
/// 1` hold frequencies `2j, 2j + 1` and lanes `4j + 2, 4j + 3` hold `8 +
/// 2j, 9 + 2j`, so `unpacklo(sin, cos)` is the pairs of frequencies 0..8
/// and `unpackhi` those of 8..16 (the interleaved layout).
const FOR_UNPACK: [i32; 16] = [1, 3, 17, 19, 5, 7, 21, 23, 9, 11, 25, 27, 13, 15, 29, 31];

/// The phase words (`math::sincos`'s `phase_word`) of the phases
/// `p · f[k] mod 2^64`, their top 32 bits, in the lane order of `order`
/// ([`IN_ORDER`] or [`FOR_UNPACK`]).
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn words(p: __m512i, f: &[u64; 16], order: __m512i) -> __m512i {
    let [a, b]: [[u64; 8]; 2] = bytemuck::cast(*f);
    let a = _mm512_mullo_epi64(bytemuck::cast(a), p);
    let b = _mm512_mullo_epi64(bytemuck::cast(b), p);
    _mm512_permutex2var_epi32(a, order, b)
}

x86_body!(
    "avx512f,avx512dq",
    __m512,
    __m512i,
    16,
    4,
    [
        _mm512_mul_ps,
        _mm512_add_ps,
        _mm512_sub_ps,
        _mm512_set1_ps,
        _mm512_cvtepi32_ps
    ],
    _mm512_slli_epi32
);

/// `sin` and `cos` of the phase words `w0`: the table lookup, then the
/// shared arithmetic (`x86_body!`'s `sincos`).
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn sincos_words(w0: __m512i) -> (__m512, __m512) {
    sincos(w0, lookup(w0))
}

/// `sin` and `cos` of `2πk/32`, `k` the top five bits of each lane of
/// `wk = w0 + 2^26`: one `vpermt2ps` a table, the table in two registers.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn lookup(w0: __m512i) -> (__m512, __m512) {
    let wk = _mm512_add_epi32(w0, _mm512_set1_epi32(1 << 26));
    let k = _mm512_srli_epi32::<27>(wk);
    let [s0, s1]: [[f32; 16]; 2] = bytemuck::cast(SIN);
    let [c0, c1]: [[f32; 16]; 2] = bytemuck::cast(COS);
    (
        _mm512_permutex2var_ps(bytemuck::cast(s0), k, bytemuck::cast(s1)),
        _mm512_permutex2var_ps(bytemuck::cast(c0), k, bytemuck::cast(c1)),
    )
}

/// The position in every 64-bit lane.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn position(pos: u32) -> __m512i {
    _mm512_set1_epi64(i64::from(pos))
}

/// The word order for the layout: [`FOR_UNPACK`] or [`IN_ORDER`].
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn order(interleaved: bool) -> __m512i {
    bytemuck::cast(if interleaved { FOR_UNPACK } else { IN_ORDER })
}

/// sin and cos of the sixteen frequencies of `t` at `p`, lanes in the
/// layout's order.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn sincos_one(p: __m512i, t: &[u64; 16], interleaved: bool) -> (__m512, __m512) {
    sincos_words(words(p, t, order(interleaved)))
}

/// sin and cos of the 64 frequencies of `t` at `p`: four independent
/// chains.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn sincos_step(p: __m512i, t: &[[u64; 16]; 4], interleaved: bool) -> [(__m512, __m512); 4] {
    let order = order(interleaved);
    [
        sincos_words(words(p, &t[0], order)),
        sincos_words(words(p, &t[1], order)),
        sincos_words(words(p, &t[2], order)),
        sincos_words(words(p, &t[3], order)),
    ]
}

/// Writes (or adds) the `[sin, cos]` pairs of sixteen frequencies, lanes
/// in [`FOR_UNPACK`] order: frequencies 0..8, then 8..16.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn pairs<const ADD: bool>((sin, cos): (__m512, __m512), d: &mut [[f32; 16]; 2]) {
    put::<ADD>(&mut d[0], _mm512_unpacklo_ps(sin, cos));
    put::<ADD>(&mut d[1], _mm512_unpackhi_ps(sin, cos));
}
