//! Target instructions that safe Rust cannot reach: the crate's only
//! `unsafe` code, each call under a `// SAFETY:` comment.
//!
//! - `prefetch`: `_mm_prefetch`, the cache hint the gather issues for the
//!   rows of upcoming tokens (see `prefetch.rs`); x86_64 only, and SSE is
//!   part of its baseline.
//! - `bf16_rows` / `f16_rows`: the widening of `bf16` and `f16` rows with
//!   AVX2 (256-bit stores, twice SSE2's 16 bytes) and, for `f16`, F16C's
//!   `vcvtph2ps`, wherever the CPU runs them: always on a build that
//!   enables AVX2 and F16C (`-C target-cpu=native` on any x86-64-v3
//!   machine), and on a default x86_64 build when `cpuid` finds them at run
//!   time (once; the answer is cached). The results are the same bits as
//!   the SSE2 and portable decoders' on every input (NaN payloads too), so
//!   only the speed depends on the CPU. Both are `#[target_feature]`
//!   functions with safe bodies; calling one is the `unsafe` part, sound
//!   only where the CPU has the features, which is what `avx2_f16c`
//!   establishes.
//! - `detect`: `xgetbv`, which tells whether the OS saves the AVX
//!   registers (a CPU can have AVX2 that the OS does not enable).

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use core::sync::atomic::{AtomicU8, Ordering};

/// Hints the cache line holding `x` into every cache level (`T0`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    // SAFETY: `_mm_prefetch` only hints the cache hierarchy. It never faults
    // (even on an invalid address) and has no effect visible to the program;
    // the pointer comes from a live reference anyway. SSE is part of the
    // x86_64 baseline, so the instruction always exists.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            core::ptr::from_ref(x).cast(),
        );
    }
}

/// Whether AVX2 and F16C instructions can run here: `true` on a build that
/// enables both (a compile-time constant), otherwise what `cpuid` and
/// `xgetbv` say, asked once. `false` under Miri without those features
/// (it cannot run `cpuid`) and with `--cfg inlayer_force_scalar`.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn avx2_f16c() -> bool {
    /// 0: not asked yet, 1: no, 2: yes.
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    if cfg!(inlayer_force_scalar) {
        return false;
    }
    if cfg!(all(target_feature = "avx2", target_feature = "f16c")) {
        return true;
    }
    if cfg!(miri) {
        return false;
    }
    match DETECTED.load(Ordering::Relaxed) {
        0 => {
            let yes = detect();
            DETECTED.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        d => d == 2,
    }
}

/// Asks the CPU: AVX, F16C and OSXSAVE in `cpuid` leaf 1, AVX2 in leaf 7,
/// and the XMM and YMM state enabled by the OS in `XCR0`.
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn detect() -> bool {
    use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    const OSXSAVE_AVX_F16C: u32 = (1 << 27) | (1 << 28) | (1 << 29);
    const XMM_YMM: u64 = 0b110;
    // SAFETY: `cpuid` exists on every x86_64 CPU and only reads
    // identification registers (a safe function in newer Rust; `unsafe` up
    // to the 1.89 this crate supports).
    #[allow(unused_unsafe)]
    let (max_leaf, leaf1) = unsafe { (__cpuid(0).eax, __cpuid(1).ecx) };
    if max_leaf < 7 || leaf1 & OSXSAVE_AVX_F16C != OSXSAVE_AVX_F16C {
        return false;
    }
    // SAFETY: OSXSAVE (checked above) means the OS enabled XSAVE, so
    // `xgetbv` exists and register 0 (XCR0) can be read.
    let xcr0 = unsafe { _xgetbv(0) };
    // SAFETY: as for leaf 0 and 1 above; leaf 7 exists (`max_leaf >= 7`).
    #[allow(unused_unsafe)]
    let leaf7 = unsafe { __cpuid_count(7, 0).ebx };
    xcr0 & XMM_YMM == XMM_YMM && leaf7 & (1 << 5) != 0
}

#[cfg(all(target_arch = "x86_64", miri))]
fn detect() -> bool {
    false
}

