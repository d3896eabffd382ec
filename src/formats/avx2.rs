//! AVX2 (and F16C) bodies of the row decoders, for x86_64 CPUs that have
//! them: `#[target_feature]` functions with safe bodies, called only
//! through `crate::arch`, which checks (once, by `cpuid` on a default
//! build) that the CPU runs them; that call is the `unsafe` part.
//!
//! Each body gives the same bits as the scalar reference for every input:
//! the same IEEE operations in the same order, no fused multiply-add (Rust
//! never contracts `a * b + c`). `bf16`, `i8` and FBGEMM 8-bit are plain
//! loops that LLVM vectorizes for the enabled features (eight values a
//! 32-byte store, where SSE2 stores 16 bytes), as is the epilogue of `f32`
//! rows. FBGEMM 4-bit and the ggml
//! block formats use intrinsics: as plain loops LLVM vectorized `Q4_0`
//! across blocks, with gathers, at half the speed. The 32-element blocks
//! convert their `f16` scales with F16C (`Q8_0` and `Q4_0` a tenth to a
//! third faster than with the software widening and its branch on
//! subnormals). Each returns how many values it wrote (whole blocks for
//! the block formats); the caller's lanes do the rest.
//!
//! Each body also takes the gather's epilogue (`Post`): with `S` every value
//! is multiplied by its `times`, then with `A` the add row's value at the
//! same index is added, before the store (the reference's operations, in
//! its order), so the row is written once instead of decoded, then read and
//! written again ([`post`]).

use core::arch::x86_64::{
    __m128i, __m256, __m256i, _mm_and_si128, _mm_set1_epi8, _mm_srli_epi16, _mm_srli_si128,
    _mm256_add_ps, _mm256_and_si256, _mm256_castsi256_si128, _mm256_cvtepi32_ps,
    _mm256_cvtepu8_epi32, _mm256_extracti128_si256, _mm256_mul_ps, _mm256_or_si256,
    _mm256_set1_epi8, _mm256_set1_epi32, _mm256_set1_ps, _mm256_slli_epi16, _mm256_srli_epi16,
    _mm256_sub_epi32, _mm256_sub_ps,
};

use super::{Post, f16_to_f32};

/// `v`, times `t` when `S`, plus `a` if there is one: the gather's epilogue
/// applied before the store.
#[target_feature(enable = "avx2")]
#[inline]
fn post<const S: bool>(v: __m256, t: __m256, a: Option<&[f32; 8]>) -> __m256 {
    let v = if S { _mm256_mul_ps(v, t) } else { v };
    match a {
        Some(a) => _mm256_add_ps(v, bytemuck::cast(*a)),
        None => v,
    }
}

/// The add row's `N` values from `k` when `A` (none otherwise, and none
/// past its end). The bodies first cut the add row to their output's
/// length ([`add_for`]), so the optimiser can drop most of the checks.
#[inline(always)]
pub(super) fn add_chunk<const A: bool, const N: usize>(add: &[f32], k: usize) -> Option<&[f32; N]> {
    if A {
        add.get(k..)?.first_chunk::<N>()
    } else {
        None
    }
}

/// The add row cut to `n` values when `A` (empty otherwise); `None` when
/// it is shorter (a broken precondition: the body then writes nothing and
/// the caller's lanes do the row).
#[inline(always)]
pub(super) fn add_for<const A: bool>(p: Post<'_>, n: usize) -> Option<&[f32]> {
    if A { p.add.get(..n) } else { Some(&[]) }
}

/// `out[j] = x(src[j])` through the epilogue, for the bodies that are plain
/// loops (LLVM vectorizes them for the enabled features); returns how many
/// values it wrote.
#[inline(always)]
fn each<const S: bool, const A: bool, T>(
    src: &[T],
    p: Post<'_>,
    out: &mut [f32],
    x: impl Fn(&T) -> f32,
) -> usize {
    let t = p.times;
    let then = |v: f32| if S { v * t } else { v };
    if A {
        for ((o, s), a) in out.iter_mut().zip(src).zip(p.add) {
            *o = then(x(s)) + a;
        }
        out.len().min(src.len()).min(p.add.len())
    } else {
        for (o, s) in out.iter_mut().zip(src) {
            *o = then(x(s));
        }
        out.len().min(src.len())
    }
}

/// `f32` rows through the epilogue: `out[j] = src[j]`, times `times` and
/// plus `add[j]`: the gather's fused `× scale + add` on 32-byte vectors
/// (a default build's lanes are SSE2's 16 bytes).
#[target_feature(enable = "avx2")]
pub(crate) fn f32<const S: bool, const A: bool>(
    src: &[f32],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    each::<S, A, _>(src, p, out, |x| *x)
}

/// `out[j] = src[j] × times + out[j]` (`src[j] + out[j]` without `S`): the
/// fused input layer's token rows added onto the encodings already in
/// `out`, on 32-byte vectors.
#[target_feature(enable = "avx2")]
pub(crate) fn f32_onto<const S: bool>(src: &[f32], times: f32, out: &mut [f32]) -> usize {
    for (o, s) in out.iter_mut().zip(src) {
        *o += if S { s * times } else { *s };
    }
    out.len().min(src.len())
}

/// `bf16` → `f32`: `out[j] = bits(src[2j..2j + 2]) << 16`.
#[target_feature(enable = "avx2")]
pub(crate) fn bf16<const S: bool, const A: bool>(
    src: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let (halves, _) = src.as_chunks::<2>();
    each::<S, A, _>(halves, p, out, |h| {
        f32::from_bits(u32::from(u16::from_le_bytes(*h)) << 16)
    })
}

