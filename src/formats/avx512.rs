//! AVX-512 bodies of the `bf16`, `f16`, `i8`, FBGEMM 8- and 4-bit, `Q8_0`,
//! `Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `IQ4_NL`, `Q4_K` and `Q6_K` row decoders (`Format::avx512_body`), and the
//! gather's many-token loops over them ([`view_rows`], [`block_rows`]), for
//! x86_64 CPUs with AVX-512F (and AVX-512DQ and BW, which `crate::arch` asks
//! for with it): `#[target_feature]` functions with safe bodies, called only
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

use super::avx2::{Sink, add_chunk, add_for, blocks256};
use super::{Post, f16_to_f32};

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
///
/// Four sixteens an iteration: a one-token decode from cache is short
/// enough that the loop's own instructions (LLVM unrolled it twice, four
/// of ten an iteration for `bf16`) and the call around it bound it, not
/// the conversions. `examples/formats_speed`, `T=1`, D = 384, default
/// build, four runs alternating with the loop before, ratio to the f32
/// `memcpy`: `i8` 0.60–0.63 → 0.67–0.68, `bf16` 0.69–0.77 → 0.73–0.75,
/// FBGEMM 8 0.51–0.52 → 0.53–0.54; with `SCALE=1 ADD=1` `i8` 0.32 → 0.40,
/// FBGEMM 4 0.24–0.25 → 0.32–0.33; T = 512, D = 4096 and from DRAM within
/// noise. (Two blocks an iteration in [`blocks32`] gave nothing: those
/// bodies are bound by their shuffle port.)
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
    let n = o.len().min(s.len());
    let (Some(o), Some(s), Some(add)) = (o.get_mut(..n), s.get(..n), add_for::<A>(p, 16 * n))
    else {
        return 0;
    };
    let t = _mm512_set1_ps(p.times);
    let mut one = |o: &mut [f32; 16], s: &[u8; N], a: Option<&[f32; 16]>| {
        *o = bytemuck::cast(post::<S>(x(s), t, a));
    };
    // Four sixteens an iteration, the add row (with `A`) in step.
    let (o4, o_rest) = o.as_chunks_mut::<4>();
    let (s4, s_rest) = s.as_chunks::<4>();
    let (a4, a_rest) = add.as_chunks::<64>();
    let mut four = |o: &mut [[f32; 16]; 4], s: &[[u8; N]; 4], a: Option<&[[f32; 16]; 4]>| {
        for k in 0..4 {
            one(&mut o[k], &s[k], a.map(|a| &a[k]));
        }
    };
    if A {
        for ((o, s), a) in o4.iter_mut().zip(s4).zip(a4) {
            four(o, s, Some(bytemuck::cast_ref(a)));
        }
    } else {
        for (o, s) in o4.iter_mut().zip(s4) {
            four(o, s, None);
        }
    }
    for (i, (o, s)) in o_rest.iter_mut().zip(s_rest).enumerate() {
        one(o, s, add_chunk::<A, 16>(a_rest, 16 * i));
    }
    16 * n
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

/// `f16` → `f32` by `vcvtph2ps`: the reference's bits (exact for every
/// number; a NaN comes out quiet, sign and payload kept, as `vcvtph2ps`
/// makes it).
///
/// The reference kept a signalling NaN signalling until 2026-12-01, and
/// this body then ORed its source to find the rows that could hold one
/// (one `vpternlogd` and one load per 64 values, and an exact test where
/// the OR had every exponent bit), handing those to a fix-up. Without that:
/// `formats_speed f16`, `T=1`, D = 384, default build, ratio to the f32
/// `memcpy` over three seeds alternating, 0.61–0.63 → 0.73–0.79 (a check of
/// the source ahead of `each16`'s loop instead read 0.59–0.62).
#[target_feature(enable = "avx512f")]
pub(crate) fn f16<const S: bool, const A: bool>(src: &[u8], p: Post<'_>, out: &mut [f32]) -> usize {
    each16::<S, A, 32>(src, p, out, |h| _mm512_cvtph_ps(bytemuck::cast(*h)))
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

/// FBGEMM 8-bit row-wise: `out[j] = f32(q[j]) * scale + bias` (a multiply,
/// then an add), sixteen bytes a `vpmovzxbd`.
#[target_feature(enable = "avx512f")]
pub(crate) fn fbgemm8<const S: bool, const A: bool>(
    q: &[u8],
    scale: f32,
    bias: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm512_cvtepu8_epi32;
    let (s, b) = (_mm512_set1_ps(scale), _mm512_set1_ps(bias));
    each16::<S, A, 16>(q, p, out, |q| {
        let x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytemuck::cast(*q)));
        _mm512_add_ps(_mm512_mul_ps(x, s), b)
    })
}