/// Widens the leading values of a `bf16` row (`src`: two little-endian
/// bytes a value) into `out` with AVX2 where the CPU runs it but the build
/// does not enable it (see `avx2_f16c`); returns how many were written:
/// `min(src.len() / 2, out.len())`, or 0, and the caller's lanes do the
/// rest. A build that enables AVX2 has 256-bit lanes already, which are
/// faster there than this loop (LLVM widens it to 512 bits on an AVX-512
/// build: cache D = 384 read 0.93–0.94× the f32 `memcpy` against the
/// lanes' 1.00–1.02×).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn bf16_rows(src: &[u8], out: &mut [f32]) -> usize {
    if cfg!(target_feature = "avx2") || !avx2_f16c() {
        return 0;
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2
    // (and F16C), the features `bf16_avx2` is compiled for; it takes slices
    // and writes only through `out`.
    unsafe { bf16_avx2(src, out) }
}

/// The `bf16` widening as a plain loop, which LLVM vectorizes with AVX2
/// (`vpmovzxwd` and `vpslld`, eight values a 32-byte store).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn bf16_avx2(src: &[u8], out: &mut [f32]) -> usize {
    let (halves, _) = src.as_chunks::<2>();
    for (o, h) in out.iter_mut().zip(halves) {
        *o = f32::from_bits(u32::from(u16::from_le_bytes(*h)) << 16);
    }
    out.len().min(halves.len())
}

/// Widens the leading whole octets of an `f16` row (`src`: two
/// little-endian bytes a value) into `out` with F16C where it runs (see
/// `avx2_f16c`); returns how many values were written (a multiple of 8), 0
/// where F16C does not run. The caller's decoder does the rest.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn f16_rows(src: &[u8], out: &mut [f32]) -> usize {
    if !avx2_f16c() {
        return 0;
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2
    // and F16C, the features `f16_f16c` is compiled for; it takes slices
    // and writes only through `out`.
    unsafe { f16_f16c(src, out) }
}

/// `vcvtph2ps` on every octet, noting whether any lane was a NaN; only a row
/// that held one is widened again with the NaN fix-up of `f16x8_f16c` (a
/// NaN-free row, the common case, then costs a conversion, a compare and an
/// OR an octet instead of six instructions).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
fn f16_f16c(src: &[u8], out: &mut [f32]) -> usize {
    use core::arch::x86_64::{
        _CMP_UNORD_Q, _mm256_cmp_ps, _mm256_cvtph_ps, _mm256_movemask_ps, _mm256_or_ps,
        _mm256_setzero_ps,
    };
    let (s, _) = src.as_chunks::<16>();
    let (o, _) = out.as_chunks_mut::<8>();
    let mut nan = _mm256_setzero_ps();
    for (o, s) in o.iter_mut().zip(s) {
        let x = _mm256_cvtph_ps(bytemuck::cast(*s));
        nan = _mm256_or_ps(nan, _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x));
        *o = bytemuck::cast(x);
    }
    if _mm256_movemask_ps(nan) != 0 {
        for (o, s) in o.iter_mut().zip(s) {
            *o = f16x8_f16c(s);
        }
    }
    8 * o.len().min(s.len())
}

/// Eight little-endian `f16` (16 bytes) widened to `f32` by F16C, bit for
/// bit the values of the software widening (`formats::lanes`): exact, NaN
/// payloads kept, a signalling NaN still signalling.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
#[inline]
fn f16x8_f16c(b: &[u8; 16]) -> [f32; 8] {
    use core::arch::x86_64::{
        __m128i, _CMP_UNORD_Q, _mm256_blendv_ps, _mm256_castsi256_ps, _mm256_cmp_ps,
        _mm256_cvtepi16_epi32, _mm256_cvtph_ps, _mm256_or_si256, _mm256_set1_epi32,
        _mm256_slli_epi32,
    };
    let h: __m128i = bytemuck::cast(*b);
    let x = _mm256_cvtph_ps(h);
    // `vcvtph2ps` quiets a signalling NaN; the software widening keeps every
    // NaN's bits. NaN lanes take them from the input instead: the sign
    // (sign-extended to bits 29..31 by the widening to 32 bits), the
    // all-ones exponent, the ten payload bits at 13..22.
    let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
    let bits = _mm256_or_si256(
        _mm256_slli_epi32::<13>(_mm256_cvtepi16_epi32(h)),
        _mm256_set1_epi32(0x7f80_0000),
    );
    bytemuck::cast(_mm256_blendv_ps(x, _mm256_castsi256_ps(bits), nan))
}