/// `f16` → `f32` for the whole octets by F16C's `vcvtph2ps`: the
/// reference's bits (exact for every number; a NaN comes out quiet, sign
/// and payload kept, as `vcvtph2ps` makes it).
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn f16<const S: bool, const A: bool>(src: &[u8], p: Post<'_>, out: &mut [f32]) -> usize {
    use core::arch::x86_64::_mm256_cvtph_ps;
    let octets = (out.len() / 8).min(src.len() / 16);
    let (Some(src), Some(out), Some(add)) = (
        src.get(..16 * octets),
        out.get_mut(..8 * octets),
        add_for::<A>(p, 8 * octets),
    ) else {
        return 0;
    };
    let (s, _) = src.as_chunks::<16>();
    let (o, _) = out.as_chunks_mut::<8>();
    let t = _mm256_set1_ps(p.times);
    for (i, (o, s)) in o.iter_mut().zip(s).enumerate() {
        let x = _mm256_cvtph_ps(bytemuck::cast(*s));
        *o = bytemuck::cast(post::<S>(x, t, add_chunk::<A, 8>(add, 8 * i)));
    }
    8 * octets
}

/// Symmetric `i8`: `out[j] = f32(src[j] as i8) * scale`.
#[target_feature(enable = "avx2")]
pub(crate) fn i8<const S: bool, const A: bool>(
    src: &[u8],
    scale: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    each::<S, A, _>(src, p, out, |&q| f32::from(q as i8) * scale)
}

/// FBGEMM 8-bit row-wise: `out[j] = f32(q[j]) * scale + bias`.
#[target_feature(enable = "avx2")]
pub(crate) fn fbgemm8<const S: bool, const A: bool>(
    q: &[u8],
    scale: f32,
    bias: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    each::<S, A, _>(q, p, out, |&q| f32::from(q) * scale + bias)
}

/// FBGEMM 4-bit row-wise, from an even column: `x = q * scale + bias`,
/// element `2i` in the low nibble of byte `i`; sixteen values (8 bytes) at
/// a time.
#[target_feature(enable = "avx2")]
pub(crate) fn fbgemm4<const S: bool, const A: bool>(
    q: &[u8],
    scale: f32,
    bias: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm_unpacklo_epi8;
    let (q, _) = q.as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<16>();
    let Some(add) = add_for::<A>(p, 16 * o.len()) else {
        return 0;
    };
    let (s, b, t) = (
        _mm256_set1_ps(scale),
        _mm256_set1_ps(bias),
        _mm256_set1_ps(p.times),
    );
    for (i, (o, q)) in o.iter_mut().zip(q).enumerate() {
        let [lo, hi] = nibbles(bytemuck::cast([*q, [0; 8]]));
        let [v0, v1] = times16_plus(_mm_unpacklo_epi8(lo, hi), s, b);
        *o = bytemuck::cast([
            post::<S>(v0, t, add_chunk::<A, 8>(add, 16 * i)),
            post::<S>(v1, t, add_chunk::<A, 8>(add, 16 * i + 8)),
        ]);
    }
    16 * o.len().min(q.len())
}

/// ggml `Q8_0` blocks (34 bytes: `f16 d`, 32 `i8`): `x = q * d`, eight
/// bytes a `vpmovsxbd`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn q8_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm256_cvtepi8_epi32;
    let (b, _) = blocks.as_chunks::<34>();
    let (o, _) = out.as_chunks_mut::<32>();
    let Some(add) = add_for::<A>(p, 32 * o.len()) else {
        return 0;
    };
    let t = _mm256_set1_ps(p.times);
    for (i, (o, b)) in o.iter_mut().zip(b).enumerate() {
        let d = scale_f16c(b[0], b[1]);
        let (qs, _) = b[2..].as_chunks::<8>();
        let (o, _) = o.as_chunks_mut::<8>();
        for (j, (o, q)) in o.iter_mut().zip(qs).enumerate() {
            let q: __m128i = bytemuck::cast([*q, [0; 8]]);
            *o = bytemuck::cast(post::<S>(
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d),
                t,
                add_chunk::<A, 8>(add, 32 * i + 8 * j),
            ));
        }
    }
    32 * o.len().min(b.len())
}

/// ggml `Q4_0` blocks (18 bytes: `f16 d`, 16 bytes of nibbles, low nibbles
/// are elements 0–15): `x = (q - 8) * d`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn q4_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 18>(blocks, p, out, |b| {
        let d = scale_f16c(b[0], b[1]);
        let q = nibble_dwords(bytemuck::cast(*b[2..].first_chunk::<16>()?));
        Some(q.map(|x| times8(x, 8, d)))
    })
}

/// ggml `Q4_1` blocks (20 bytes: `f16 d`, `f16 m`, 16 bytes of nibbles,
/// low nibbles first): `x = q * d + m`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn q4_1<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 20>(blocks, p, out, |b| {
        let (d, m) = (scale_f16c(b[0], b[1]), scale_f16c(b[2], b[3]));
        let q = nibble_dwords(bytemuck::cast(*b[4..].first_chunk::<16>()?));
        Some(q.map(|x| times8_plus(x, d, m)))
    })
}

/// ggml `Q5_0` blocks (22 bytes: `f16 d`, `u32 qh`, 16 bytes of nibbles;
/// bit `j` of `qh` is bit 4 of element `j`): `x = (q - 16) * d`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn q5_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 22>(blocks, p, out, |b| {
        // `(q - 16) * 2^24` (exact) times `d * 2^-24` (exact too: `d` is an
        // `f16`, at least 2^-24 in magnitude where not zero, so it stays a
        // normal `f32`): the real product of `(q - 16) * d`, so the same
        // rounded bits, NaN, infinite and zero `d` too.
        let d = _mm256_mul_ps(scale_f16c(b[0], b[1]), _mm256_set1_ps(1.0 / 16_777_216.0));
        let q = five_bit_dwords::<true>(&b[2..])?;
        Some(q.map(|x| _mm256_mul_ps(_mm256_cvtepi32_ps(x), d)))
    })
}