/// FBGEMM 4-bit row-wise, from an even column: `x = q * scale + bias`,
/// element `2i` in the low nibble of byte `i`. The row's sixteen possible
/// values are made once with the reference's operations; each eight bytes
/// are doubled (`vpunpcklbw`), widened to dwords, the odd ones shifted by
/// four, and looked up by `vpermps` (which reads the low four bits).
#[target_feature(enable = "avx512f")]
pub(crate) fn fbgemm4<const S: bool, const A: bool>(
    q: &[u8],
    scale: f32,
    bias: f32,
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::{
        __m128i, _mm_unpacklo_epi8, _mm512_cvtepu8_epi32, _mm512_permutexvar_ps, _mm512_srlv_epi32,
    };
    let levels: __m512 = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    let t = _mm512_add_ps(
        _mm512_mul_ps(levels, _mm512_set1_ps(scale)),
        _mm512_set1_ps(bias),
    );
    let odd_shift = bytemuck::cast([0u32, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4]);
    each16::<S, A, 8>(q, p, out, |q| {
        let x: __m128i = bytemuck::cast([*q, [0; 8]]);
        let v = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(x, x));
        _mm512_permutexvar_ps(_mm512_srlv_epi32(v, odd_shift), t)
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

/// The little-endian `f16` of bytes `lo`, `hi` as sixteen `f32`s (a block
/// scale, by F16C as the AVX2 bodies make it).
#[target_feature(enable = "avx512f,f16c")]
#[inline]
fn half(lo: u8, hi: u8) -> __m512 {
    use core::arch::x86_64::_mm512_broadcastss_ps;
    _mm512_broadcastss_ps(super::avx2::scale_lane0(lo, hi))
}

/// The little-endian `f16` of `b`'s first two bytes (a block's scale
/// field) as sixteen `f32`s, by a `vcvtph2ps` that reads `b` from memory
/// and a broadcast: where [`half`] takes a `vpbroadcastw` and a 64-byte
/// conversion, a shuffle more. The same bits: both convert by F16C. The
/// conversion is `{sae}`-free, so the load folds in, and only its low lane
/// is used, so the compiler narrows it to four values. `Q4_0` and `IQ4_NL`
/// (`examples/formats_speed`, `T=1`, D = 384, default build, five runs
/// alternating with [`half`], ratio to the f32 `memcpy`): one token 0.48 /
/// 0.48–0.50 → 0.51–0.53 / 0.51–0.54, one token of D = 4096 0.77–0.78 /
/// 0.77 → 0.95 / 0.93, from DRAM (`DRAM=1`) 1.39–1.49 / 1.39–1.51 →
/// 1.48–1.55 / 1.48–1.55, T = 512 the same. `Q5_0` and `Q5_1`
/// ([`scale_pair`]: `d` and `m`) too (three runs alternating with [`half`],
/// when they read `b` from a second view of the blocks: one token `Q5_0`
/// 0.28 → 0.30, `Q5_1` 0.23 → 0.24–0.25; of D = 4096 0.45 → 0.50 and 0.33
/// → 0.36; from DRAM 1.01–1.05 → 1.02–1.07 and 0.90–0.92 → 0.93–0.97; T =
/// 512 `Q5_1` 0.94 → 1.02). Not taken for `Q4_1` (from the block: 0.40 →
/// 0.40–0.41; it had one conversion for `d` and `m` already), nor for
/// `Q8_0` (see [`q8_0`]).
#[target_feature(enable = "avx512f")]
#[inline]
fn scale_of(b: &[u8; 16]) -> __m512 {
    scale_pair(b).0
}

/// The first two little-endian `f16`s of `b` (`Q5_1`'s `d` and `m`) as
/// sixteen `f32`s each: one conversion from memory, as [`scale_of`] (the
/// first of the two) explains, then a broadcast of each lane.
#[target_feature(enable = "avx512f")]
#[inline]
fn scale_pair(b: &[u8; 16]) -> (__m512, __m512) {
    use core::arch::x86_64::{
        _MM_FROUND_CUR_DIRECTION, _mm_movehdup_ps, _mm512_broadcastss_ps, _mm512_castps512_ps128,
        _mm512_cvt_roundph_ps,
    };
    let v = _mm512_cvt_roundph_ps::<_MM_FROUND_CUR_DIRECTION>(bytemuck::cast([*b, [0; 16]]));
    let v = _mm512_castps512_ps128(v);
    (
        _mm512_broadcastss_ps(v),
        _mm512_broadcastss_ps(_mm_movehdup_ps(v)),
    )
}

/// The little-endian `f16`s `d` (bytes 0–1 of `dm`) and `m` (bytes 2–3) as
/// sixteen `f32`s each: one `vcvtph2ps` of the four bytes broadcast
/// (`[d, m, d, m, ...]`), then `vmovsldup` and `vmovshdup`, where two
/// [`half`]s take a `vpbroadcastw` and a `vcvtph2ps` each. The same bits:
/// both convert by F16C. `Q4_1`, default build, two runs alternating: one
/// token 0.34–0.35 → 0.41–0.54 of the f32 `memcpy`, from DRAM 1.06–1.10 →
/// 1.13–1.19.
#[target_feature(enable = "avx512f")]
#[inline]
fn halves(dm: [u8; 4]) -> (__m512, __m512) {
    use core::arch::x86_64::{
        _mm256_set1_epi32, _mm512_cvtph_ps, _mm512_movehdup_ps, _mm512_moveldup_ps,
    };
    let v = _mm512_cvtph_ps(_mm256_set1_epi32(i32::from_le_bytes(dm)));
    (_mm512_moveldup_ps(v), _mm512_movehdup_ps(v))
}

/// ggml `Q8_0` blocks (34 bytes: `f16 d`, 32 `i8`): `x = q * d`, sixteen
/// bytes a `vpmovsxbd` from memory, the scale by a 128-bit `vcvtph2ps` that
/// reads the block (its low lane: the same F16C bits as [`scale_of`]) and a
/// broadcast. [`scale_of`]'s 512-bit conversion, read from the block itself,
/// made the compiler load the first sixteen quants as two `vmovq` and a
/// `vpunpcklqdq`; until 2026-12-02 the body read it from a second view of
/// the blocks, passed through `core::hint::black_box` (a pointer more a
/// block). This form folds all three loads. `examples/formats_speed`,
/// default build, alternating with that body: one token (`T=1`, D = 384)
/// 0.44–0.52 → 0.45–0.66 of the f32 `memcpy` over eight seeds (medians
/// 0.48 → 0.515), T = 512 1.16–1.24 → 1.20–1.28 over three; one token of
/// D = 4096, D = 4096 × 512 and from DRAM within noise.
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q8_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::{_mm_cvtph_ps, _mm_cvtss_f32};
    blocks32::<S, A, 34>(blocks, p, out, |b| {
        let [_, _, ref q @ ..] = *b;
        let head = b.first_chunk::<16>().unwrap_or(&[0; 16]);
        let d = _mm512_set1_ps(_mm_cvtss_f32(_mm_cvtph_ps(bytemuck::cast(*head))));
        let q: [[u8; 16]; 2] = bytemuck::cast(*q);
        q.map(|q| {
            _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(q))),
                d,
            )
        })
    })
}

