//! AVX2 body of the one-row kernel (`kernel::emit`): eight frequencies a
//! 32-byte vector, for x86_64 CPUs with AVX2 but not AVX-512 (many desktop
//! and laptop CPUs). A `#[target_feature]` function with a safe body,
//! called only through `crate::arch::sinusoidal_row`, which checks (once,
//! by `cpuid`, on a default build) that the CPU runs it; that call is the
//! `unsafe` part.
//!
//! The twin of `avx512.rs`, with what AVX2 has: the same IEEE operations in
//! the same order as the lanes (no fused multiply-add), so the same bits.
//! - The phase word, the top 32 bits of `p · F mod 2^64` for `p < 2^32`, is
//!   `p · F_hi + ⌊p · F_lo / 2^32⌋ mod 2^32`, exactly: a 32 × 32 → 64-bit
//!   multiply (`vpmuludq`, the low half of each 64-bit lane) and a 32-bit
//!   one (`vpmulld`) added lane by lane leave it in the high half of each
//!   64-bit lane; one `vshufps` picks eight of them from two vectors, in
//!   the order `0, 1, 4, 5 | 2, 3, 6, 7` (one 128-bit half each).
//! - That order is the one in which two in-lane unpacks of `sin` and `cos`
//!   leave the `[sin, cos]` pairs of frequencies 0..4 and 4..8: the
//!   interleaved layout needs no other permutation; the halves layout puts
//!   the words in order first (`vpermq`).
//! - Each table lookup by four `vpermps` (8-entry quarters of the table)
//!   and three `vblendvps`, the cosine's from the same four (`lookup`).
//!
//! The arithmetic, the stores and the driver over the row are the text it
//! shares with `avx512.rs` (`x86_body!`). Two vectors a step (16
//! frequencies): two independent chains, which the sixteen registers hold.
//!
//! Also the table kernel's rows of a group (`rotate_group`, for builds
//! whose lanes are SSE2's): the angle addition as a plain loop on 32-byte
//! vectors ([2048 × 512], default build: 5.7–5.8 → 6.8 G values/s).

use core::arch::x86_64::{
    __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_blendv_ps, _mm256_castps_si256,
    _mm256_castsi256_ps, _mm256_cvtepi32_ps, _mm256_mul_epu32, _mm256_mul_ps, _mm256_mullo_epi32,
    _mm256_permute4x64_epi64, _mm256_permutevar8x32_ps, _mm256_set1_epi32, _mm256_set1_ps,
    _mm256_shuffle_ps, _mm256_slli_epi32, _mm256_srli_epi32, _mm256_sub_ps, _mm256_unpackhi_ps,
    _mm256_unpacklo_ps,
};

use crate::math::sincos_coefficients::{H4, RAD_PER_UNIT, S3, SIN};

/// `⌊p · F / 2^32⌋ mod 2^32` in the high half of each 64-bit lane of `f`
/// (the low half is of no use): `p` is in every 32-bit lane of `p`.
#[target_feature(enable = "avx2")]
#[inline]
fn high_words(p: __m256i, f: [u64; 4]) -> __m256i {
    let f: __m256i = bytemuck::cast(f);
    _mm256_add_epi32(_mm256_mul_epu32(f, p), _mm256_mullo_epi32(f, p))
}

/// The phase words (`math::sincos`'s `phase_word`) of the phases
/// `p · f[k] mod 2^64`, lanes in the order `0, 1, 4, 5, 2, 3, 6, 7`, or in
/// order (`in_order`).
#[target_feature(enable = "avx2")]
#[inline]
fn words(p: __m256i, f: &[u64; 8], in_order: bool) -> __m256i {
    let [a, b]: [[u64; 4]; 2] = bytemuck::cast(*f);
    let (a, b) = (high_words(p, a), high_words(p, b));
    let w = _mm256_castps_si256(_mm256_shuffle_ps::<0b11_01_11_01>(
        _mm256_castsi256_ps(a),
        _mm256_castsi256_ps(b),
    ));
    if in_order {
        _mm256_permute4x64_epi64::<0b11_01_10_00>(w)
    } else {
        w
    }
}

x86_body!(
    "avx2",
    __m256,
    __m256i,
    8,
    2,
    [
        _mm256_mul_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_set1_ps,
        _mm256_cvtepi32_ps
    ],
    _mm256_slli_epi32
);

/// `sin` and `cos` of the phase words `w0`: the table lookup, then the
/// shared arithmetic (`x86_body!`'s `sincos`).
#[target_feature(enable = "avx2")]
#[inline]
fn sincos_words(w0: __m256i) -> (__m256, __m256) {
    sincos(w0, lookup(w0))
}