/// ggml `Q5_1` blocks (24 bytes: `f16 d`, `f16 m`, `u32 qh`, 16 bytes of
/// nibbles): `x = q * d + m`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn q5_1<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 24>(blocks, p, out, |b| {
        let (d, m) = (scale_f16c(b[0], b[1]), scale_f16c(b[2], b[3]));
        Some(five_bit_dwords::<false>(&b[4..])?.map(|x| times8_plus(x, d, m)))
    })
}

/// The many-token loop of [`block_rows`] and [`view_rows`]: hints the rows
/// of the first `prefetch::DECODE_DISTANCE` tokens; for every token
/// `t`, hints the row `prefetch::DECODE_DISTANCE` tokens ahead (`hint`), then
/// `row(tokens[t], the epilogue with add row t, output row t)`. `false` as
/// soon as an output row or an add row is missing (a broken precondition)
/// or `row` says it could not write its row; the gather then decodes every
/// row itself.
#[inline(always)]
pub(super) fn each_row<const A: bool>(
    tokens: &[u32],
    (dim, stride): (usize, usize),
    p: Post<'_>,
    out: &mut [f32],
    hint: impl Fn(usize),
    mut row: impl FnMut(usize, Post<'_>, &mut [f32]) -> bool,
) -> bool {
    // The first rows, which no earlier token hints (see `prefetch`).
    for &tok in tokens.iter().take(crate::prefetch::DECODE_DISTANCE) {
        hint(tok as usize);
    }
    for (t, &tok) in tokens.iter().enumerate() {
        if let Some(&ahead) = tokens.get(t + crate::prefetch::DECODE_DISTANCE) {
            hint(ahead as usize);
        }
        let Some(o) = out.get_mut(t * stride..t * stride + dim) else {
            return false;
        };
        let p = if A {
            let Some(add) = p.add.get(t * dim..(t + 1) * dim) else {
                return false;
            };
            Post {
                times: p.times,
                add,
            }
        } else {
            p
        };
        if !row(tok as usize, p, o) {
            return false;
        }
    }
    true
}

/// Whole rows of a ggml table for every token: `out[t * stride ..][.. dim]`
/// = row `tokens[t]` through the epilogue `p` (`p.add` holding a row per
/// token): the gather's token loop in the AVX2 body, so a row costs no
/// call, no dispatch and no column-range bookkeeping. Each row takes the
/// format's body below. `false` as [`each_row`] says, or if a body leaves a
/// row short (none does: a row is whole blocks).
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn block_rows<B: super::Block, const S: bool, const A: bool>(
    table: &super::BlockTable<'_, B>,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    table_rows::<B, A>(table, tokens, p, out, stride, |src, p, row| {
        block_row::<B, S, A>(src, p, row)
    })
}

/// [`each_row`] over the rows of a ggml table, each by `body` (which
/// returns how many values it wrote: `false` if not the whole row).
#[inline(always)]
pub(super) fn table_rows<B: super::Block, const A: bool>(
    table: &super::BlockTable<'_, B>,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
    body: impl Fn(&[u8], Post<'_>, &mut [f32]) -> usize,
) -> bool {
    use super::Table;
    let dim = table.dim();
    each_row::<A>(
        tokens,
        (dim, stride),
        p,
        out,
        |r| table.prefetch(r),
        |tok, p, row| table.row(tok).is_some_and(|src| body(src, p, row) == dim),
    )
}

/// One row of ggml blocks `src` by its format's AVX2 body; returns how many
/// values it wrote.
#[target_feature(enable = "avx2,f16c")]
#[inline]
pub(super) fn block_row<B: super::Block, const S: bool, const A: bool>(
    src: &[u8],
    p: Post<'_>,
    row: &mut [f32],
) -> usize {
    use super::Format;
    match B::FORMAT {
        Format::Q8_0 => q8_0::<S, A>(src, p, row),
        Format::Q4_0Split => q4_0::<S, A>(src, p, row),
        Format::Q4_1Split => q4_1::<S, A>(src, p, row),
        Format::Q5_0Split => q5_0::<S, A>(src, p, row),
        Format::Q5_1Split => q5_1::<S, A>(src, p, row),
        Format::Q2KSplit => q2_k::<S, A>(src, p, row),
        Format::Q3KSplit => q3_k::<S, A>(src, p, row),
        Format::Q4KSplit => q4_k::<S, A>(src, p, row),
        Format::Q5KSplit => q5_k::<S, A>(src, p, row),
        Format::Iq4NlSplit => iq4_nl::<S, A>(src, p, row),
        Format::Iq4XsSplit => iq4_xs::<S, A>(src, p, row),
        Format::Iq3S => iq3_s::<S, A>(src, p, row),
        Format::Q6KSplit => q6_k::<S, A>(src, p, row),
        _ => 0,
    }
}

/// Whole rows of a table view for every token, as [`block_rows`] for any
/// view: the gather's token loop in an AVX2 function, so the view's decode
/// and its AVX2 body (through `crate::arch`, whose check is one cached
/// load) inline into it, and a row costs no call and no `vzeroupper`.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn view_rows<V: super::DecodePost, const S: bool, const A: bool>(
    view: &V,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    view_rows_in::<V, S, A>(view, tokens, p, out, stride)
}

/// The loop of [`view_rows`], in the caller's target features (AVX2 here,
/// AVX-512 in `formats::avx512::view_rows`).
#[inline(always)]
pub(super) fn view_rows_in<V: super::DecodePost, const S: bool, const A: bool>(
    view: &V,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    each_row::<A>(
        tokens,
        (view.dim(), stride),
        p,
        out,
        |r| view.prefetch(r),
        |tok, p, row| {
            view.decode::<S, A>(tok, 0, p, row);
            true
        },
    )
}