/// The sixteen bytes of `q` as dwords, looked up by their low nibbles in
/// `low` (elements 0–15 of a block) and by their high ones in `high`
/// (16–31): `vpermps` takes the low four bits of each dword as its index,
/// so one `vpmovzxbd`, a shift and two permutes give 32 values. The tables
/// hold a block's sixteen possible values, made with the reference's
/// operations from the levels (`(q - 8) · d`, `q · d + m`, ...), so each
/// value has the reference's bits, where a mask, a conversion and the
/// arithmetic per sixteen values took three or four more instructions.
/// `examples/formats_speed`, `T=1`, D = 384, default build, two alternating
/// runs, ratio to the f32 `memcpy` (AVX2 bodies → these): `Q4_0` 0.27 / 0.33
/// → 0.44 / 0.45, `IQ4_NL` 0.27 / 0.28 → 0.45 / 0.45, `Q4_1` 0.26 / 0.29 →
/// 0.30 / 0.30; 512 tokens unchanged (1.07–1.15).
#[target_feature(enable = "avx512f")]
#[inline]
fn nibbles_in(q: &[u8; 16], low: __m512, high: __m512) -> [__m512; 2] {
    use core::arch::x86_64::{_mm512_cvtepu8_epi32, _mm512_permutexvar_ps, _mm512_srli_epi32};
    let q = _mm512_cvtepu8_epi32(bytemuck::cast(*q));
    [
        _mm512_permutexvar_ps(q, low),
        _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(q), high),
    ]
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
/// are elements 0–15): `x = (q - 8) * d`, looked up ([`nibbles_in`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q4_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(NIBBLES, 8.0) });
    blocks32::<S, A, 18>(blocks, p, out, |b @ &[_, _, ref q @ ..]| {
        let &[ref head @ .., _, _] = b;
        let t = _mm512_mul_ps(levels, scale_of(head));
        nibbles_in(q, t, t)
    })
}