/// `out[j] = f32(src[j] as i8) * scale` for the leading values, with AVX2
/// (or wider) wherever the CPU runs it; returns how many were written (0
/// elsewhere: the caller's lanes do the rest). LLVM's loop beats the lanes
/// on AVX-512 builds too (`formats_speed i8`, native, D = 384: cache
/// 0.89–0.92 → 0.98–1.00× the f32 `memcpy`, one token 0.57 → 0.70–0.72).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn i8_rows(src: &[u8], scale: f32, out: &mut [f32]) -> usize {
    if !avx2_f16c() {
        return 0;
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2,
    // the feature `i8_avx2` is compiled for; it writes only through `out`.
    unsafe { i8_avx2(src, scale, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn i8_avx2(src: &[u8], scale: f32, out: &mut [f32]) -> usize {
    for (o, &q) in out.iter_mut().zip(src) {
        *o = f32::from(q as i8) * scale;
    }
    out.len().min(src.len())
}

/// Decodes the leading whole ggml `Q8_0` blocks (34 bytes: `f16 d`, 32
/// `i8`) of `blocks` into `out` (32 values a block), with AVX2 (or wider)
/// wherever the CPU runs it; returns how many values were written (0
/// elsewhere). Also faster than the lanes on AVX-512 builds (native, D =
/// 384: cache 0.83 → 0.86–0.88, one token 0.54–0.55 → 0.61–0.64).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn q8_0_rows(blocks: &[u8], out: &mut [f32]) -> usize {
    if !avx2_f16c() {
        return 0;
    }
    // SAFETY: as for `i8_rows`.
    unsafe { q8_0_avx2(blocks, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn q8_0_avx2(blocks: &[u8], out: &mut [f32]) -> usize {
    let (b, _) = blocks.as_chunks::<34>();
    let (o, _) = out.as_chunks_mut::<32>();
    for (o, b) in o.iter_mut().zip(b) {
        let d = crate::formats::f16_to_f32(u16::from_le_bytes([b[0], b[1]]));
        for (o, &q) in o.iter_mut().zip(&b[2..]) {
            *o = f32::from(q as i8) * d;
        }
    }
    32 * o.len().min(b.len())
}

/// Decodes the leading whole ggml `Q4_0` blocks (18 bytes: `f16 d`, 16
/// bytes of nibbles, low nibbles first) like [`q8_0_rows`], but only where
/// the build does not enable AVX2: on an AVX-512 build the lanes are a
/// little faster (0.72–0.74 against 0.66–0.68).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn q4_0_rows(blocks: &[u8], out: &mut [f32]) -> usize {
    if cfg!(target_feature = "avx2") || !avx2_f16c() {
        return 0;
    }
    // SAFETY: as for `i8_rows`.
    unsafe { q4_0_avx2(blocks, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn q4_0_avx2(blocks: &[u8], out: &mut [f32]) -> usize {
    use core::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_set1_epi8, _mm_srli_epi16, _mm_srli_si128,
    };
    // As plain loops LLVM vectorizes this one across blocks, with gathers
    // (0.25× the f32 memcpy); so the nibbles are split by hand: one AND and
    // one 16-bit shift a block, then a widening, a subtraction, a
    // conversion and a multiply an octet.
    let (b, _) = blocks.as_chunks::<18>();
    let (o, _) = out.as_chunks_mut::<32>();
    let mask = _mm_set1_epi8(0x0f);
    for (o, b) in o.iter_mut().zip(b) {
        let d = crate::formats::f16_to_f32(u16::from_le_bytes([b[0], b[1]]));
        let (qs, _) = b[2..].as_chunks::<16>();
        let (o, _) = o.as_chunks_mut::<8>();
        if let ([qs], [o0, o1, o2, o3]) = (qs, o) {
            let q: __m128i = bytemuck::cast(*qs);
            let lo = _mm_and_si128(q, mask);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(q), mask);
            *o0 = nibbles8_times(lo, d);
            *o1 = nibbles8_times(_mm_srli_si128::<8>(lo), d);
            *o2 = nibbles8_times(hi, d);
            *o3 = nibbles8_times(_mm_srli_si128::<8>(hi), d);
        }
    }
    32 * o.len().min(b.len())
}

/// `(q[j] - 8) * d` for the eight low bytes `q[j]` of `q` (each 0..=15).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn nibbles8_times(q: core::arch::x86_64::__m128i, d: f32) -> [f32; 8] {
    use core::arch::x86_64::{
        _mm256_cvtepi32_ps, _mm256_cvtepu8_epi32, _mm256_mul_ps, _mm256_set1_epi32, _mm256_set1_ps,
        _mm256_sub_epi32,
    };
    let x = _mm256_sub_epi32(_mm256_cvtepu8_epi32(q), _mm256_set1_epi32(8));
    bytemuck::cast(_mm256_mul_ps(_mm256_cvtepi32_ps(x), _mm256_set1_ps(d)))
}

/// Without x86_64's instructions no row is widened here.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn bf16_rows(_: &[u8], _: &mut [f32]) -> usize {
    0
}

/// Without x86_64's instructions no row is widened here.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn f16_rows(_: &[u8], _: &mut [f32]) -> usize {
    0
}

/// Without x86_64's instructions no row is decoded here.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn i8_rows(_: &[u8], _: f32, _: &mut [f32]) -> usize {
    0
}

/// Without x86_64's instructions no block is decoded here.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn q8_0_rows(_: &[u8], _: &mut [f32]) -> usize {
    0
}