/// The whole `N`-byte blocks of 32 values each: `block` gives a block's
/// values as four octets. Returns how many values it wrote.
#[target_feature(enable = "avx2,f16c")]
#[inline]
fn blocks32<const S: bool, const A: bool, const N: usize>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
    block: impl Fn(&[u8; N]) -> Option<[__m256; 4]>,
) -> usize {
    let (b, _) = blocks.as_chunks::<N>();
    let (o, _) = out.as_chunks_mut::<32>();
    let Some(add) = add_for::<A>(p, 32 * o.len()) else {
        return 0;
    };
    let t = _mm256_set1_ps(p.times);
    for (i, (o, b)) in o.iter_mut().zip(b).enumerate() {
        if let Some([v0, v1, v2, v3]) = block(b) {
            let k = 32 * i;
            *o = bytemuck::cast([
                post::<S>(v0, t, add_chunk::<A, 8>(add, k)),
                post::<S>(v1, t, add_chunk::<A, 8>(add, k + 8)),
                post::<S>(v2, t, add_chunk::<A, 8>(add, k + 16)),
                post::<S>(v3, t, add_chunk::<A, 8>(add, k + 24)),
            ]);
        }
    }
    32 * o.len().min(b.len())
}

/// The 32 5-bit values of a `Q5` block from `qh` (4 bytes, little-endian)
/// and 16 bytes of nibbles, as dwords in four octets (elements 0–7, 8–15,
/// 16–23, 24–31). Built as 32 bytes first, arranged so that one in-lane
/// byte shuffle per octet widens it: dword `k` of the low half holds
/// elements `8k .. 8k + 4`, of the high half `8k + 4 .. 8k + 8`. The
/// nibbles come from one shuffle of `qs` (the high ones then shifted down
/// by four); bit `j` of `qh` becomes `0x10` in element `j`'s byte by a
/// shuffle that spreads byte `j / 8` of `qh` there, an OR with every bit
/// but bit `j % 8`, and a compare with all ones. The `Q5_1` loop takes 38
/// instructions a block, where dword nibbles and a variable shift of `qh`
/// per octet took 51 (`formats_speed`, default build, G values/s: `Q5_0`
/// 8.0 → 8.4–8.8, `Q5_1` 7.4 → 8.4–8.5 from cache, 4.9 → 5.4 from DRAM).
///
/// With `BIASED` the dwords are `(q - 16) * 2^24` instead: `q - 16` is one
/// byte subtract for the block, each byte goes to the top of its dword
/// ([`dwords`]), and the caller scales `d` by 2^-24, where a dword subtract
/// per octet took four (`formats_speed`, default build, three runs
/// alternating, cache, D = 384: `Q5_0` 8.2–8.5 → 8.8–9.1 G values/s, the
/// `memcpy` 8.8–9.5; the same for `Q4_0`'s `q - 8` read no gain).
#[target_feature(enable = "avx2")]
#[inline]
fn five_bit_dwords<const BIASED: bool>(b: &[u8]) -> Option<[__m256i; 4]> {
    use core::arch::x86_64::{
        _mm256_andnot_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8, _mm256_setr_epi8,
        _mm256_setr_epi32, _mm256_shuffle_epi8, _mm256_srlv_epi32, _mm256_sub_epi8,
    };
    let (qh, qs) = (b.first_chunk::<4>()?, b.get(4..20)?);
    let qs = <[u8; 16]>::try_from(qs).ok()?;
    // Byte 4k + i of the low half: element 8k + i (k < 4, i < 4), that is
    // the low nibble of byte i + 8k of `qs` for k < 2 and the high nibble
    // of byte i + 8(k - 2) for k ≥ 2; the high half: elements 8k + 4 + i.
    let q = _mm256_shuffle_epi8(
        _mm256_broadcastsi128_si256(bytemuck::cast(qs)),
        _mm256_setr_epi8(
            0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15, 4, 5,
            6, 7, 12, 13, 14, 15,
        ),
    );
    let nibbles = _mm256_and_si256(
        _mm256_srlv_epi32(q, _mm256_setr_epi32(0, 0, 4, 4, 0, 0, 4, 4)),
        _mm256_set1_epi8(0x0f),
    );
    // Byte 4k + i of either half holds bit i (low half) or 4 + i (high
    // half) of byte k of `qh`.
    let spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(i32::from_le_bytes(*qh)),
        _mm256_setr_epi8(
            0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3,
            3, 3, 3,
        ),
    );
    let others = _mm256_setr_epi32(
        0xf7fb_fdfe_u32 as i32,
        0xf7fb_fdfe_u32 as i32,
        0xf7fb_fdfe_u32 as i32,
        0xf7fb_fdfe_u32 as i32,
        0x7fbf_dfef,
        0x7fbf_dfef,
        0x7fbf_dfef,
        0x7fbf_dfef,
    );
    let set = _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi8(-1));
    if BIASED {
        // q - 16: the nibble less 16 where bit 4 is clear, the nibble where set.
        let v = _mm256_sub_epi8(nibbles, _mm256_andnot_si256(set, _mm256_set1_epi8(0x10)));
        Some([
            dwords::<0, true>(v),
            dwords::<4, true>(v),
            dwords::<8, true>(v),
            dwords::<12, true>(v),
        ])
    } else {
        let v = _mm256_or_si256(nibbles, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
        Some([
            dwords::<0, false>(v),
            dwords::<4, false>(v),
            dwords::<8, false>(v),
            dwords::<12, false>(v),
        ])
    }
}

/// Bytes `K .. K + 4` of each half of `v` as dwords: zero-extended, or with
/// `TOP` as the top bytes of the dwords (the signed byte `b` becomes
/// `b * 2^24`). One in-lane byte shuffle.
#[target_feature(enable = "avx2")]
#[inline]
fn dwords<const K: i8, const TOP: bool>(v: __m256i) -> __m256i {
    use core::arch::x86_64::_mm256_shuffle_epi8;
    let mut pick = [-1i8; 32];
    for (j, k) in (K..K + 4).enumerate() {
        let at = 4 * j + if TOP { 3 } else { 0 };
        (pick[at], pick[16 + at]) = (k, k);
    }
    _mm256_shuffle_epi8(v, bytemuck::cast(pick))
}