/// ggml `Q4_1` blocks (20 bytes: `f16 d`, `f16 m`, 16 bytes of nibbles,
/// low nibbles first): `x = q * d + m` (a multiply, then an add), looked up
/// ([`nibbles_in`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q4_1<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    blocks32::<S, A, 20>(blocks, p, out, |&[d0, d1, m0, m1, ref q @ ..]| {
        let (d, m) = halves([d0, d1, m0, m1]);
        let t = _mm512_add_ps(_mm512_mul_ps(levels, d), m);
        nibbles_in(q, t, t)
    })
}

/// ggml `IQ4_NL` blocks (18 bytes: `f16 d`, 16 bytes of nibbles, low
/// nibbles are elements 0–15): `x = d * kv[q]`, looked up
/// ([`nibbles_in`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn iq4_nl<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let levels = bytemuck::cast(const { levels(super::ggml::IQ4_LEVELS_PLUS_128, 128.0) });
    blocks32::<S, A, 18>(blocks, p, out, |b @ &[_, _, ref q @ ..]| {
        let &[ref head @ .., _, _] = b;
        let t = _mm512_mul_ps(levels, scale_of(head));
        nibbles_in(q, t, t)
    })
}

/// The 32 five-bit values of a `Q5_0`/`Q5_1` block, looked up: `qs`
/// holds the low four bits (low nibbles elements 0–15, high ones 16–31),
/// bit `j` of `qh` bit 4 of element `j`; `lo` holds the values of
/// `q = 0..16`, `hi` those of `16..32`. Each sixteen is one `vpermps` in
/// `lo` and one in `hi` under the mask of its `qh` bits.
#[target_feature(enable = "avx512f")]
#[inline]
fn five_bits_in(qs: &[u8; 16], qh: [u8; 4], lo: __m512, hi: __m512) -> [__m512; 2] {
    use core::arch::x86_64::{
        _mm512_cvtepu8_epi32, _mm512_mask_permutexvar_ps, _mm512_permutexvar_ps, _mm512_srli_epi32,
    };
    let q = _mm512_cvtepu8_epi32(bytemuck::cast(*qs));
    let [h0, h1, h2, h3] = qh;
    let [k0, k1] = [u16::from_le_bytes([h0, h1]), u16::from_le_bytes([h2, h3])];
    let h = _mm512_srli_epi32::<4>(q);
    [
        _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(q, lo), k0, q, hi),
        _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(h, lo), k1, h, hi),
    ]
}