/// Without x86_64's instructions no block is decoded here.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn q4_0_rows(_: &[u8], _: &mut [f32]) -> usize {
    0
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn prefetch_changes_nothing() {
        let row = [7u8; 256];
        for x in row.iter().step_by(64).chain(row.last()) {
            super::prefetch(x);
        }
        assert_eq!(row, [7u8; 256]);
    }

    /// Every `f16` pattern (every 7th under Miri, which is slow), read from
    /// an odd byte offset, where F16C runs; then rows of every length up to
    /// 17: whole octets written, the values after them untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f16_rows_equal_the_reference_bit_for_bit() {
        use crate::reference::formats::f16_to_f32;
        if !super::avx2_f16c() {
            std::eprintln!("no AVX2 + F16C here: f16_rows writes nothing");
            let mut out = [1.0f32; 8];
            assert_eq!(super::f16_rows(&[0u8; 16], &mut out), 0);
            assert_eq!(out, [1.0; 8]);
            return;
        }
        let step = if cfg!(miri) { 7 } else { 1 };
        let patterns: std::vec::Vec<u16> = (0..=u16::MAX).step_by(step).collect();
        let mut bytes = std::vec![0u8];
        bytes.extend(patterns.iter().flat_map(|h| h.to_le_bytes()));
        let mut out = std::vec![0.0f32; patterns.len()];
        assert_eq!(
            super::f16_rows(&bytes[1..], &mut out),
            patterns.len() / 8 * 8
        );
        for (&got, &h) in out.iter().zip(&patterns).take(patterns.len() / 8 * 8) {
            let want = f16_to_f32(h);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{h:#06x}: {got:?} != {want:?}"
            );
        }
        for len in 0..=17 {
            let mut out = [f32::MAX; 18];
            let done = super::f16_rows(&bytes[1..1 + 2 * len], &mut out[..len]);
            assert_eq!(done, len / 8 * 8);
            for (i, &got) in out.iter().enumerate() {
                let want = if i < done {
                    f16_to_f32(patterns[i])
                } else {
                    f32::MAX
                };
                assert_eq!(got.to_bits(), want.to_bits(), "len {len} value {i}");
            }
        }
    }

    /// `bf16` rows of every length up to 40 from every byte offset up to 3,
    /// special values included, through the AVX2 loop where it runs; and
    /// `bf16_rows` takes it exactly where AVX2 runs and the build lacks it.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn bf16_rows_equal_the_reference_bit_for_bit() {
        use crate::reference::formats::bf16_to_f32;
        let taken = super::bf16_rows(&[0x80, 0x3f], &mut [0.0]);
        assert_eq!(
            taken == 1,
            super::avx2_f16c() && !cfg!(target_feature = "avx2")
        );
        if !super::avx2_f16c() {
            std::eprintln!("no AVX2 here: the bf16 loop is not run");
            return;
        }
        let specials = [
            0x0000u16, 0x8000, 0x0001, 0x807f, 0x7f80, 0xff80, 0x7fc1, 0xff81, 0x3f80,
        ];
        let bytes: std::vec::Vec<u8> = (0..90u16)
            .flat_map(|i| {
                specials[usize::from(i) % 9]
                    .wrapping_add(i * 0x0101)
                    .to_le_bytes()
            })
            .collect();
        for len in 0..=40 {
            for offset in 0..4 {
                let src = &bytes[offset..offset + 2 * len];
                let mut out = [f32::MAX; 41];
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                let done = unsafe { super::bf16_avx2(src, &mut out[..len]) };
                assert_eq!(done, len);
                for (i, &got) in out.iter().enumerate() {
                    let want = if i < len {
                        bf16_to_f32(u16::from_le_bytes([src[2 * i], src[2 * i + 1]]))
                    } else {
                        f32::MAX
                    };
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "len {len} offset {offset} value {i}"
                    );
                }
            }
        }
    }

    /// Rust leaves open which NaN a multiply with a NaN operand returns,
    /// and Miri picks one at random; the hardware's answer is fixed, so
    /// natively the bits must match.
    fn same_or_miri_nan(got: f32, want: f32) -> bool {
        got.to_bits() == want.to_bits() || (cfg!(miri) && got.is_nan() && want.is_nan())
    }

    /// The AVX2 decoders of `i8` rows and `Q8_0` / `Q4_0` blocks against
    /// the reference dequantizer, bit for bit, where AVX2 runs: random
    /// bytes, block scales that are NaN, ±inf, subnormal or -0.0, rows of
    /// 0 to 40 values (0 to 4 blocks), from odd byte offsets; the values
    /// after the written ones untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn int8_and_ggml_loops_equal_the_reference_bit_for_bit() {
        use crate::formats::Format;
        use crate::reference::formats::dequantize_row;
        if !super::avx2_f16c() {
            std::eprintln!("no AVX2 here: the int8 and ggml loops are not run");
            return;
        }
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut bytes = [0u8; 1 + 4 * 34];
        for b in &mut bytes {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let specials = [0x7e01u16, 0x7c00, 0xfc00, 0x0001, 0x8000, 0x3c00, 0x2c00];
        for (case, d) in specials.iter().enumerate() {
            for (f, block) in [(Format::Q8_0, 34), (Format::Q4_0Split, 18)] {
                let mut b = bytes;
                for k in 0..4 {
                    // The special scale in every other block.
                    let h = if (k + case) % 2 == 0 { *d } else { 0x2c00 };
                    b[1 + k * block..3 + k * block].copy_from_slice(&h.to_le_bytes());
                }
                for n in 0..=4 {
                    let src = &b[1..1 + n * block];
                    let mut want = [0.0f32; 128];
                    if n > 0 {
                        dequantize_row(f, src, 1.0, &mut want[..32 * n]).unwrap();
                    }
                    let mut got = [f32::MAX; 129];
                    // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                    let done = unsafe {
                        if f == Format::Q8_0 {
                            super::q8_0_avx2(src, &mut got[..32 * n])
                        } else {
                            super::q4_0_avx2(src, &mut got[..32 * n])
                        }
                    };
                    assert_eq!(done, 32 * n);
                    for (i, g) in got.iter().enumerate() {
                        let w = if i < done { want[i] } else { f32::MAX };
                        if same_or_miri_nan(*g, w) {
                            continue;
                        }
                        assert_eq!(
                            g.to_bits(),
                            w.to_bits(),
                            "{f:?}, {n} blocks, d {d:#06x}, value {i}"
                        );
                    }
                }
            }
            let scale = crate::formats::f16_to_f32(*d);
            for len in 0..=40 {
                let src = &bytes[1..1 + len];
                let mut want = [0.0f32; 40];
                if len > 0 {
                    dequantize_row(Format::I8, src, scale, &mut want[..len]).unwrap();
                }
                let mut got = [f32::MAX; 41];
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                let done = unsafe { super::i8_avx2(src, scale, &mut got[..len]) };
                assert_eq!(done, len);
                for (i, g) in got.iter().enumerate() {
                    let w = if i < len { want[i] } else { f32::MAX };
                    if same_or_miri_nan(*g, w) {
                        continue;
                    }
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "i8, {len} values, scale {scale:?}, value {i}"
                    );
                }
            }
        }
    }
}