/// The 256 outputs of a K-quant block, sixteen at a time through the
/// gather's epilogue (times `t` with `S`, plus the add row from `at` with
/// `A`), `V` the vector that holds `t` (AVX2's here, AVX-512's in
/// `formats::avx512`, each with its own `put`): what every 256-value body
/// writes through.
pub(super) struct Sink<'a, V, const S: bool, const A: bool> {
    pub(super) out: &'a mut [[f32; 16]],
    pub(super) t: V,
    pub(super) add: &'a [f32],
    pub(super) at: usize,
}

impl<const S: bool, const A: bool> Sink<'_, __m256, S, A> {
    /// Values `16k .. 16k + 16` of the block (`k < 16`).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn put(&mut self, k: usize, [v0, v1]: [__m256; 2]) {
        let at = self.at + 16 * k;
        if let Some(o) = self.out.get_mut(k) {
            *o = bytemuck::cast([
                post::<S>(v0, self.t, add_chunk::<A, 8>(self.add, at)),
                post::<S>(v1, self.t, add_chunk::<A, 8>(self.add, at + 8)),
            ]);
        }
    }
}

/// The whole `N`-byte blocks of 256 values each: `block` writes a block's
/// values through its [`Sink`], `t` the epilogue's times as a vector.
/// Returns how many values it wrote.
#[inline(always)]
pub(super) fn blocks256<V: Copy, const S: bool, const A: bool, const N: usize>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
    t: V,
    block: impl Fn(&[u8; N], &mut Sink<'_, V, S, A>),
) -> usize {
    let (b, _) = blocks.as_chunks::<N>();
    let (o, _) = out.as_chunks_mut::<256>();
    let Some(add) = add_for::<A>(p, 256 * o.len()) else {
        return 0;
    };
    for (i, (o, b)) in o.iter_mut().zip(b).enumerate() {
        let out = o.as_chunks_mut::<16>().0;
        block(
            b,
            &mut Sink {
                out,
                t,
                add,
                at: 256 * i,
            },
        );
    }
    256 * o.len().min(b.len())
}

/// The low nibbles of the 32 bytes of `q` and the high ones, as bytes.
#[target_feature(enable = "avx2")]
#[inline]
fn nibbles32(q: __m256i) -> [__m256i; 2] {
    let mask = _mm256_set1_epi8(0x0f);
    [
        _mm256_and_si256(q, mask),
        _mm256_and_si256(_mm256_srli_epi16::<4>(q), mask),
    ]
}

/// ggml `Q4_K` blocks (144 bytes: `f16 d`, `f16 dmin`, 12 bytes of packed
/// 6-bit scales and mins, 128 bytes of nibbles): see [`k4_block`].
#[target_feature(enable = "avx2")]
pub(crate) fn q4_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks256::<_, S, A, 144>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        k4_block(b, None, &b[16..], sink)
    })
}

/// The 256 values of a `Q4_K` block (`qh: None`) or a `Q5_K` block (`qh`
/// its 32-byte high-bit mask), `b` the block and `qs` its 128 bytes of
/// nibbles: sub-block `j` of 32 is `x = (d * sc_j) * q - (dmin * m_j)`, 64
/// values from each 32 bytes (low nibbles first); for `Q5_K`, bit `j` of
/// the mask byte is bit 4 of `q`.
#[target_feature(enable = "avx2")]
#[inline]
fn k4_block<const S: bool, const A: bool>(
    b: &[u8],
    qh: Option<&[u8; 32]>,
    qs: &[u8],
    sink: &mut Sink<'_, __m256, S, A>,
) {
    use core::arch::x86_64::_mm256_cmpeq_epi8;
    let (Some(&[d0, d1, m0, m1]), Some(s)) = (b.first_chunk::<4>(), b.get(4..16)) else {
        return;
    };
    let Ok(s) = <&[u8; 12]>::try_from(s) else {
        return;
    };
    let d = f16_to_f32(u16::from_le_bytes([d0, d1]));
    let dmin = f16_to_f32(u16::from_le_bytes([m0, m1]));
    let (dl, ml) = super::ggml::k4_scales(s, d, dmin);
    let qh: Option<__m256i> = qh.map(|h| bytemuck::cast(*h));
    let (qs, _) = qs.as_chunks::<32>();
    for (i, qs) in qs.iter().enumerate() {
        for (j, x) in nibbles32(bytemuck::cast(*qs)).into_iter().enumerate() {
            let sub = 2 * i + j;
            let (Some(&d1), Some(&m1)) = (dl.get(sub), ml.get(sub)) else {
                continue;
            };
            let x = match qh {
                Some(qh) => {
                    let bit = _mm256_set1_epi8((1u8 << sub) as i8);
                    let set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
                    _mm256_or_si256(x, _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
                }
                None => x,
            };
            let (d1, m1) = (_mm256_set1_ps(d1), _mm256_set1_ps(m1));
            for g in 0..2 {
                sink.put(2 * sub + g, times16_minus(half(x, g), d1, m1));
            }
        }
    }
}

/// ggml `Q2_K` blocks (84 bytes: 16 scale bytes, 64 bytes of 2-bit
/// crumbs, `f16 d` and `f16 dmin` last): sub-block `k` of 16 is
/// `x = (d * sc_k) * q - (dmin * m_k)`, its crumbs from 16 bytes of `qs`.
#[target_feature(enable = "avx2")]
pub(crate) fn q2_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm256_broadcast_ss;
    blocks256::<_, S, A, 84>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        let d = f16_to_f32(u16::from_le_bytes([b[80], b[81]]));
        let dmin = f16_to_f32(u16::from_le_bytes([b[82], b[83]]));
        let Some(s) = b.first_chunk::<16>() else {
            return;
        };
        let (dl, ml) = super::ggml::k2_scales(s, d, dmin);
        // The multipliers are broadcast from memory: without the hint LLVM
        // unrolls the loop below, keeps the 32 values in registers and
        // moves each into place with a shuffle before its broadcast, which
        // read 9.3 against 10.2–10.8 G elem/s (cache, D = 512).
        let (dl, ml) = core::hint::black_box((&dl, &ml));
        let (qs, _) = b[16..80].as_chunks::<32>(); // 2 × 32
        let (dl, ml) = (dl.as_chunks::<2>().0, ml.as_chunks::<2>().0);
        for (r, (dl, ml)) in dl.iter().zip(ml).enumerate() {
            // Elements 128 n + 32 j + l (r = 4 n + j): crumb j of
            // qs[32 n + l]; sub-block 2r for l < 16 and 2r + 1 after.
            let (n, j) = (r / 4, r % 4);
            let Some(q) = qs.get(n) else {
                continue;
            };
            let q = crumbs(bytemuck::cast(*q), j);
            for (g, (dl, ml)) in dl.iter().zip(ml).enumerate() {
                let (dl, ml) = (_mm256_broadcast_ss(dl), _mm256_broadcast_ss(ml));
                sink.put(2 * r + g, times16_minus(half(q, g), dl, ml));
            }
        }
    })
}