/// ggml `Q5_0` blocks (22 bytes: `f16 d`, `u32 qh`, 16 bytes of nibbles):
/// `x = (q - 16) * d`, looked up ([`five_bits_in`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q5_0<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let lo = bytemuck::cast(const { levels(NIBBLES, 16.0) });
    let hi = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    blocks32::<S, A, 22>(blocks, p, out, |b| {
        let [_, _, h0, h1, h2, h3, ref q @ ..] = *b;
        let d = scale_of(b.first_chunk().unwrap_or(&[0; 16]));
        five_bits_in(
            q,
            [h0, h1, h2, h3],
            _mm512_mul_ps(lo, d),
            _mm512_mul_ps(hi, d),
        )
    })
}

/// ggml `Q5_1` blocks (24 bytes: `f16 d`, `f16 m`, `u32 qh`, 16 bytes of
/// nibbles): `x = q * d + m` (a multiply, then an add), looked up
/// ([`five_bits_in`]).
#[target_feature(enable = "avx512f,f16c")]
pub(crate) fn q5_1<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    let lo = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    let hi = bytemuck::cast(const { levels(NIBBLES, -16.0) });
    blocks32::<S, A, 24>(blocks, p, out, |b| {
        let [_, _, _, _, h0, h1, h2, h3, ref q @ ..] = *b;
        let (d, m) = scale_pair(b.first_chunk().unwrap_or(&[0; 16]));
        let table = |l| _mm512_add_ps(_mm512_mul_ps(l, d), m);
        five_bits_in(q, [h0, h1, h2, h3], table(lo), table(hi))
    })
}

impl<const S: bool, const A: bool> Sink<'_, __m512, S, A> {
    /// Values `16k .. 16k + 16` of the block (`k < 16`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn put(&mut self, k: usize, v: __m512) {
        let add = add_chunk::<A, 16>(self.add, self.at + 16 * k);
        if let Some(o) = self.out.get_mut(k) {
            *o = bytemuck::cast(post::<S>(v, self.t, add));
        }
    }
}

/// ggml `Q4_K` blocks (144 bytes: `f16 d`, `f16 dmin`, 12 bytes of packed
/// 6-bit scales and mins, 128 bytes of nibbles): sub-block `j` of 32 is
/// `x = (d * sc_j) * q - (dmin * m_j)` (a multiply, then a subtraction), 64
/// values from each 32 bytes (low nibbles first), each nibble looked up in
/// its sub-block's sixteen values ([`nibbles_in`]).
#[target_feature(enable = "avx512f")]
pub(crate) fn q4_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    q4_k_with::<S, A, true>(blocks, p, out)
}

/// [`q4_k`], the sub-blocks' `d * sc` and `dmin * m` read from memory
/// (`MEMORY`, through `black_box`: each broadcast is then a load, where the
/// compiler otherwise made it from registers by shuffles) or not, in the
/// many-token loop ([`block_rows`]), as for [`q6_k_with`].
/// `examples/formats_speed q4_k`, default build, two runs alternating: one
/// token of D = 512 0.30–0.31 → 0.34 of the f32 `memcpy`, from DRAM
/// 1.01–1.02 → 1.02–1.08, of D = 4096 0.46 → 0.52–0.54; 512 tokens of
/// D = 4096, whose long rows take this row decode, 0.98–0.99 → 0.91–0.93
/// in those runs, 0.98–0.99 in two later ones.
#[target_feature(enable = "avx512f")]
#[inline]
fn q4_k_with<const S: bool, const A: bool, const MEMORY: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::_mm512_sub_ps;
    let levels = bytemuck::cast(const { levels(NIBBLES, 0.0) });
    blocks256::<_, S, A, 144>(blocks, p, out, _mm512_set1_ps(p.times), |b, sink| {
        let Some((&[d0, d1, m0, m1, ref s @ ..], qs)) = b.split_first_chunk::<16>() else {
            return;
        };
        let d = f16_to_f32(u16::from_le_bytes([d0, d1]));
        let dmin = f16_to_f32(u16::from_le_bytes([m0, m1]));
        let (dl, ml) = super::ggml::k4_scales(s, d, dmin);
        let (dl, ml) = if MEMORY {
            core::hint::black_box((dl, ml))
        } else {
            (dl, ml)
        };
        let (dl, ml) = (dl.as_chunks::<2>().0, ml.as_chunks::<2>().0);
        let table =
            |d, m| _mm512_sub_ps(_mm512_mul_ps(levels, _mm512_set1_ps(d)), _mm512_set1_ps(m));
        for (c, (q, (&[da, db], &[ma, mb]))) in qs
            .as_chunks::<32>()
            .0
            .iter()
            .zip(dl.iter().zip(ml))
            .enumerate()
        {
            let (ta, tb) = (table(da, ma), table(db, mb));
            if let (Some(q0), Some(q1)) = (q.first_chunk::<16>(), q.last_chunk::<16>()) {
                let ([l0, h0], [l1, h1]) = (nibbles_in(q0, ta, tb), nibbles_in(q1, ta, tb));
                sink.put(4 * c, l0);
                sink.put(4 * c + 1, l1);
                sink.put(4 * c + 2, h0);
                sink.put(4 * c + 3, h1);
            }
        }
    })
}

