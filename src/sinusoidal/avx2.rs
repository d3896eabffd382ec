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
//! - The quadrant swap by `vblendvps` on bit 30 (shifted to the sign), the
//!   sign flips by XOR.
//!
//! The polynomial is the text it shares with `avx512.rs`
//! (`x86_polynomial!`). Two vectors a step (16 frequencies): two
//! independent chains, which the sixteen registers hold.

use core::arch::x86_64::{
    __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_and_ps, _mm256_blendv_ps,
    _mm256_castps_si256, _mm256_castsi256_ps, _mm256_cvtepi32_ps, _mm256_mul_epu32, _mm256_mul_ps,
    _mm256_mullo_epi32, _mm256_permute4x64_epi64, _mm256_set1_epi32, _mm256_set1_ps,
    _mm256_shuffle_ps, _mm256_slli_epi32, _mm256_sub_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
    _mm256_xor_ps,
};

use crate::math::sincos_coefficients::{C1, C2, C3, RAD_PER_UNIT, S1, S2, S3};

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

x86_polynomial!(
    "avx2",
    __m256,
    __m256i,
    8,
    [
        _mm256_mul_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_set1_ps,
        _mm256_cvtepi32_ps
    ],
    [_mm256_add_epi32, _mm256_slli_epi32, _mm256_set1_epi32]
);

/// sin and cos of eight phase words: `math::sincos`'s `sincos_lanes!`, the
/// same operations in the same order.
#[target_feature(enable = "avx2")]
#[inline]
fn sincos8(w0: __m256i) -> (__m256, __m256) {
    let (s, c, w) = polynomial(w0);
    // Quadrant q = the top two bits of w: where q is odd (bit 30, moved to
    // the sign bit that `vblendvps` reads), sin takes c and cos takes -s;
    // then both flip sign where bit 31 is set (q ≥ 2).
    let odd = _mm256_castsi256_ps(_mm256_slli_epi32::<1>(w));
    let sign = splat(-0.0);
    let sin = _mm256_blendv_ps(s, c, odd);
    let cos = _mm256_blendv_ps(c, _mm256_xor_ps(s, sign), odd);
    let flip = _mm256_and_ps(_mm256_castsi256_ps(w), sign);
    (_mm256_xor_ps(sin, flip), _mm256_xor_ps(cos, flip))
}

/// Writes (or adds) the `[sin, cos]` pairs of eight frequencies, lanes in
/// the order of [`words`]: frequencies 0..4, then 4..8.
#[target_feature(enable = "avx2")]
#[inline]
fn pairs<const ADD: bool>((sin, cos): (__m256, __m256), d: &mut [[f32; 8]; 2]) {
    put::<ADD>(&mut d[0], _mm256_unpacklo_ps(sin, cos));
    put::<ADD>(&mut d[1], _mm256_unpackhi_ps(sin, cos));
}

/// [`pairs`] for each step of 16 frequencies `steps` yields, in its order.
#[target_feature(enable = "avx2")]
#[inline]
fn pairs16<'a, const ADD: bool>(
    p: __m256i,
    steps: impl Iterator<Item = (&'a [[u64; 8]; 2], &'a mut [[[f32; 8]; 2]; 2])>,
) {
    for (t, o) in steps {
        let (a, b) = (
            sincos8(words(p, &t[0], false)),
            sincos8(words(p, &t[1], false)),
        );
        pairs::<ADD>(a, &mut o[0]);
        pairs::<ADD>(b, &mut o[1]);
    }
}

/// Writes (or adds) the sines and the cosines of eight frequencies, lanes
/// in order, into their halves of the row.
#[target_feature(enable = "avx2")]
#[inline]
fn halves<const ADD: bool>((sin, cos): (__m256, __m256), s: &mut [f32; 8], c: &mut [f32; 8]) {
    put::<ADD>(s, sin);
    put::<ADD>(c, cos);
}

/// The encoding of position `pos` for the frequencies of `turns` (from
/// frequency 0), written or added (`ADD`) into `row`: pairs at `2i ..`
/// (`interleaved`), or sines at `i ..` and cosines at `n_sin + i ..`.
/// Does the leading multiple of 8 frequencies that fit in `row` and
/// returns how many; the caller passes only frequencies with both a sine
/// and a cosine column and does the rest.
#[target_feature(enable = "avx2")]
pub(crate) fn row<const ADD: bool>(
    turns: &[u64],
    pos: u32,
    interleaved: bool,
    n_sin: usize,
    row: &mut [f32],
) -> usize {
    let p = _mm256_set1_epi32(pos as i32);
    // The output is cut into chunks up front: no bound checks in the loops.
    if interleaved {
        let n = turns.len().min(row.len() / 2) / 8 * 8;
        let (Some(t), Some(o)) = (turns.get(..n), row.get_mut(..2 * n)) else {
            return 0;
        };
        let o: &mut [[[f32; 8]; 2]] = bytemuck::cast_slice_mut(o);
        let backward = super::write_backward(t, bytemuck::cast_slice(o));
        let (t2, t1) = t.as_chunks::<8>().0.as_chunks::<2>();
        let (o2, o1) = o.as_chunks_mut::<2>();
        if backward {
            pairs16::<ADD>(p, t2.iter().zip(o2).rev());
        } else {
            pairs16::<ADD>(p, t2.iter().zip(o2));
        }
        for (t, o) in t1.iter().zip(o1) {
            pairs::<ADD>(sincos8(words(p, t, false)), o);
        }
        n
    } else {
        let (sin, cos) = row.split_at_mut(n_sin.min(row.len()));
        let n = turns.len().min(sin.len()).min(cos.len()) / 8 * 8;
        let (Some(t), Some(sin), Some(cos)) = (turns.get(..n), sin.get_mut(..n), cos.get_mut(..n))
        else {
            return 0;
        };
        let (t2, t1) = t.as_chunks::<8>().0.as_chunks::<2>();
        let (s2, s1) = sin.as_chunks_mut::<8>().0.as_chunks_mut::<2>();
        let (c2, c1) = cos.as_chunks_mut::<8>().0.as_chunks_mut::<2>();
        for ((t, s), c) in t2.iter().zip(s2).zip(c2) {
            let (a, b) = (
                sincos8(words(p, &t[0], true)),
                sincos8(words(p, &t[1], true)),
            );
            halves::<ADD>(a, &mut s[0], &mut c[0]);
            halves::<ADD>(b, &mut s[1], &mut c[1]);
        }
        for ((t, s), c) in t1.iter().zip(s1).zip(c1) {
            halves::<ADD>(sincos8(words(p, t, true)), s, c);
        }
        n
    }
}