/// ggml `Q3_K` blocks (110 bytes: a 32-byte high-bit mask, 64 bytes of
/// 2-bit crumbs, 12 bytes of packed 6-bit scales, `f16 d` last): sub-block
/// `k` of 16 is `x = (d * (sc_k - 32)) * (q - 4)`, `q` the crumb plus the
/// mask bit as bit 2.
#[target_feature(enable = "avx2")]
pub(crate) fn q3_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm256_cmpeq_epi8;
    blocks256::<_, S, A, 110>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        let d = f16_to_f32(u16::from_le_bytes([b[108], b[109]]));
        let (Some(hm), Some(s)) = (b.first_chunk::<32>(), b[96..].first_chunk::<12>()) else {
            return;
        };
        let hm: __m256i = bytemuck::cast(*hm);
        let dl = super::ggml::k3_scales(s, d);
        let (qs, _) = b[32..96].as_chunks::<32>(); // 2 × 32
        let (dl, _) = dl.as_chunks::<2>();
        for (r, dl) in dl.iter().enumerate() {
            // Elements 128 n + 32 j + l (r = 4 n + j): crumb j of
            // qs[32 n + l], bit 4 n + j (= r) of hmask[l] as bit 2;
            // sub-block 2r for l < 16 and 2r + 1 after.
            let (n, j) = (r / 4, r % 4);
            let Some(q) = qs.get(n) else {
                continue;
            };
            let bit = _mm256_set1_epi8((1u8 << r) as i8);
            let set = _mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit);
            let q = _mm256_or_si256(
                crumbs(bytemuck::cast(*q), j),
                _mm256_and_si256(set, _mm256_set1_epi8(4)),
            );
            for (g, &dl) in dl.iter().enumerate() {
                sink.put(2 * r + g, times16(half(q, g), 4, _mm256_set1_ps(dl)));
            }
        }
    })
}

/// ggml `Q5_K` blocks (176 bytes: `f16 d`, `f16 dmin`, 12 bytes of packed
/// 6-bit scales and mins as `Q4_K`, a 32-byte high-bit mask, 128 bytes of
/// nibbles): see [`k4_block`].
#[target_feature(enable = "avx2")]
pub(crate) fn q5_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks256::<_, S, A, 176>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        k4_block(b, b[16..].first_chunk::<32>(), &b[48..], sink);
    })
}

/// ggml `IQ4_NL` blocks (18 bytes: `f16 d`, 16 bytes of nibbles, low
/// nibbles are elements 0–15): `x = d * kv[q]`, the levels looked up with
/// one byte shuffle per 16 values.
#[target_feature(enable = "avx2,f16c")]
pub(crate) fn iq4_nl<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks32::<S, A, 18>(blocks, p, out, |b| {
        let d = scale_f16c(b[0], b[1]);
        let [lo, hi] = levels(bytemuck::cast(*b[2..].first_chunk::<16>()?));
        let ([v0, v1], [v2, v3]) = (times16_i8(lo, d), times16_i8(hi, d));
        Some([v0, v1, v2, v3])
    })
}

/// ggml `IQ4_XS` blocks (136 bytes: `f16 d`, `u16 scales_h`, 4 bytes
/// `scales_l`, 128 bytes of nibbles): sub-block `b` of 32 is
/// `x = (d * (sc_b - 32)) * kv[q]` from 16 bytes (low nibbles first).
#[target_feature(enable = "avx2")]
pub(crate) fn iq4_xs<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks256::<_, S, A, 136>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        let dl = super::ggml::xs_scales(b);
        let (qs, _) = b[8..].as_chunks::<16>(); // 8 runs of 16 bytes
        for (i, (q, &dl)) in qs.iter().zip(&dl).enumerate() {
            let d = _mm256_set1_ps(dl);
            let [lo, hi] = levels(bytemuck::cast(*q));
            sink.put(2 * i, times16_i8(lo, d));
            sink.put(2 * i + 1, times16_i8(hi, d));
        }
    })
}