/// ggml `Q6_K` blocks (210 bytes: 128 bytes of low nibbles, 64 of 2-bit
/// high parts, 16 `i8` scales, `f16 d` last): `x = (d * sc) * (q - 32)`.
/// Each half block's 128 6-bit values are made as bytes on 64-byte
/// vectors, `q - 32` with them (its 64 bytes of nibbles, and its 32 bytes
/// of high parts broadcast to both halves and shifted per half by
/// `vpsllvw`/`vpsrlvw`), then sixteen values a `vpmovsxbd`, `vcvtdq2ps` and
/// a multiply by their `d * sc`. The sixteen `d * sc` are one vector (F16C's
/// `d` times a `vpmovsxbd` of the scales) that goes through memory
/// (`black_box`), so each multiply reads its scale from there (`{1to16}`)
/// where the compiler otherwise broadcast it by shuffles, on the port the
/// widening needs. `examples/formats_speed q6_k`, default build, two runs
/// alternating with the 32-byte runs and the shuffled scales before: one
/// token of D = 512 0.29–0.30 → 0.38–0.39 of the f32 `memcpy`, from DRAM
/// 0.86–0.87 → 0.95, of D = 4096 0.45–0.46 → 0.62; 512 tokens 1.15–1.23 →
/// 1.11–1.17 (D = 4096: 0.96–1.02 → 0.89–0.96). The bytes through memory
/// too, each widening reading its sixteen: 0.36 from cache, 0.84–0.87 from
/// DRAM.
#[target_feature(enable = "avx512f,avx512bw,avx2,f16c")]
pub(crate) fn q6_k<const S: bool, const A: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    q6_k_with::<S, A, true>(blocks, p, out)
}