/// `sin` and `cos` of `2πk/32`, `k` the top five bits of each lane of
/// `wk = w0 + 2^26`: `vpermps` reads three bits, so each of the four
/// 8-entry quarters of the sine table is looked up once and two levels of
/// `vblendvps` pick by bit 3 (bit 30 of `wk`, moved to the sign) and bit 4
/// (bit 31, the sign). The cosine table is the sine table a quarter on (`cos(2πk/32) =
/// sin(2π(k + 8)/32)`), so the same four lookups serve it.
#[target_feature(enable = "avx2")]
#[inline]
fn lookup(w0: __m256i) -> (__m256, __m256) {
    let wk = _mm256_add_epi32(w0, _mm256_set1_epi32(1 << 26));
    let k = _mm256_srli_epi32::<27>(wk);
    let q: [[f32; 8]; 4] = bytemuck::cast(SIN);
    let [q0, q1, q2, q3] = q.map(|t| _mm256_permutevar8x32_ps(bytemuck::cast(t), k));
    let bit3 = _mm256_castsi256_ps(_mm256_slli_epi32::<1>(wk));
    let bit4 = _mm256_castsi256_ps(wk);
    let pick = |a, b, c, d| {
        _mm256_blendv_ps(
            _mm256_blendv_ps(a, b, bit3),
            _mm256_blendv_ps(c, d, bit3),
            bit4,
        )
    };
    (pick(q0, q1, q2, q3), pick(q1, q2, q3, q0))
}

/// The position in every 32-bit lane (`vpmuludq` reads the low one of
/// each 64-bit lane, `vpmulld` all).
#[target_feature(enable = "avx2")]
#[inline]
fn position(pos: u32) -> __m256i {
    _mm256_set1_epi32(pos as i32)
}

/// sin and cos of the eight frequencies of `t` at `p`, lanes in the
/// layout's order.
#[target_feature(enable = "avx2")]
#[inline]
fn sincos_one(p: __m256i, t: &[u64; 8], interleaved: bool) -> (__m256, __m256) {
    sincos_words(words(p, t, !interleaved))
}

/// sin and cos of the 16 frequencies of `t` at `p`: two independent
/// chains.
#[target_feature(enable = "avx2")]
#[inline]
fn sincos_step(p: __m256i, t: &[[u64; 8]; 2], interleaved: bool) -> [(__m256, __m256); 2] {
    [
        sincos_words(words(p, &t[0], !interleaved)),
        sincos_words(words(p, &t[1], !interleaved)),
    ]
}

/// Writes (or adds) the `[sin, cos]` pairs of eight frequencies, lanes in
/// the order of [`words`]: frequencies 0..4, then 4..8.
#[target_feature(enable = "avx2")]
#[inline]
fn pairs<const ADD: bool>((sin, cos): (__m256, __m256), d: &mut [[f32; 8]; 2]) {
    put::<ADD>(&mut d[0], _mm256_unpacklo_ps(sin, cos));
    put::<ADD>(&mut d[1], _mm256_unpackhi_ps(sin, cos));
}

/// The table kernel's rows of one group (`rotate::rotate_rows`) for a
/// whole block of `N` frequencies whose cosines all exist: row `k` of
/// `group` (rows of `row_len`) gets `sin = sa·co + ca·so` and `cos = ca·co −
/// sa·so` from the anchor `(sa, ca)` and its offsets `(so, co) = (os[k],
/// oc[k])`, written (or added, `ADD`) at columns `i0 ..` in the layout of
/// `interleaved` (`n_sin` sine columns in the halves layout). A plain loop
/// that LLVM vectorizes on 32-byte vectors (the lanes' operations, in their
/// order: the same bits), where a default build's lanes are SSE2's 16
/// bytes. Rows too short for the block are left alone (the caller's
/// validation makes none).
#[target_feature(enable = "avx2")]
pub(crate) fn rotate_group<const ADD: bool, const N: usize>(
    (interleaved, n_sin, i0): (bool, usize, usize),
    (sa, ca): (&[f32; N], &[f32; N]),
    (os, oc): (&[[f32; N]], &[[f32; N]]),
    group: &mut [f32],
    row_len: usize,
) {
    let put = |d: &mut f32, v: f32| *d = if ADD { *d + v } else { v };
    for ((row, so), co) in group.chunks_exact_mut(row_len.max(1)).zip(os).zip(oc) {
        let pair = |k: usize| (sa[k] * co[k] + ca[k] * so[k], ca[k] * co[k] - sa[k] * so[k]);
        if interleaved {
            if let Some(d) = row.get_mut(2 * i0..2 * (i0 + N)) {
                for (k, d) in d.as_chunks_mut::<2>().0.iter_mut().enumerate() {
                    let (s, c) = pair(k);
                    put(&mut d[0], s);
                    put(&mut d[1], c);
                }
            }
        } else {
            let (sin, cos) = row.split_at_mut(n_sin.min(row.len()));
            if let (Some(ds), Some(dc)) = (sin.get_mut(i0..i0 + N), cos.get_mut(i0..i0 + N)) {
                for (k, (ds, dc)) in ds.iter_mut().zip(dc).enumerate() {
                    let (s, c) = pair(k);
                    put(ds, s);
                    put(dc, c);
                }
            }
        }
    }
}