/// ggml `IQ3_S` blocks (110 bytes: `f16 d`, 64 + 8 bytes of grid indices,
/// 32 bytes of signs, 4 of scales): sub-block `s` of 32 values is
/// `x = (d * (1 + 2 sc)) * ±level`, eight grid rows and four sign bytes.
#[target_feature(enable = "avx2")]
pub(crate) fn iq3_s<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::{
        _mm256_and_si256, _mm256_castsi256_si128, _mm256_cmpeq_epi8, _mm256_extracti128_si256,
        _mm256_set1_epi32, _mm256_setr_epi8, _mm256_setr_epi32, _mm256_shuffle_epi8,
        _mm256_sub_epi8, _mm256_xor_si256,
    };
    let bits: __m256i = bytemuck::cast([0x8040_2010_0804_0201_u64; 4]);
    #[rustfmt::skip]
    let spread = _mm256_setr_epi8(
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
    );
    blocks256::<_, S, A, 110>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        let db = super::ggml::iq3_s_scales(b);
        let (qs, _) = b[2..66].as_chunks::<8>(); // 8 sub-blocks × 8 indices
        let (signs, _) = b[74..106].as_chunks::<4>(); // 8 sub-blocks × 4
        for (s, ((qs, signs), &db)) in qs.iter().zip(signs).zip(&db).enumerate() {
            // Row `g` of the grid: `qs[g]`, bit `g` of `qh[s]` as bit 8.
            let high = usize::from(b[66 + s]);
            let row = |g: usize| {
                let index = usize::from(qs[g]) | ((high >> g) & 1) << 8;
                i32::from_le_bytes(super::grid::IQ3S_GRID[index])
            };
            let levels = _mm256_setr_epi32(
                row(0),
                row(1),
                row(2),
                row(3),
                row(4),
                row(5),
                row(6),
                row(7),
            );
            // All ones in the lanes whose sign bit is set; there
            // `(g ^ -1) - -1` is `-g`.
            let signs = _mm256_set1_epi32(i32::from_le_bytes(*signs));
            let set = _mm256_and_si256(_mm256_shuffle_epi8(signs, spread), bits);
            let minus = _mm256_cmpeq_epi8(set, bits);
            let q = _mm256_sub_epi8(_mm256_xor_si256(levels, minus), minus);
            let d = _mm256_set1_ps(db);
            sink.put(2 * s, times16_i8(_mm256_castsi256_si128(q), d));
            sink.put(2 * s + 1, times16_i8(_mm256_extracti128_si256::<1>(q), d));
        }
    })
}

/// The `IQ4` levels (`i8`) of the low nibbles of the sixteen bytes of `q`
/// and of the high ones: one byte shuffle each.
#[target_feature(enable = "avx2")]
#[inline]
fn levels(q: __m128i) -> [__m128i; 2] {
    use core::arch::x86_64::{_mm_shuffle_epi8, _mm_xor_si128};
    let plus_128: __m128i = bytemuck::cast(super::ggml::IQ4_LEVELS_PLUS_128);
    let table = _mm_xor_si128(plus_128, _mm_set1_epi8(i8::MIN));
    nibbles(q).map(|n| _mm_shuffle_epi8(table, n))
}

/// `q[j] * d` for the sixteen `i8` values `q[j]` of `q`.
#[target_feature(enable = "avx2")]
#[inline]
fn times16_i8(q: __m128i, d: __m256) -> [__m256; 2] {
    use core::arch::x86_64::_mm256_cvtepi8_epi32;
    let f = |x: __m128i| _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(x)), d);
    [f(q), f(_mm_srli_si128::<8>(q))]
}

/// Crumb (2-bit field) `j` (`j < 4`) of each byte of `q`.
#[target_feature(enable = "avx2")]
#[inline]
fn crumbs(q: __m256i, j: usize) -> __m256i {
    use core::arch::x86_64::{_mm_cvtsi32_si128, _mm256_srl_epi16};
    let shifted = _mm256_srl_epi16(q, _mm_cvtsi32_si128(2 * j as i32));
    _mm256_and_si256(shifted, _mm256_set1_epi8(3))
}

/// Half `g` (`g < 2`: bytes `16g .. 16g + 16`) of `x`.
#[target_feature(enable = "avx2")]
#[inline]
fn half(x: __m256i, g: usize) -> __m128i {
    if g == 0 {
        _mm256_castsi256_si128(x)
    } else {
        _mm256_extracti128_si256::<1>(x)
    }
}

/// ggml `Q6_K` blocks (210 bytes: 128 bytes of low nibbles, 64 of 2-bit
/// high parts, 16 `i8` scales, `f16 d` last): `x = (d * sc) * (q - 32)`
/// with `q` the 6-bit value, in runs of 32 (ggml's `l` loop) of two
/// scales each ([`q6_run`]).
#[target_feature(enable = "avx2")]
pub(crate) fn q6_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    blocks256::<_, S, A, 210>(blocks, p, out, _mm256_set1_ps(p.times), |b, sink| {
        let Some(scales) = b[192..].first_chunk::<16>() else {
            return;
        };
        let dl = super::ggml::k6_scales(scales, f16_to_f32(u16::from_le_bytes([b[208], b[209]])));
        let (dl, _) = dl.as_chunks::<2>();
        for (k, dl) in dl.iter().enumerate() {
            let Some(q) = q6_run(b, k) else {
                continue;
            };
            for (g, &dl) in dl.iter().enumerate() {
                sink.put(2 * k + g, times16(half(q, g), 32, _mm256_set1_ps(dl)));
            }
        }
    })
}

/// Run `k` (`k < 8`) of the `Q6_K` block `b`: its 32 6-bit values `q`
/// (elements `32k ..`) as bytes. Elements 128 n + 32 quarter + l, l in
/// 0..32, for `k = 4n + quarter`: the low 4 bits from ql[64 n + 32
/// (quarter & 1) + l] (high nibbles for quarters 2, 3), the top 2 bits from
/// bits 2 quarter of qh[32 n + l].
#[target_feature(enable = "avx2")]
#[inline]
fn q6_run(b: &[u8; 210], k: usize) -> Option<__m256i> {
    let (ql, _) = b[..128].as_chunks::<32>(); // 4 × 32
    let (qh, _) = b[128..192].as_chunks::<32>(); // 2 × 32
    let (n, quarter) = (k / 4, k % 4);
    let l: __m256i = bytemuck::cast(*ql.get(2 * n + (quarter & 1))?);
    let h: __m256i = bytemuck::cast(*qh.get(n)?);
    let low = if quarter >= 2 {
        _mm256_srli_epi16::<4>(l)
    } else {
        l
    };
    let high = match quarter {
        0 => _mm256_slli_epi16::<4>(h),
        1 => _mm256_slli_epi16::<2>(h),
        2 => h,
        _ => _mm256_srli_epi16::<2>(h),
    };
    Some(_mm256_or_si256(
        _mm256_and_si256(low, _mm256_set1_epi8(0x0f)),
        _mm256_and_si256(high, _mm256_set1_epi8(0x30)),
    ))
}

