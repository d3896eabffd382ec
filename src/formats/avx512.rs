//! AVX-512 bodies of the `bf16`, `f16`, `i8`, `Q8_0`, `Q4_0`, `Q4_1` and
//! `IQ4_NL` row decoders, for
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

/// The whole `N`-byte blocks of 32 values each: `block` gives a block's
/// values as two sixteens, which go through the epilogue to `out`. Returns
/// how many values it wrote.
#[target_feature(enable = "avx512f")]
#[inline]
fn blocks32<const S: bool, const A: bool, const N: usize>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
    block: impl Fn(&[u8; N]) -> [__m512; 2],
) -> usize {
    let (b, _) = blocks.as_chunks::<N>();
    let (o, _) = out.as_chunks_mut::<32>();
    let Some(add) = add_for::<A>(p, 32 * o.len()) else {
        return 0;
    };
    let t = _mm512_set1_ps(p.times);
    for (i, (o, b)) in o.iter_mut().zip(b).enumerate() {
        let [lo, hi] = block(b);
        *o = bytemuck::cast([
            post::<S>(lo, t, add_chunk::<A, 16>(add, 32 * i)),
            post::<S>(hi, t, add_chunk::<A, 16>(add, 32 * i + 16)),
        ]);
    }
    32 * o.len().min(b.len())
}

/// The little-endian `f16` of bytes `lo`, `hi` as sixteen `f32`s.
#[target_feature(enable = "avx512f,f16c")]
#[inline]
fn half(lo: u8, hi: u8) -> __m512 {
    use core::arch::x86_64::{_mm_cvtph_ps, _mm_cvtsi32_si128, _mm512_broadcastss_ps};
    _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(
        u16::from_le_bytes([lo, hi]),
    ))))
}

/// ggml `Q8_0` blocks (34 bytes: `f16 d`, 32 `i8`): `x = q * d`, sixteen
/// bytes a `vpmovsxbd`.
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q8_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 34>(blocks, p, out, |&[d0, d1, ref q @ ..]| {
        let d = half(d0, d1);
        let q: [[u8; 16]; 2] = bytemuck::cast(*q);
        q.map(|q| {
            _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(q))),
                d,
            )
        })
    })
}

/// The sixteen bytes of `q` as dwords, looked up in `levels` by their low
/// nibbles (elements 0–15 of a block) and by their high ones (16–31):
/// `vpermps` takes the low four bits of each dword as its index, so one
/// `vpmovzxbd`, a shift and two permutes give 32 levels as `f32`s, where a
/// mask, a subtract and a conversion per sixteen would be needed otherwise.
/// `examples/formats_speed`, `T=1`, D = 384, default build, two alternating
/// runs, ratio to the f32 `memcpy` (AVX2 bodies → these): `Q4_0` 0.27 / 0.33
/// → 0.44 / 0.45, `IQ4_NL` 0.27 / 0.28 → 0.45 / 0.45, `Q4_1` 0.26 / 0.29 →
/// 0.30 / 0.30; 512 tokens unchanged (1.07–1.15).
#[target_feature(enable = "avx512f")]
#[inline]
fn nibble_levels(q: [u8; 16], levels: __m512) -> [__m512; 2] {
    use core::arch::x86_64::{_mm512_cvtepu8_epi32, _mm512_permutexvar_ps, _mm512_srli_epi32};
    let q = _mm512_cvtepu8_epi32(bytemuck::cast(q));
    [q, _mm512_srli_epi32::<4>(q)].map(|n| _mm512_permutexvar_ps(n, levels))
}

/// The nibbles 0–15.
const NIBBLES: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// `table[q] - bias` for the sixteen nibbles `q`, as `f32`s (exact), made
/// at compile time.
const fn levels(table: [u8; 16], bias: f32) -> [f32; 16] {
    let mut l = [0.0; 16];
    let mut q = 0;
    while q < 16 {
        l[q] = table[q] as f32 - bias;
        q += 1;
    }
    l
}

/// ggml `Q4_0` blocks (18 bytes: `f16 d`, 16 bytes of nibbles, low nibbles
/// are elements 0–15): `x = (q - 8) * d`, `q - 8` looked up as an `f32`
/// ([`nibble_levels`]; exact, so the product rounds as the reference's).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q4_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(NIBBLES, 8.0) });
    blocks32::<S, A, 18>(blocks, p, out, |&[d0, d1, ref q @ ..]| {
        let d = half(d0, d1);
        nibble_levels(*q, levels).map(|v| _mm512_mul_ps(v, d))
    })
}

/// ggml `Q4_1` blocks (20 bytes: `f16 d`, `f16 m`, 16 bytes of nibbles,
/// low nibbles first): `x = q * d + m` (a multiply, then an add).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q4_1<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    blocks32::<S, A, 20>(blocks, p, out, |&[d0, d1, m0, m1, ref q @ ..]| {
        let (d, m) = (half(d0, d1), half(m0, m1));
        nibble_levels(*q, levels).map(|v| _mm512_add_ps(_mm512_mul_ps(v, d), m))
    })
}

/// ggml `IQ4_NL` blocks (18 bytes: `f16 d`, 16 bytes of nibbles, low
/// nibbles are elements 0–15): `x = d * kv[q]`, the levels `kv` looked up
/// as `f32`s ([`nibble_levels`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn iq4_nl<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(super::ggml::IQ4_LEVELS_PLUS_128, 128.0) });
    blocks32::<S, A, 18>(blocks, p, out, |&[d0, d1, ref q @ ..]| {
        let d = half(d0, d1);
        nibble_levels(*q, levels).map(|v| _mm512_mul_ps(v, d))
    })
}