/// [`q6_k`], each sixteen's `d * sc` read from memory (`MEMORY`) or picked
/// by `vpermps`. The many-token loop ([`block_rows`]) takes the second:
/// there the `black_box` cost more than the shuffles (T = 512, D = 512:
/// 1.14–1.30 → 1.02–1.07 of the `memcpy`, against 1.12–1.18 with them).
#[target_feature(enable = "avx512f,avx512bw,avx2,f16c")]
#[inline]
fn q6_k_with<const S: bool, const A: bool, const MEMORY: bool>(
    blocks: &[u8],
    p: Post<'_>,
    out: &mut [f32],
) -> usize {
    use core::arch::x86_64::{
        __m512i, _mm512_and_si512, _mm512_broadcast_i64x4, _mm512_or_si512, _mm512_permutexvar_ps,
        _mm512_set1_epi8, _mm512_set1_epi32, _mm512_sllv_epi16, _mm512_srli_epi16,
        _mm512_srlv_epi16, _mm512_sub_epi8,
    };
    use core::hint::black_box;
    // Per 16-bit lane: the first 32 bytes' shift, then the last 32 bytes'.
    let counts = |a: u16, b: u16| -> __m512i {
        let mut c = [a; 32];
        c[16..].fill(b);
        bytemuck::cast(c)
    };
    let (up, down) = (counts(4, 2), counts(0, 2));
    blocks256::<_, S, A, 210>(blocks, p, out, _mm512_set1_ps(p.times), |b, sink| {
        let (Some(ql), Some(qh), Some(scales), Some(&[d0, d1])) = (
            b.first_chunk::<128>(),
            b[128..].first_chunk::<64>(),
            b[192..].first_chunk::<16>(),
            b.last_chunk::<2>(),
        ) else {
            return;
        };
        let sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(*scales)));
        let dl = _mm512_mul_ps(half(d0, d1), sc);
        let in_memory: [f32; 16] = if MEMORY {
            black_box(bytemuck::cast(dl))
        } else {
            [0.0; 16]
        };
        let (m4, m30, c32) = (
            _mm512_set1_epi8(0x0f),
            _mm512_set1_epi8(0x30),
            _mm512_set1_epi8(32),
        );
        for (n, (l, h)) in ql
            .as_chunks::<64>()
            .0
            .iter()
            .zip(qh.as_chunks::<32>().0)
            .enumerate()
        {
            let l: __m512i = bytemuck::cast(*l);
            let h = _mm512_broadcast_i64x4(bytemuck::cast(*h));
            let six = |l, h| _mm512_sub_epi8(_mm512_or_si512(l, _mm512_and_si512(h, m30)), c32);
            let low = six(_mm512_and_si512(l, m4), _mm512_sllv_epi16(h, up));
            let high = six(
                _mm512_and_si512(_mm512_srli_epi16::<4>(l), m4),
                _mm512_srlv_epi16(h, down),
            );
            for (k, q) in [low, high].into_iter().enumerate() {
                let q: [[u8; 16]; 4] = bytemuck::cast(q);
                for (i, q) in q.iter().enumerate() {
                    let g = 8 * n + 4 * k + i;
                    let x = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(*q)));
                    let dl = if MEMORY {
                        _mm512_set1_ps(in_memory.get(g).copied().unwrap_or(0.0))
                    } else {
                        _mm512_permutexvar_ps(_mm512_set1_epi32(g as i32), dl)
                    };
                    sink.put(g, _mm512_mul_ps(x, dl));
                }
            }
        }
    })
}

/// [`avx2::block_rows`](super::avx2::block_rows) compiled for AVX-512, for
/// the formats with an AVX-512 body (`Format::avx512_body`; `false`, nothing written,
/// for the others): the gather's token loop with each row's body inlined, so
/// a row costs no call and no `vzeroupper`. (The other formats keep the AVX2
/// loop: an AVX2 body in this loop read slower, `Q5_0`'s, before it had an
/// AVX-512 one, 0.81–0.82× the `memcpy` against 0.94–0.99 there, default
/// build, T = 512.)
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx2,f16c")]
pub(crate) fn block_rows<B: super::Block, const S: bool, const A: bool>(
    table: &super::BlockTable<'_, B>,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    use super::Format;
    super::avx2::table_rows::<B, A>(
        table,
        tokens,
        p,
        out,
        stride,
        |src, p, row| match B::FORMAT {
            Format::Q8_0 => q8_0::<S, A>(src, p, row),
            Format::Q4_0Split => q4_0::<S, A>(src, p, row),
            Format::Q4_1Split => q4_1::<S, A>(src, p, row),
            Format::Q5_0Split => q5_0::<S, A>(src, p, row),
            Format::Q5_1Split => q5_1::<S, A>(src, p, row),
            Format::Iq4NlSplit => iq4_nl::<S, A>(src, p, row),
            Format::Q4KSplit => q4_k_with::<S, A, false>(src, p, row),
            Format::Q6KSplit => q6_k_with::<S, A, false>(src, p, row),
            _ => 0,
        },
    )
}

/// [`avx2::view_rows`](super::avx2::view_rows) compiled for AVX-512: the
/// view's decode and its AVX-512 body (through `crate::arch`, whose check
/// is one cached load) inline into the token loop.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx2,f16c")]
pub(crate) fn view_rows<V: super::DecodePost, const S: bool, const A: bool>(
    view: &V,
    tokens: &[u32],
    p: Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    super::avx2::view_rows_in::<V, S, A>(view, tokens, p, out, stride)
}