/// A block scale (`f16`, little-endian) by F16C, broadcast: the software
/// widening's bits (a NaN quiet).
#[target_feature(enable = "avx2,f16c")]
#[inline]
fn scale_f16c(lo: u8, hi: u8) -> __m256 {
    use core::arch::x86_64::_mm256_broadcastss_ps;
    _mm256_broadcastss_ps(scale_lane0(lo, hi))
}

/// A block scale as [`scale_f16c`] makes it, in lane 0 (the AVX-512 bodies
/// broadcast it to sixteen).
#[target_feature(enable = "f16c")]
#[inline]
pub(super) fn scale_lane0(lo: u8, hi: u8) -> core::arch::x86_64::__m128 {
    use core::arch::x86_64::{_mm_cvtph_ps, _mm_cvtsi32_si128};
    _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(u16::from_le_bytes([lo, hi]))))
}

/// The low nibbles of the bytes of `q` and the high ones, as bytes.
#[target_feature(enable = "avx2")]
#[inline]
fn nibbles(q: __m128i) -> [__m128i; 2] {
    let mask = _mm_set1_epi8(0x0f);
    [
        _mm_and_si128(q, mask),
        _mm_and_si128(_mm_srli_epi16::<4>(q), mask),
    ]
}

/// The 32 nibbles of the sixteen bytes of `q` as dwords, in four octets:
/// the low nibbles of bytes 0–7 and 8–15, then the high ones. A byte shuffle
/// of `q` (in both halves) zero-extends eight bytes to dwords, the low
/// nibble is an AND of that and the high one a shift: two shuffles a block,
/// where byte-wise nibbles and `vpmovzxbd` take six.
#[target_feature(enable = "avx2")]
#[inline]
fn nibble_dwords(q: __m128i) -> [__m256i; 4] {
    use core::arch::x86_64::{
        _mm256_broadcastsi128_si256, _mm256_setr_epi8, _mm256_shuffle_epi8, _mm256_srli_epi32,
    };
    let q = _mm256_broadcastsi128_si256(q);
    let z = -1;
    let b0 = _mm256_shuffle_epi8(
        q,
        _mm256_setr_epi8(
            0, z, z, z, 1, z, z, z, 2, z, z, z, 3, z, z, z, 4, z, z, z, 5, z, z, z, 6, z, z, z, 7,
            z, z, z,
        ),
    );
    let b1 = _mm256_shuffle_epi8(
        q,
        _mm256_setr_epi8(
            8, z, z, z, 9, z, z, z, 10, z, z, z, 11, z, z, z, 12, z, z, z, 13, z, z, z, 14, z, z,
            z, 15, z, z, z,
        ),
    );
    let mask = _mm256_set1_epi32(0x0f);
    [
        _mm256_and_si256(b0, mask),
        _mm256_and_si256(b1, mask),
        _mm256_srli_epi32::<4>(b0),
        _mm256_srli_epi32::<4>(b1),
    ]
}

/// `(q[j] - bias) * d` for eight dwords `q[j]`.
#[target_feature(enable = "avx2")]
#[inline]
fn times8(q: __m256i, bias: i32, d: __m256) -> __m256 {
    _mm256_mul_ps(
        _mm256_cvtepi32_ps(_mm256_sub_epi32(q, _mm256_set1_epi32(bias))),
        d,
    )
}

/// `q[j] * d + m` for eight dwords `q[j]` (a multiply, then an add: no
/// fused multiply-add).
#[target_feature(enable = "avx2")]
#[inline]
fn times8_plus(q: __m256i, d: __m256, m: __m256) -> __m256 {
    _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q), d), m)
}

/// `(q[j] - bias) * d` for the sixteen bytes `q[j]` of `q`.
#[target_feature(enable = "avx2")]
#[inline]
fn times16(q: __m128i, bias: i32, d: __m256) -> [__m256; 2] {
    let f = |x: __m128i| {
        let x = _mm256_sub_epi32(_mm256_cvtepu8_epi32(x), _mm256_set1_epi32(bias));
        _mm256_mul_ps(_mm256_cvtepi32_ps(x), d)
    };
    [f(q), f(_mm_srli_si128::<8>(q))]
}

/// `q[j] * d - m` for the sixteen bytes `q[j]` of `q` (a multiply, then a
/// subtraction: no fused multiply-add).
#[target_feature(enable = "avx2")]
#[inline]
fn times16_minus(q: __m128i, d: __m256, m: __m256) -> [__m256; 2] {
    let f = |x: __m128i| {
        _mm256_sub_ps(
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)), d),
            m,
        )
    };
    [f(q), f(_mm_srli_si128::<8>(q))]
}

/// `q[j] * d + m` for the sixteen bytes `q[j]` of `q` (a multiply, then an
/// add: no fused multiply-add).
#[target_feature(enable = "avx2")]
#[inline]
fn times16_plus(q: __m128i, d: __m256, m: __m256) -> [__m256; 2] {
    let f = |x: __m128i| {
        _mm256_add_ps(
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)), d),
            m,
        )
    };
    [f(q), f(_mm_srli_si128::<8>(q))]
}
