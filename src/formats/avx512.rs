//! AVX-512 bodies of the `bf16`, `f16`, `i8` and `Q8_0` row decoders, for
//! x86_64 CPUs with AVX-512F (and AVX-512DQ, which `crate::arch` asks for
//! with it): `#[target_feature]` functions with safe bodies, called only
//! through `crate::arch`, which checks (once, by `cpuid` on a default
//! build) that the CPU runs them; that call is the `unsafe` part.
//!
//! Why they exist: the AVX2 bodies widen eight values a lane-crossing
//! shuffle (`vpmovzxwd`, `vpmovsxbd`, `vcvtph2ps`), and on Intel cores those
//! have one port, so a one-token decode of 384 `bf16` values took 27–28 ns
//! where glibc's `memcpy` of the f32 row (64 bytes a store) took 15–16.
//! Sixteen values a shuffle and a 64-byte store halve that (a bare loop: 16
//! ns). The same bits as the AVX2 bodies, the lanes and the reference: the
//! same IEEE operations in the same order, no fused multiply-add, the
//! epilogue (`Post`: times with `S`, plus the add row with `A`) before the
//! store. Each returns how many values it wrote (whole 16-value groups, or
//! whole blocks); the caller's lanes do the rest.

use core::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_castsi512_ps, _mm512_cvtepi8_epi32, _mm512_cvtepi32_ps,
    _mm512_cvtepu16_epi32, _mm512_cvtph_ps, _mm512_mul_ps, _mm512_set1_ps, _mm512_slli_epi32,
};

use super::Post;
use super::avx2::{add_chunk, add_for};

/// `v`, times `t` with `S`, plus the add row's sixteen values `a` (when
/// `A` gave some): the epilogue before the store.
#[target_feature(enable = "avx512f")]
#[inline]
fn post<const S: bool>(v: __m512, t: __m512, a: Option<&[f32; 16]>) -> __m512 {
    let v = if S { _mm512_mul_ps(v, t) } else { v };
    match a {
        Some(a) => _mm512_add_ps(v, bytemuck::cast(*a)),
        None => v,
    }
}

/// Sixteen values at a time: `x` widens 16 source units (`N` bytes) to
/// sixteen `f32`s, which go through the epilogue to `out`. Returns how many
/// values it wrote.
#[target_feature(enable = "avx512f")]
#[inline]
fn each16<const S: bool, const A: bool, const N: usize>(
    src: &[u8],
    p: Post<'_>,
    out: &mut [f32],
    mut x: impl FnMut(&[u8; N]) -> __m512,
) -> usize {
    let (s, _) = src.as_chunks::<N>();
    let (o, _) = out.as_chunks_mut::<16>();
    let Some(add) = add_for::<A>(p, 16 * o.len()) else {
        return 0;
    };
    let t = _mm512_set1_ps(p.times);
    for (i, (o, s)) in o.iter_mut().zip(s).enumerate() {
        *o = bytemuck::cast(post::<S>(x(s), t, add_chunk::<A, 16>(add, 16 * i)));
    }
    16 * o.len().min(s.len())
}

/// `bf16` → `f32`: `out[j] = bits(src[2j..2j + 2]) << 16`.
#[target_feature(enable = "avx512f")]
pub(crate) fn bf16<const S: bool, const A: bool>(
    src: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    each16::<S, A, 32>(src, p, out, |h| {
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(
            bytemuck::cast(*h),
        )))
    })
}

/// `f16` → `f32` by `vcvtph2ps`, while an integer maximum of the
/// magnitudes notes whether any value was a NaN; `vcvtph2ps` quiets a
/// signalling NaN, so a row that held one is decoded again by the AVX2
/// body, whose NaN lanes keep every bit (as the lanes and the reference
/// do). A NaN-free row, the common case, costs one conversion, an AND and a
/// maximum per sixteen values.
#[target_feature(enable = "avx512f,avx2,f16c")]
pub(crate) fn f16<const S: bool, const A: bool>(src: &[u8], p: Post<'_>, out: &mut [f32]) -> usize {
    use core::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpgt_epi16, _mm256_max_epu16, _mm256_movemask_epi8,
        _mm256_set1_epi16, _mm256_setzero_si256,
    };
    let mut top = _mm256_setzero_si256();
    let done = each16::<S, A, 32>(src, p, out, |s| {
        let h: __m256i = bytemuck::cast(*s);
        top = _mm256_max_epu16(top, _mm256_and_si256(h, _mm256_set1_epi16(0x7fff)));
        _mm512_cvtph_ps(h)
    });
    if _mm256_movemask_epi8(_mm256_cmpgt_epi16(top, _mm256_set1_epi16(0x7c00))) != 0 {
        return super::avx2::f16::<S, A>(src, p, out);
    }
    done
}

/// Symmetric `i8`: `out[j] = f32(src[j] as i8) * scale`.
#[target_feature(enable = "avx512f")]
pub(crate) fn i8<const S: bool, const A: bool>(
    src: &[u8],
    scale: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let scale = _mm512_set1_ps(scale);
    each16::<S, A, 16>(src, p, out, |q| {
        _mm512_mul_ps(
            _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(*q))),
            scale,
        )
    })
}

/// ggml `Q8_0` blocks (34 bytes: `f16 d`, 32 `i8`): `x = q * d`, sixteen
/// bytes a `vpmovsxbd`.
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q8_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::{_mm_cvtph_ps, _mm_cvtsi32_si128, _mm512_broadcastss_ps};
    let (b, _) = blocks.as_chunks::<34>();
    let (o, _) = out.as_chunks_mut::<32>();
    let Some(add) = add_for::<A>(p, 32 * o.len()) else {
        return 0;
    };
    let t = _mm512_set1_ps(p.times);
    for (i, (o, b)) in o.iter_mut().zip(b).enumerate() {
        let d = _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(
            u16::from_le_bytes([b[0], b[1]]),
        ))));
        let (qs, _) = b[2..].as_chunks::<16>();
        let (o, _) = o.as_chunks_mut::<16>();
        for (j, (o, q)) in o.iter_mut().zip(qs).enumerate() {
            let x = _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(*q))),
                d,
            );
            *o = bytemuck::cast(post::<S>(x, t, add_chunk::<A, 16>(add, 32 * i + 16 * j)));
        }
    }
    32 * o.len().min(b.len())
}
