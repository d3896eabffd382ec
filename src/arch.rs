//! Target instructions that safe Rust cannot reach: the crate's only
//! `unsafe` code, each call under a `// SAFETY:` comment.
//!
//! - `prefetch`: `_mm_prefetch`, the cache hint the gather issues for the
//!   rows of upcoming tokens (see `prefetch.rs`); x86_64 only, and SSE is
//!   part of its baseline.
//! - `features` / `detect` (and `avx2_f16c`, `avx512`): whether the CPU
//!   runs AVX2 and F16C, and AVX-512F, DQ and BW, by `cpuid` and `xgetbv`
//!   (which tells whether the OS saves the registers: a CPU can have
//!   instructions that the OS does not enable); asked once on a default
//!   build, the answer cached in an atomic (`no_std`); a constant on a
//!   build that enables them all, and with `--cfg inlayer_no_dispatch`
//!   (what the build enables, no more: what a CPU without AVX2 runs, to
//!   test and measure on one that has it).
//! - `sinusoidal_row`, `sinusoidal_row_avx2`, `sinusoidal_row_sse2`: the
//!   calls of the AVX-512, AVX2 and SSE2 one-row sinusoidal kernels
//!   (`sinusoidal::avx512::row`, `sinusoidal::avx2::row`,
//!   `sinusoidal::sse2::row`), where `avx512` or `avx2_f16c` says they run
//!   (SSE2: every x86_64 CPU); the same bits as the lanes. The tests run
//!   the AVX2 and SSE2 bodies under Miri too;
//!   not the AVX-512 one (`wide`'s 64-byte types do not build under Miri
//!   with AVX-512 enabled; the body has no `unsafe` of its own).
//! - `bf16_rows`, `f16_rows`, `i8_rows`, `fbgemm8_rows`, `fbgemm4_rows`, `q8_0_rows`,
//!   `q4_0_rows`, `q4_1_rows`, `q5_0_rows`, `q5_1_rows`, `q2_k_rows`,
//!   `q3_k_rows`, `q4_k_rows`, `q5_k_rows`, `q6_k_rows`, `iq4_nl_rows`,
//!   `iq4_xs_rows`, `iq3_s_rows`: calls of the AVX2 (and F16C)
//!   row decoders of `formats::avx2`, `#[target_feature]` functions with
//!   safe bodies, where `avx2_f16c` says they run; for `bf16`, `f16`, `i8`,
//!   FBGEMM 8- and 4-bit, `Q8_0`, `Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `IQ4_NL`, `Q4_K` and `Q6_K`, of the AVX-512 ones of `formats::avx512` first, where
//!   `avx512` says they run (not under Miri, whose builds enable AVX2
//!   alone). Calling one is the `unsafe` part. Each gives the same bits as the lanes and the
//!   reference on every input, so only the speed depends on the CPU.
//!   Elsewhere (other CPUs, other architectures, `--cfg
//!   inlayer_force_scalar`) they return 0 and the lanes decode.
//! - `f32_rows`, `gather_epilogue_rows`, `gather_copy_rows`, `f32_onto_rows`,
//!   `input_combine`, `layer_norm_stats`, `layer_norm_apply`, `rotate_group`,
//!   `rope_heads`, `rope_heads_expanded`: calls of AVX2 bodies that do what
//!   the lanes do on 32-byte vectors (the gather's epilogue, one row or the
//!   whole many-token loop, its plain copy of short rows, the input layer's
//!   sums and LayerNorm, the sinusoidal table
//!   kernel's rows, the RoPE rotations), where `avx2_widens_lanes` says
//!   they run: AVX2 on the CPU, a build whose lanes are SSE2's. The same
//!   bits as the lanes; each body is tested against them (or the
//!   reference) bit for bit, under Miri too.

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

/// Bit of [`features`]: AVX2 and F16C run here.
#[cfg(target_arch = "x86_64")]
const AVX2_F16C: u8 = 1;
/// Bit of [`features`]: AVX-512F, DQ and BW run here (with the OS
/// saving the 512-bit and mask registers).
#[cfg(target_arch = "x86_64")]
const AVX512: u8 = 2;

/// The [`AVX2_F16C`] and [`AVX512`] bits of the features that can run
/// here: what `cpuid` and `xgetbv` say, asked once and cached, or'd with
/// what the build enables (a compile-time constant). Only the latter under
/// Miri (it cannot run `cpuid`) and with `--cfg inlayer_no_dispatch`; none
/// with `--cfg inlayer_force_scalar`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn features() -> u8 {
    /// 0: not asked yet; else `0x80 | bits`.
    static DETECTED: AtomicU8 = AtomicU8::new(0);
    const BUILT: u8 = if cfg!(all(
        target_feature = "avx512f",
        target_feature = "avx512dq",
        target_feature = "avx512bw"
    )) {
        AVX512 | AVX2_F16C
    } else if cfg!(all(target_feature = "avx2", target_feature = "f16c")) {
        AVX2_F16C
    } else {
        0
    };
    if cfg!(inlayer_force_scalar) {
        return 0;
    }
    if BUILT == AVX512 | AVX2_F16C || cfg!(miri) || cfg!(inlayer_no_dispatch) {
        return BUILT;
    }
    match DETECTED.load(Ordering::Relaxed) {
        0 => {
            let bits = detect() | BUILT;
            DETECTED.store(0x80 | bits, Ordering::Relaxed);
            bits
        }
        d => d & !0x80,
    }
}

/// Whether AVX2 and F16C instructions can run here (see [`features`]).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn avx2_f16c() -> bool {
    features() & AVX2_F16C != 0
}

/// Whether the AVX2 bodies that do what the lanes do, on wider vectors,
/// run: AVX2 on the CPU ([`avx2_f16c`]) and a build that does not enable it
/// (a build that does has lanes as wide).
#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2_widens_lanes() -> bool {
    !cfg!(target_feature = "avx2") && avx2_f16c()
}

/// Whether AVX-512F, DQ and BW instructions can run here (see
/// [`features`]).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn avx512() -> bool {
    features() & AVX512 != 0
}

/// The body the one-row sinusoidal kernel runs here ([`sinusoidal_row`]):
/// `Some("AVX-512")`, `Some("AVX2")`, `Some("SSE2")`, or `None` (the
/// build's lanes, with `--cfg inlayer_force_scalar`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn sinusoidal_body() -> Option<&'static str> {
    if avx512() {
        Some("AVX-512")
    } else if avx2_f16c() {
        Some("AVX2")
    } else if cfg!(inlayer_force_scalar) {
        None
    } else {
        Some("SSE2")
    }
}

/// No sinusoidal body on other architectures: the lanes do it all.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn sinusoidal_body() -> Option<&'static str> {
    None
}

/// Asks the CPU: AVX, F16C and OSXSAVE in `cpuid` leaf 1, AVX2, AVX-512F,
/// DQ and BW in leaf 7, and the register state the OS saves in `XCR0`
/// (XMM and YMM for AVX2; also the mask registers and both halves of the
/// 32 ZMM registers for AVX-512: a CPU can have instructions that the OS
/// does not enable).
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn detect() -> u8 {
    use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    const OSXSAVE_AVX_F16C: u32 = (1 << 27) | (1 << 28) | (1 << 29);
    const XMM_YMM: u64 = 0b110;
    const OPMASK_ZMM: u64 = 0b1110_0000;
    const AVX512F_DQ_BW: u32 = (1 << 16) | (1 << 17) | (1 << 30);
    // SAFETY: `cpuid` exists on every x86_64 CPU and only reads
    // identification registers (a safe function in newer Rust; `unsafe` up
    // to the 1.89 this crate supports).
    #[allow(unused_unsafe)]
    let (max_leaf, leaf1) = unsafe { (__cpuid(0).eax, __cpuid(1).ecx) };
    if max_leaf < 7 || leaf1 & OSXSAVE_AVX_F16C != OSXSAVE_AVX_F16C {
        return 0;
    }
    // SAFETY: OSXSAVE (checked above) means the OS enabled XSAVE, so
    // `xgetbv` exists and register 0 (XCR0) can be read.
    let xcr0 = unsafe { _xgetbv(0) };
    // SAFETY: as for leaf 0 and 1 above; leaf 7 exists (`max_leaf >= 7`).
    #[allow(unused_unsafe)]
    let leaf7 = unsafe { __cpuid_count(7, 0).ebx };
    if xcr0 & XMM_YMM != XMM_YMM || leaf7 & (1 << 5) == 0 {
        return 0;
    }
    if xcr0 & OPMASK_ZMM == OPMASK_ZMM && leaf7 & AVX512F_DQ_BW == AVX512F_DQ_BW {
        AVX2_F16C | AVX512
    } else {
        AVX2_F16C
    }
}

#[cfg(all(target_arch = "x86_64", miri))]
fn detect() -> u8 {
    0
}

/// Writes (or, `ADD`, adds) the encoding of position `pos` for the leading
/// frequencies of `turns` into `row` with the AVX-512 body
/// (`sinusoidal::avx512::row`) where [`avx512`] (AVX-512F, DQ and BW), else with
/// the AVX2 body ([`sinusoidal_row_avx2`]) where AVX2 does, else with the
/// SSE2 one ([`sinusoidal_row_sse2`]), and returns how many frequencies it
/// did (a multiple of 4); with `--cfg inlayer_force_scalar` and on other
/// architectures returns 0 and writes nothing (the caller's lanes do it
/// all).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn sinusoidal_row<const ADD: bool>(
    turns: &[u64],
    pos: u32,
    interleaved: bool,
    n_sin: usize,
    row: &mut [f32],
) -> usize {
    if !avx512() {
        return if avx2_f16c() {
            sinusoidal_row_avx2::<ADD>(turns, pos, interleaved, n_sin, row)
        } else {
            sinusoidal_row_sse2::<ADD>(turns, pos, interleaved, n_sin, row)
        };
    }
    // SAFETY: `avx512()` is true only where the CPU and the OS run
    // AVX-512F, DQ and BW, which covers the features the body is compiled for; it
    // takes slices and values and writes only through `row`.
    unsafe { crate::sinusoidal::avx512::row::<ADD>(turns, pos, interleaved, n_sin, row) }
}

/// [`sinusoidal_row`] with the AVX2 body (`sinusoidal::avx2::row`), where
/// AVX2 runs (also where AVX-512 does: the tests run both); returns 0
/// elsewhere.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn sinusoidal_row_avx2<const ADD: bool>(
    turns: &[u64],
    pos: u32,
    interleaved: bool,
    n_sin: usize,
    row: &mut [f32],
) -> usize {
    if !avx2_f16c() {
        return 0;
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2
    // (and F16C), which covers the feature the body is compiled for; it
    // takes slices and values and writes only through `row`.
    unsafe { crate::sinusoidal::avx2::row::<ADD>(turns, pos, interleaved, n_sin, row) }
}

/// [`sinusoidal_row`] with the SSE2 body (`sinusoidal::sse2::row`): SSE2
/// is in every x86_64 CPU, so no check; returns 0 with `--cfg
/// inlayer_force_scalar` (the lanes do it all there).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn sinusoidal_row_sse2<const ADD: bool>(
    turns: &[u64],
    pos: u32,
    interleaved: bool,
    n_sin: usize,
    row: &mut [f32],
) -> usize {
    if cfg!(inlayer_force_scalar) {
        return 0;
    }
    // SAFETY: SSE2, the feature the body is compiled for, is part of the
    // x86_64 baseline: every x86_64 CPU runs it (and the OS saves its
    // registers). The body takes slices and values and writes only through
    // `row`.
    unsafe { crate::sinusoidal::sse2::row::<ADD>(turns, pos, interleaved, n_sin, row) }
}

/// The sinusoidal table kernel's rows of one group for a whole block of
/// frequencies by the AVX2 body (`sinusoidal::avx2::rotate_group`, the
/// lanes' bits) where AVX2 runs and the build does not enable it (the
/// lanes are as wide there); returns whether it did them.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn rotate_group<const ADD: bool, const N: usize>(
    layout: (bool, usize, usize),
    anchor: (&[f32; N], &[f32; N]),
    offsets: (&[[f32; N]], &[[f32; N]]),
    group: &mut [f32],
    row_len: usize,
) -> bool {
    if !avx2_widens_lanes() {
        return false;
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes slices and values and writes only through `group`.
    unsafe {
        crate::sinusoidal::avx2::rotate_group::<ADD, N>(layout, anchor, offsets, group, row_len);
    }
    true
}

/// The stub of [`rotate_group`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn rotate_group<const ADD: bool, const N: usize>(
    _: (bool, usize, usize),
    _: (&[f32; N], &[f32; N]),
    _: (&[[f32; N]], &[[f32; N]]),
    _: &mut [f32],
    _: usize,
) -> bool {
    false
}

/// Rotates every head of `tok` (whole heads of `dh`) by `(c, s)` with the
/// AVX2 body (`rope::avx2::rotate_heads`, the kernels' bits) where AVX2
/// runs and the build does not enable it (the lanes are as wide there);
/// returns whether it did.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn rope_heads(
    interleaved: bool,
    tok: &mut [f32],
    dh: usize,
    c: &[f32],
    s: &[f32],
) -> bool {
    if !avx2_widens_lanes() {
        return false;
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes slices and values and writes only through `tok`.
    unsafe { crate::rope::avx2::rotate_heads(interleaved, tok, dh, c, s) };
    true
}

/// [`rope_heads`] from an expanded interleaved row
/// (`rope::avx2::rotate_heads_expanded`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn rope_heads_expanded(tok: &mut [f32], dh: usize, cd: &[f32], sd: &[f32]) -> bool {
    if !avx2_widens_lanes() {
        return false;
    }
    // SAFETY: as in `rope_heads`.
    unsafe { crate::rope::avx2::rotate_heads_expanded(tok, dh, cd, sd) };
    true
}

/// The many-token gather's rows through their epilogue by the AVX2 body
/// (`gather::avx2::epilogue_rows`: the token loop inside, 32-byte vectors)
/// where AVX2 runs and the build does not enable it; gives `rows` back,
/// untouched, where it does not.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn gather_epilogue_rows<'a, 'o>(
    rows: crate::gather::NativeRows<'a, 'o>,
    epilogue: &crate::gather::Epilogue<'_>,
) -> Option<crate::gather::NativeRows<'a, 'o>> {
    use crate::gather::avx2::epilogue_rows;
    if !avx2_widens_lanes() {
        return Some(rows);
    }
    let (s, a) = (epilogue.scale, epilogue.add);
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes validated rows, a value and a slice, and writes only
    // through the rows' `out`.
    unsafe {
        match (s, a) {
            (Some(s), Some(a)) => epilogue_rows::<true, true>(rows, s, a),
            (Some(s), None) => epilogue_rows::<true, false>(rows, s, &[]),
            (None, Some(a)) => epilogue_rows::<false, true>(rows, 1.0, a),
            (None, None) => return Some(rows),
        }
    }
    None
}

/// The many-token plain copy of short whole rows into a dense `out` by the
/// AVX2 body (`gather::avx2::copy_rows`: the token loop inside, 32-byte
/// moves) where AVX2 runs and the build does not enable it; gives `rows`
/// back, untouched, where it does not.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn gather_copy_rows<'a, 'o>(
    rows: crate::gather::NativeRows<'a, 'o>,
) -> Option<crate::gather::NativeRows<'a, 'o>> {
    if !avx2_widens_lanes() {
        return Some(rows);
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes validated rows and writes only through their `out`.
    unsafe { crate::gather::avx2::copy_rows(rows) };
    None
}

/// The stub of [`gather_copy_rows`] on other architectures: gives `rows`
/// back.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn gather_copy_rows<'a, 'o>(
    rows: crate::gather::NativeRows<'a, 'o>,
) -> Option<crate::gather::NativeRows<'a, 'o>> {
    Some(rows)
}

/// The many-token decode of whole rows of a ggml table
/// (`formats::avx2::block_rows`: the token loop, its prefetch hints and
/// each row's AVX2 body in one function), for rows of at most 512 bytes
/// (longer ones decode a part at a time, row by row), where AVX2 and F16C
/// run, on every build (on an AVX-512 build it beat the lanes for every ggml format,
/// `Q4_K` too, whose row-by-row AVX2 body did not: 8.5 → 9.3–9.5 G elem/s,
/// `formats_speed q4_k`, three runs); `false`, nothing written, elsewhere.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn block_rows<B: crate::formats::Block, const S: bool, const A: bool>(
    table: &crate::formats::BlockTable<'_, B>,
    tokens: &[u32],
    p: crate::formats::Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    if !table.short_rows() || !avx2_f16c() {
        return false;
    }
    if <crate::formats::BlockTable<'_, B> as crate::formats::DecodePost>::AVX512 && avx512() {
        // SAFETY: `avx512()` is true only where the CPU and the OS run
        // AVX-512F, DQ and BW, AVX2 and F16C, the features the body is compiled
        // for; it takes a table view, slices and values and writes only
        // through `out`.
        return unsafe {
            crate::formats::avx512::block_rows::<B, S, A>(table, tokens, p, out, stride)
        };
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2
    // and F16C, the features the body is compiled for; it takes a table
    // view, slices and values and writes only through `out`.
    unsafe { crate::formats::avx2::block_rows::<B, S, A>(table, tokens, p, out, stride) }
}

/// The stub of [`block_rows`] on other architectures: nothing written.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn block_rows<B: crate::formats::Block, const S: bool, const A: bool>(
    _: &crate::formats::BlockTable<'_, B>,
    _: &[u32],
    _: crate::formats::Post<'_>,
    _: &mut [f32],
    _: usize,
) -> bool {
    false
}

/// The many-token decode of whole rows of a table view
/// (`formats::avx2::view_rows`: the token loop, its prefetch hints and each
/// row's decode, with the view's AVX2 body inlined, in one function) where
/// AVX2 and F16C run, on every build; `false`, nothing written, elsewhere.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn view_rows<V: crate::formats::DecodePost, const S: bool, const A: bool>(
    view: &V,
    tokens: &[u32],
    p: crate::formats::Post<'_>,
    out: &mut [f32],
    stride: usize,
) -> bool {
    if !avx2_f16c() {
        return false;
    }
    if V::AVX512 && avx512() {
        // SAFETY: `avx512()` is true only where the CPU and the OS run
        // AVX-512F, DQ and BW, AVX2 and F16C, the features the body is compiled
        // for; it takes a table view, slices and values and writes only
        // through `out`.
        return unsafe {
            crate::formats::avx512::view_rows::<V, S, A>(view, tokens, p, out, stride)
        };
    }
    // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run AVX2
    // and F16C, the features the body is compiled for; it takes a table
    // view, slices and values and writes only through `out`.
    unsafe { crate::formats::avx2::view_rows::<V, S, A>(view, tokens, p, out, stride) }
}

/// The stub of [`view_rows`] on other architectures: nothing written.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn view_rows<V: crate::formats::DecodePost, const S: bool, const A: bool>(
    _: &V,
    _: &[u32],
    _: crate::formats::Post<'_>,
    _: &mut [f32],
    _: usize,
) -> bool {
    false
}

/// The stub of [`gather_epilogue_rows`] on other architectures: gives
/// `rows` back.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn gather_epilogue_rows<'a, 'o>(
    rows: crate::gather::NativeRows<'a, 'o>,
    _: &crate::gather::Epilogue<'_>,
) -> Option<crate::gather::NativeRows<'a, 'o>> {
    Some(rows)
}

/// The stub of [`rope_heads`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn rope_heads(_: bool, _: &mut [f32], _: usize, _: &[f32], _: &[f32]) -> bool {
    false
}

/// The stub of [`rope_heads_expanded`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn rope_heads_expanded(_: &mut [f32], _: usize, _: &[f32], _: &[f32]) -> bool {
    false
}

/// The stub of [`sinusoidal_row`] on other architectures: nothing done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn sinusoidal_row<const ADD: bool>(
    _: &[u64],
    _: u32,
    _: bool,
    _: usize,
    _: &mut [f32],
) -> usize {
    0
}

/// `pub(crate) fn $name::<S, A>(args) -> usize`: calls the `#[target_feature]`
/// body `crate::formats::avx2::$body::<S, A>` (the epilogue `p` before each
/// store: with `S` every value times `p.times`, with `A` plus `p.add`) where
/// AVX2 and F16C run (see
/// `avx2_f16c`) and returns what it wrote; returns 0 (nothing written, the
/// caller's lanes do it all) elsewhere, and, with `lanes_win_on_avx2`, also
/// on builds that enable AVX2 themselves, where the lanes measured faster.
/// With `avx512: $wide`, where AVX-512 runs (see `avx512`) it calls
/// `crate::formats::avx512::$wide::<S, A>` instead, on default and AVX-512
/// builds alike. On other architectures the function is a stub that
/// returns 0.
macro_rules! avx2_decoder {
    ($(#[$doc:meta])* $name:ident => $body:ident($($arg:ident: $ty:ty),*), lanes_win_on_avx2: $lanes:expr, avx512: $wide:ident) => {
        avx2_decoder!(@fn $(#[$doc])* $name => $body($($arg: $ty),*), $lanes, {
            if avx512() {
                // SAFETY: `avx512()` is true only where the CPU and the OS
                // run AVX-512F, DQ and BW, and AVX2 and F16C (`detect` asks for
                // them first), which covers every feature the bodies in
                // `formats::avx512` are compiled for; they take slices and
                // values and write only through their `out` slice.
                return unsafe { crate::formats::avx512::$wide::<S, A>($($arg),*) };
            }
        });
    };
    ($(#[$doc:meta])* $name:ident => $body:ident($($arg:ident: $ty:ty),*), lanes_win_on_avx2: $lanes:expr) => {
        avx2_decoder!(@fn $(#[$doc])* $name => $body($($arg: $ty),*), $lanes, {});
    };
    (@fn $(#[$doc:meta])* $name:ident => $body:ident($($arg:ident: $ty:ty),*), $lanes:expr, $first:block) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[inline]
        pub(crate) fn $name<const S: bool, const A: bool>($($arg: $ty),*) -> usize {
            $first
            if ($lanes && cfg!(target_feature = "avx2")) || !avx2_f16c() {
                return 0;
            }
            // SAFETY: `avx2_f16c()` is true only where the CPU and the OS run
            // AVX2 and F16C, which covers every feature the bodies in
            // `formats::avx2` are compiled for; they take slices and values
            // and write only through their `out` slice.
            unsafe { crate::formats::avx2::$body::<S, A>($($arg),*) }
        }

        $(#[$doc])*
        #[cfg(not(target_arch = "x86_64"))]
        #[inline(always)]
        pub(crate) fn $name<const S: bool, const A: bool>($(_: $ty),*) -> usize {
            0
        }
    };
}

avx2_decoder!(
    /// An `f32` row times a scale and plus an add row (the gather's fused
    /// epilogue). A default build's lanes store 16 bytes an instruction;
    /// this body 32 (`examples/gather_speed`, default build, D = 384, one
    /// token 0.62 → 0.76× the per-row `memcpy`). On builds with AVX2 the
    /// lanes are as wide.
    f32_rows => f32(src: &[f32], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: true
);
/// `out = src × times + out` (`S`) or `src + out` by the AVX2 body
/// (`formats::avx2::f32_onto`) where AVX2 runs and the build does not
/// enable it (the lanes are as wide there); returns what it did (the
/// whole row there), 0 elsewhere.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn f32_onto_rows<const S: bool>(src: &[f32], times: f32, out: &mut [f32]) -> usize {
    if !avx2_widens_lanes() {
        return 0;
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes slices and a value and writes only through `out`.
    unsafe { crate::formats::avx2::f32_onto::<S>(src, times, out) }
}

/// The input layer's `o = ((x · s) + a) + b [+ o]` by the AVX2 body
/// (`input::avx2::combine`, the lanes' bits) where [`avx2_widens_lanes`];
/// returns whether it did it.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn input_combine<const S: bool, const A: bool, const B: bool, const ACC: bool>(
    o: &mut [f32],
    x: &[f32],
    s: f32,
    a: &[f32],
    b: &[f32],
) -> bool {
    if !avx2_widens_lanes() {
        return false;
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body takes slices and a value and writes only through `o`.
    unsafe { crate::input::avx2::combine::<S, A, B, ACC>(o, x, s, a, b) };
    true
}

/// The stub of [`input_combine`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn input_combine<const S: bool, const A: bool, const B: bool, const ACC: bool>(
    _: &mut [f32],
    _: &[f32],
    _: f32,
    _: &[f32],
    _: &[f32],
) -> bool {
    false
}

/// The mean and the variance of `row` by the AVX2 body
/// (`input::avx2::norm_stats`, the lanes' bits) where AVX2 runs and the build
/// does not enable it (the lanes are as wide there); `None` elsewhere.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn layer_norm_stats(row: &[f32]) -> Option<(f32, f32)> {
    if !avx2_widens_lanes() {
        return None;
    }
    // SAFETY: `avx2_widens_lanes()` is true only where the CPU and the OS run AVX2;
    // the body only reads `row`.
    Some(unsafe { crate::input::avx2::norm_stats(row) })
}

/// `row = ((row - mean) · rstd) · gamma + beta` by the AVX2 body
/// (`input::avx2::norm_apply`), where [`layer_norm_stats`] runs its body;
/// returns whether it did it.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn layer_norm_apply(
    row: &mut [f32],
    mean: f32,
    rstd: f32,
    gamma: &[f32],
    beta: &[f32],
) -> bool {
    if !avx2_widens_lanes() {
        return false;
    }
    // SAFETY: as in `layer_norm_stats`; the body writes only through `row`.
    unsafe { crate::input::avx2::norm_apply(row, mean, rstd, gamma, beta) };
    true
}

/// The stub of [`layer_norm_stats`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn layer_norm_stats(_: &[f32]) -> Option<(f32, f32)> {
    None
}

/// The stub of [`layer_norm_apply`] on other architectures: not done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn layer_norm_apply(_: &mut [f32], _: f32, _: f32, _: &[f32], _: &[f32]) -> bool {
    false
}

/// The stub of [`f32_onto_rows`] on other architectures: nothing done.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn f32_onto_rows<const S: bool>(_: &[f32], _: f32, _: &mut [f32]) -> usize {
    0
}

avx2_decoder!(
    /// A `bf16` row (two little-endian bytes a value). On AVX-512 builds the
    /// lanes win: the loop, which LLVM widens to 512 bits there, read 0.93–0.94×
    /// the f32 `memcpy` (cache, D = 384) against the lanes' 1.00–1.02×.
    bf16_rows => bf16(src: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: true, avx512: bf16
);
avx2_decoder!(
    /// The whole octets of an `f16` row (F16C; 8 values at a time).
    f16_rows => f16(src: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: f16
);
avx2_decoder!(
    /// An `i8` row times its scale. Faster than the lanes on AVX-512 builds
    /// too (native, D = 384: cache 0.89–0.92 → 0.98–1.00× the f32 `memcpy`,
    /// one token 0.57 → 0.70–0.72).
    i8_rows => i8(src: &[u8], scale: f32, p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: i8
);
avx2_decoder!(
    /// An FBGEMM 8-bit row: `q * scale + bias`. Faster than the lanes on
    /// AVX-512 builds too (native, D = 384: cache 10.5–10.8 → 13.0–13.4 G
    /// elem/s, one token 11.0–11.2 → 14.5–14.7).
    fbgemm8_rows => fbgemm8(q: &[u8], scale: f32, bias: f32, p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: fbgemm8
);
avx2_decoder!(
    /// An FBGEMM 4-bit row from an even column: `q * scale + bias`, 16
    /// values at a time.
    fbgemm4_rows => fbgemm4(q: &[u8], scale: f32, bias: f32, p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: fbgemm4
);
avx2_decoder!(
    /// Whole ggml `Q8_0` blocks. Faster than the lanes on AVX-512 builds
    /// too (native, D = 384: cache 9.9–10.1 → 12.7–12.9 G elem/s, one token
    /// 8.9 → 12.5–12.6).
    q8_0_rows => q8_0(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q8_0
);
avx2_decoder!(
    /// Whole ggml `Q4_0` blocks. Faster than the lanes on AVX-512 builds
    /// too, by a little (native, D = 384: cache 10.0 → 10.35 G elem/s, one
    /// token 8.75 → 9.75–9.8).
    q4_0_rows => q4_0(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q4_0
);
avx2_decoder!(
    /// Whole ggml `Q4_1` blocks.
    q4_1_rows => q4_1(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q4_1
);
avx2_decoder!(
    /// Whole ggml `Q5_0` blocks.
    q5_0_rows => q5_0(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q5_0
);
avx2_decoder!(
    /// Whole ggml `Q5_1` blocks.
    q5_1_rows => q5_1(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q5_1
);
avx2_decoder!(
    /// Whole ggml `Q2_K` blocks.
    q2_k_rows => q2_k(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false
);
avx2_decoder!(
    /// Whole ggml `Q3_K` blocks.
    q3_k_rows => q3_k(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false
);
avx2_decoder!(
    /// Whole ggml `Q4_K` blocks (first the AVX-512 body where it runs). Of
    /// the AVX2 body and the lanes, on AVX-512 builds the lanes win (cache,
    /// D = 512: 7.9–8.2 against 7.6–7.7 G elem/s; since the K-quant
    /// multipliers are made once a block, both read 10.0–10.6).
    q4_k_rows => q4_k(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: true, avx512: q4_k
);
avx2_decoder!(
    /// Whole ggml `Q5_K` blocks.
    q5_k_rows => q5_k(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false
);
avx2_decoder!(
    /// Whole ggml `Q6_K` blocks. Faster than the lanes on AVX-512 builds too
    /// (native, D = 512: cache 7.1 → 8.6 G elem/s, one token 6.7 → 8.7).
    q6_k_rows => q6_k(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: q6_k
);
avx2_decoder!(
    /// Whole ggml `IQ4_NL` blocks.
    iq4_nl_rows => iq4_nl(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false, avx512: iq4_nl
);
avx2_decoder!(
    /// Whole ggml `IQ4_XS` blocks.
    iq4_xs_rows => iq4_xs(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false
);
avx2_decoder!(
    /// Whole ggml `IQ3_S` blocks.
    iq3_s_rows => iq3_s(blocks: &[u8], p: crate::formats::Post<'_>, out: &mut [f32]), lanes_win_on_avx2: false
);

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    use crate::formats::Post;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn prefetch_changes_nothing() {
        let row = [7u8; 256];
        for x in row.iter().step_by(64).chain(row.last()) {
            super::prefetch(x);
        }
        assert_eq!(row, [7u8; 256]);
    }

    /// Rust leaves open which NaN a multiply with a NaN operand returns,
    /// and Miri picks one at random; the hardware's answer is fixed, so
    /// natively the bits must match.
    #[cfg(target_arch = "x86_64")]
    fn same_or_miri_nan(got: f32, want: f32) -> bool {
        got.to_bits() == want.to_bits() || (cfg!(miri) && got.is_nan() && want.is_nan())
    }

    /// The next value of a xorshift generator (the tests' random bytes).
    #[cfg(target_arch = "x86_64")]
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// Values of every class the `f32` bodies' tests mix: NaN, ±inf, a
    /// subnormal, ±0.0, ordinary and huge.
    #[cfg(target_arch = "x86_64")]
    const SPECIALS: [f32; 8] = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-40,
        -0.0,
        0.0,
        3.5,
        -1.25e30,
    ];

    /// Whether AVX2 and F16C run here; says so when they do not (the AVX2
    /// bodies are then not tested on this machine).
    #[cfg(target_arch = "x86_64")]
    fn bodies_run_here() -> bool {
        let run = super::avx2_f16c();
        if !run {
            std::eprintln!("no AVX2 + F16C here: the AVX2 bodies are not run");
        }
        run
    }

    /// The `f16` and `bf16` bodies here: AVX2 (and F16C) where they run,
    /// and AVX-512 where it runs too (`true`).
    #[cfg(target_arch = "x86_64")]
    fn half_bodies() -> std::vec::Vec<bool> {
        let mut wide = std::vec![false];
        if super::avx512() {
            wide.push(true);
        } else {
            std::eprintln!("no AVX-512 here: the AVX-512 bodies are not run");
        }
        wide
    }

    /// The `f16` (`BF16`: `bf16`) body, AVX-512 (`wide`) or AVX2, over
    /// `src` into `out`; the caller checked that it runs here.
    #[cfg(target_arch = "x86_64")]
    fn half_body<const BF16: bool>(wide: bool, src: &[u8], out: &mut [f32]) -> usize {
        use crate::formats::{avx2, avx512};
        // SAFETY: the caller checked `avx2_f16c()`, and `avx512()` for
        // `wide`: the CPU runs the body's features.
        unsafe {
            match (wide, BF16) {
                (false, false) => avx2::f16::<false, false>(src, Post::NONE, out),
                (false, true) => avx2::bf16::<false, false>(src, Post::NONE, out),
                (true, false) => avx512::f16::<false, false>(src, Post::NONE, out),
                (true, true) => avx512::bf16::<false, false>(src, Post::NONE, out),
            }
        }
    }

    /// Given a source and an output of different lengths, each `f16` and
    /// `bf16` body decodes the first values of the source into the first
    /// of the output, as many as both hold (in its own steps: whole
    /// sixteens, octets, or single values), and leaves the rest of the
    /// output untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn half_bodies_pair_the_first_values_when_source_and_output_lengths_differ() {
        use crate::reference::formats::{bf16_to_f32, f16_to_f32};
        if !bodies_run_here() {
            return;
        }
        let value = |i: usize| 0x3c00 + (i as u16 % 97) * 5;
        // One side 48 values, the other 0 to 130 (under Miri, 72).
        let pairs: std::vec::Vec<(usize, usize)> = if cfg!(miri) {
            std::vec![(48, 72), (72, 48)]
        } else {
            (0..=130).flat_map(|k| [(48, k), (k, 48)]).collect()
        };
        for (outs, srcs) in pairs {
            let bytes: std::vec::Vec<u8> = (0..srcs).flat_map(|i| value(i).to_le_bytes()).collect();
            for wide in half_bodies() {
                for bf16 in [false, true] {
                    let mut out = std::vec![f32::MAX; outs];
                    let done = if bf16 {
                        half_body::<true>(wide, &bytes, &mut out)
                    } else {
                        half_body::<false>(wide, &bytes, &mut out)
                    };
                    // Whole sixteens (AVX-512), octets (AVX2 `f16`), or every
                    // value (AVX2 `bf16`, a plain loop).
                    let unit = match (wide, bf16) {
                        (true, _) => 16,
                        (false, false) => 8,
                        (false, true) => 1,
                    };
                    assert_eq!(
                        done,
                        outs.min(srcs) / unit * unit,
                        "{outs} {srcs} {wide} {bf16}"
                    );
                    for (i, &got) in out.iter().enumerate() {
                        let want = match (i < done, bf16) {
                            (false, _) => f32::MAX,
                            (true, false) => f16_to_f32(value(i)),
                            (true, true) => bf16_to_f32(value(i)),
                        };
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "value {i}: {outs} {srcs} {wide} {bf16}"
                        );
                    }
                }
            }
        }
    }

    /// Every `f16` and `bf16` pattern (every 7th under Miri, which is slow),
    /// read from an odd byte offset, by the AVX2 bodies where AVX2 and F16C
    /// run and the AVX-512 ones where AVX-512 runs (whole octets, AVX-512
    /// whole sixteens; under Miri, whose `vcvtph2ps` may give any NaN, a NaN
    /// for a NaN); then `f16` rows of every length up to 33: whole octets
    /// (AVX-512: whole sixteens) written, the values after them untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f16_and_bf16_bodies_equal_the_reference_for_every_pattern() {
        use crate::reference::formats::{bf16_to_f32, f16_to_f32};
        if !bodies_run_here() {
            let mut out = [1.0f32; 8];
            assert_eq!(
                super::f16_rows::<false, false>(&[0u8; 16], Post::NONE, &mut out),
                0
            );
            assert_eq!(out, [1.0; 8]);
            return;
        }
        let step = if cfg!(miri) { 7 } else { 1 };
        let patterns: std::vec::Vec<u16> = (0..=u16::MAX).step_by(step).collect();
        let mut bytes = std::vec![0u8];
        bytes.extend(patterns.iter().flat_map(|h| h.to_le_bytes()));
        for wide in half_bodies() {
            let group = if wide { 16 } else { 8 };
            let mut out = std::vec![0.0f32; patterns.len()];
            let whole = patterns.len() / group * group;
            assert_eq!(half_body::<false>(wide, &bytes[1..], &mut out), whole);
            for (&got, &h) in out.iter().zip(&patterns).take(whole) {
                let want = f16_to_f32(h);
                assert!(
                    same_or_miri_nan(got, want),
                    "f16 {h:#06x}, wide {wide}: {got:?} != {want:?}"
                );
            }
            // The AVX2 `bf16` body is a plain loop: it does the tail too.
            let whole = if wide {
                patterns.len() / 16 * 16
            } else {
                patterns.len()
            };
            assert_eq!(half_body::<true>(wide, &bytes[1..], &mut out), whole);
            for (&got, &h) in out.iter().zip(&patterns).take(whole) {
                let want = bf16_to_f32(h);
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "bf16 {h:#06x}, wide {wide}: {got:?} != {want:?}"
                );
            }
            for len in 0..=33 {
                let mut out = [f32::MAX; 34];
                let done = half_body::<false>(wide, &bytes[1..1 + 2 * len], &mut out[..len]);
                assert_eq!(done, len / group * group);
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
    }

    /// Each `f16` body gives the reference's bits (a NaN quiet, sign and
    /// payload kept) with a lone NaN, infinity or 65504 at any place of a
    /// row of 40 finite values (the AVX2 body's five octets, the AVX-512
    /// body's two sixteens): a quiet or signalling NaN of either sign, ±inf.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f16_bodies_give_the_references_nan_bits_anywhere_in_the_row() {
        use crate::reference::formats::f16_to_f32;
        if !bodies_run_here() {
            return;
        }
        for lone in [0x7c01u16, 0xfd55, 0x7e00, 0xffff, 0x7c00, 0xfc00, 0x7bff] {
            for at in (0..40).step_by(if cfg!(miri) { 13 } else { 1 }) {
                let row: std::vec::Vec<u16> = (0..40u16)
                    .map(|i| {
                        if usize::from(i) == at {
                            lone
                        } else {
                            0x3c00 + i
                        }
                    })
                    .collect();
                let bytes: std::vec::Vec<u8> = row.iter().flat_map(|h| h.to_le_bytes()).collect();
                for wide in half_bodies() {
                    let mut out = [f32::MAX; 40];
                    let whole = if wide { 32 } else { 40 };
                    assert_eq!(half_body::<false>(wide, &bytes, &mut out), whole);
                    for (i, &got) in out.iter().enumerate() {
                        let want = if i < whole {
                            f16_to_f32(row[i])
                        } else {
                            f32::MAX
                        };
                        assert!(
                            same_or_miri_nan(got, want),
                            "{lone:#06x} at {at}, wide {wide}: {got:?} != {want:?}"
                        );
                    }
                }
            }
        }
    }

    /// Each AVX2 body against the reference dequantizer, bit for bit, where
    /// AVX2 runs, and each AVX-512 body where AVX-512 runs: rows of random bytes read from an odd offset, 0 to 40
    /// values and a few of 63 to 150 (0 to 3 blocks; under Miri 9 values, 2 blocks), whose scale
    /// fields (a second one the other value, of the other sign) are quiet or signalling NaN, ±inf, subnormal, -0.0 or
    /// ordinary (F16C and the software widening must quiet a signalling NaN
    /// scale alike); the values after the written ones
    /// untouched. Each body also runs with the gather's epilogue fused (a
    /// scale, an add row, both), which must give the reference's values
    /// times that scale, plus that row.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_and_avx512_bodies_equal_the_reference_bit_for_bit() {
        use crate::formats::{Format, f16_to_f32};
        use crate::reference::formats::dequantize_row;
        if !bodies_run_here() {
            return;
        }
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = [0u8; 1 + 3 * 210 + 8];
        let specials = [
            0x7e01u16, 0x7c01, 0xfd55, 0x7c00, 0xfc00, 0x0001, 0x8000, 0x3c00, 0x2c00,
        ];
        // Every format has an AVX2 body (`f32` one for the epilogue).
        let formats = Format::ALL.iter().copied();
        for (case, &special) in specials.iter().enumerate() {
            let (h, ordinary) = (special.to_le_bytes(), 0x2c00u16.to_le_bytes());
            let scale = f16_to_f32(special);
            for (nth, f) in formats.clone().enumerate() {
                // Under Miri (slow) each format meets a third of the special
                // scales (every special still meets a third of the formats)
                // and one size: nine values (past an octet) or two blocks.
                if cfg!(miri) && (nth + case) % 3 != 0 {
                    continue;
                }
                let e = f.block_elems();
                let sizes = match (e, cfg!(miri)) {
                    (1, false) => 0..=40,
                    (1, true) => 9..=9,
                    (_, false) => 0..=3,
                    (_, true) => 2..=2,
                };
                // Past the 64-value step of the AVX-512 per-value loops too.
                let long: &[usize] = if e == 1 && !cfg!(miri) {
                    &[63, 64, 65, 80, 100, 127, 128, 129, 150]
                } else {
                    &[]
                };
                for units in sizes.chain(long.iter().copied()) {
                    let dim = units * e;
                    // Fresh random bytes for every row.
                    for b in &mut random {
                        *b = xorshift(&mut x) as u8;
                    }
                    let mut bytes = random;
                    let row = &mut bytes[1..];
                    // Scale fields: the special value in every other block.
                    let fields: &[usize] = match f {
                        Format::Q8_0
                        | Format::Q4_0Split
                        | Format::Q5_0Split
                        | Format::Iq4NlSplit
                        | Format::Iq4XsSplit
                        | Format::Iq3S => &[0],
                        Format::Q4_1Split
                        | Format::Q5_1Split
                        | Format::Q4KSplit
                        | Format::Q5KSplit => &[0, 2],
                        Format::Q2KSplit => &[80, 82],
                        Format::Q3KSplit => &[108],
                        Format::Q6KSplit => &[208],
                        _ => &[],
                    };
                    for k in 0..units.min(3) {
                        for (j, &o) in fields.iter().enumerate() {
                            let at = k * f.block_bytes() + o;
                            // A second field (`m`, `dmin`) takes the other
                            // value, of the other sign: never the first's
                            // value, and never a second NaN (which of two
                            // NaNs a sum passes on is the compiler's choice).
                            let special = ((k + case) % 2 == 0) != (j == 1);
                            let [lo, hi] = if special { h } else { ordinary };
                            let sign = if j == 0 { 0 } else { 0x80 };
                            row[at..at + 2].copy_from_slice(&[lo, hi ^ sign]);
                        }
                    }
                    if f == Format::Fbgemm8 {
                        row[dim..dim + 4].copy_from_slice(&scale.to_le_bytes());
                        row[dim + 4..dim + 8].copy_from_slice(&(-scale / 3.0).to_le_bytes());
                    }
                    // FBGEMM 4-bit: the special scale, an ordinary bias.
                    let p = dim.div_ceil(2);
                    if f == Format::Fbgemm4LowFirst {
                        row[p..p + 2].copy_from_slice(&h);
                        row[p + 2..p + 4].copy_from_slice(&0xb555u16.to_le_bytes());
                    }
                    let row = &bytes[1..];
                    let mut want = [0.0f32; 768];
                    if dim > 0 {
                        let n = f.row_bytes(dim).unwrap();
                        dequantize_row(f, &row[..n], scale, &mut want[..dim]).unwrap();
                    }
                    // The AVX2 body, then the AVX-512 one where it runs and
                    // the format has one.
                    for wide in [false, true] {
                        if wide && !(super::avx512() && f.avx512_body()) {
                            continue;
                        }
                        let sixteens = dim / 16 * 16;
                        let whole = match f {
                            Format::F16 if !wide => dim / 8 * 8,
                            Format::F16 | Format::Bf16 | Format::I8 | Format::Fbgemm8 if wide => {
                                sixteens
                            }
                            Format::Fbgemm4LowFirst => sixteens,
                            _ => dim,
                        };
                        // Plain, then through the gather's epilogue, applied
                        // before the store: times each of a few scales, and
                        // plus an add row (`want · t + a`). Under Miri one
                        // scale, with the add row.
                        let times: &[Option<f32>] = if cfg!(miri) {
                            &[None, Some(55.5)]
                        } else {
                            &[
                                None,
                                Some(55.5),
                                Some(-0.0),
                                Some(f32::INFINITY),
                                Some(1e-40),
                            ]
                        };
                        let mut add = [0.0f32; 768];
                        for (i, a) in add.iter_mut().enumerate() {
                            *a = (i as f32 - 300.0) * 0.37;
                        }
                        for &t in times {
                            for plus in [false, true] {
                                // Under Miri the add row only with the scale.
                                if cfg!(miri) && plus != t.is_some() {
                                    continue;
                                }
                                let mut got = [f32::MAX; 769];
                                let out = &mut got[..dim];
                                let p = crate::formats::Post {
                                    times: t.unwrap_or(1.0),
                                    add: &add[..dim],
                                };
                                let done = match (t, plus) {
                                    (None, false) => {
                                        body::<false, false>(wide, f, row, scale, units, p, out)
                                    }
                                    (Some(_), false) => {
                                        body::<true, false>(wide, f, row, scale, units, p, out)
                                    }
                                    (None, true) => {
                                        body::<false, true>(wide, f, row, scale, units, p, out)
                                    }
                                    (Some(_), true) => {
                                        body::<true, true>(wide, f, row, scale, units, p, out)
                                    }
                                };
                                assert_eq!(done, whole, "{f:?}, dim {dim}, wide {wide}");
                                for (i, g) in got.iter().enumerate() {
                                    let w = if i < done {
                                        let w = t.map_or(want[i], |t| want[i] * t);
                                        if plus { w + add[i] } else { w }
                                    } else {
                                        f32::MAX
                                    };
                                    assert!(
                                        same_or_miri_nan(*g, w),
                                        "{f:?}, dim {dim}, wide {wide}, scale {special:#06x}, times {t:?}, add {plus}, value {i}: {g:?} != {w:?}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The AVX2 LayerNorm bodies (statistics, normalisation) against the
    /// lanes, bit for bit, where AVX2 runs: every width up to 100 (whole and partial blocks of 32; 37
    /// under Miri), rows of mixed magnitudes with `-0.0`, subnormals and
    /// equal values (a zero variance), and rows with ±inf or NaN (NaN out:
    /// only NaN-ness is compared there).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_layer_norm_bodies_equal_the_lanes_bit_for_bit() {
        use crate::input::{norm_apply, norm_stats};
        if !bodies_run_here() {
            return;
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || xorshift(&mut x);
        let widths = if cfg!(miri) { 37..=37 } else { 0..=100 };
        for dim in widths {
            let gamma: std::vec::Vec<f32> = (0..dim).map(|i| 0.5 + i as f32 / 64.0).collect();
            let beta: std::vec::Vec<f32> = (0..dim).map(|i| (i as f32 - 20.0) / 8.0).collect();
            for kind in 0..4 {
                let row: std::vec::Vec<f32> = (0..dim)
                    .map(|i| {
                        let r = next();
                        let v = f32::from_bits(0x3f80_0000 | (r as u32 >> 9)) - 1.5;
                        match (kind, r >> 60) {
                            (1, _) => 3.25,
                            (2, 0) => -0.0,
                            (2, 1) => 1e-41,
                            (2, _) => v * 1e4,
                            (3, 0) => f32::INFINITY,
                            (3, 1) => f32::NAN,
                            _ if i % 7 == 0 => v * 1e-3,
                            _ => v,
                        }
                    })
                    .collect();
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                let (mean, var) = unsafe { crate::input::avx2::norm_stats(&row) };
                let (m, v) = norm_stats(&row);
                let same =
                    |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                assert!(
                    same(mean, m) && same(var, v),
                    "dim {dim}, kind {kind}: ({mean:?}, {var:?}) != ({m:?}, {v:?})"
                );
                // (Miri cannot run `libm`'s x86 square root: any `rstd` does.)
                let rstd = if cfg!(miri) {
                    1.0 / (v + 1e-5)
                } else {
                    1.0 / libm::sqrtf(v + 1e-5)
                };
                let (mut got, mut want) = (row.clone(), row.clone());
                // SAFETY: as above.
                unsafe { crate::input::avx2::norm_apply(&mut got, m, rstd, &gamma, &beta) };
                norm_apply(&mut want, m, rstd, &gamma, &beta);
                for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        same(g, w),
                        "dim {dim}, kind {kind}, value {i}: {g:?} != {w:?}"
                    );
                }
            }
        }
    }

    /// The sinusoidal table kernel's AVX2 group body against the lanes'
    /// operations (`sa·co + ca·so`, `ca·co − sa·so`), bit for bit, where
    /// AVX2 runs: both layouts, written and added, a block at column 0 and
    /// one further in, full and short groups; the columns outside the block
    /// untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_table_group_equals_the_lanes_operations_bit_for_bit() {
        if !bodies_run_here() {
            return;
        }
        let value = |i: usize| ((i * 37 % 101) as f32 - 50.0) / 51.0;
        let sa: [f32; 32] = core::array::from_fn(value);
        let ca: [f32; 32] = core::array::from_fn(|k| value(k + 7));
        let os: [[f32; 32]; 16] =
            core::array::from_fn(|r| core::array::from_fn(|k| value(k + r * 3)));
        let oc: [[f32; 32]; 16] =
            core::array::from_fn(|r| core::array::from_fn(|k| value(k * 5 + r)));
        let groups: &[(bool, usize, usize, usize)] = if cfg!(miri) {
            &[(true, 80, 8, 3)]
        } else {
            &[
                (true, 64, 0, 16),
                (true, 80, 8, 3),
                (false, 64, 0, 16),
                (false, 90, 13, 16),
            ]
        };
        for &(interleaved, dim, i0, rows) in groups {
            let n_sin = dim.div_ceil(2);
            for add in [false, true] {
                let mut got: std::vec::Vec<f32> = (0..rows * dim).map(|i| value(i + 11)).collect();
                let mut want = got.clone();
                let layout = (interleaved, n_sin, i0);
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                unsafe {
                    if add {
                        crate::sinusoidal::avx2::rotate_group::<true, 32>(
                            layout,
                            (&sa, &ca),
                            (&os, &oc),
                            &mut got,
                            dim,
                        );
                    } else {
                        crate::sinusoidal::avx2::rotate_group::<false, 32>(
                            layout,
                            (&sa, &ca),
                            (&os, &oc),
                            &mut got,
                            dim,
                        );
                    }
                }
                for (r, row) in want.chunks_exact_mut(dim).enumerate() {
                    for k in 0..32 {
                        let s = sa[k] * oc[r][k] + ca[k] * os[r][k];
                        let c = ca[k] * oc[r][k] - sa[k] * os[r][k];
                        let (js, jc) = if interleaved {
                            (2 * (i0 + k), 2 * (i0 + k) + 1)
                        } else {
                            (i0 + k, n_sin + i0 + k)
                        };
                        row[js] = if add { row[js] + s } else { s };
                        row[jc] = if add { row[jc] + c } else { c };
                    }
                }
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "{interleaved} {dim} {i0} add {add}: value {i}"
                    );
                }
            }
        }
    }

    /// The RoPE AVX2 bodies against the reference rotation of each pair
    /// (`x0·c − x1·s`, `x0·s + x1·c`), bit for bit, where AVX2 runs: both
    /// layouts, and the interleaved one from an expanded row too; rotary
    /// widths that are and are not whole vectors, and the two the half-split
    /// body unrolls (1, 4, 7, 64, 128 pairs; 7 and 64 under Miri), partial
    /// rotary (the rest of each head untouched), three heads.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_rope_bodies_equal_the_reference_rotation_bit_for_bit() {
        use crate::reference::rope::rotate;
        use crate::rope::Layout;
        if !bodies_run_here() {
            return;
        }
        let value = |i: usize| ((i * 53 % 97) as f32 - 48.0) / 7.0;
        let widths: &[usize] = if cfg!(miri) {
            &[7, 64]
        } else {
            &[1, 4, 7, 64, 128]
        };
        for &h in widths {
            let dh = 2 * h + 3;
            let c: std::vec::Vec<f32> = (0..h).map(|j| value(j + 5) / 7.0).collect();
            let s: std::vec::Vec<f32> = (0..h).map(|j| value(j + 9) / 7.0).collect();
            let cd: std::vec::Vec<f32> = c.iter().flat_map(|&c| [c, c]).collect();
            let sd: std::vec::Vec<f32> = s.iter().flat_map(|&s| [-s, s]).collect();
            let x: std::vec::Vec<f32> = (0..3 * dh).map(value).collect();
            for (layout, expanded) in [
                (Layout::HalfSplit, false),
                (Layout::Interleaved, false),
                (Layout::Interleaved, true),
            ] {
                let mut got = x.clone();
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                unsafe {
                    if expanded {
                        crate::rope::avx2::rotate_heads_expanded(&mut got, dh, &cd, &sd);
                    } else {
                        let interleaved = layout == Layout::Interleaved;
                        crate::rope::avx2::rotate_heads(interleaved, &mut got, dh, &c, &s);
                    }
                }
                let mut want = x.clone();
                for head in want.chunks_exact_mut(dh) {
                    rotate(layout, head, &c, &s);
                }
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "{layout:?} {expanded} h {h}: value {i}"
                    );
                }
            }
        }
    }

    /// The input layer's AVX2 row-sum body against the lanes' loop
    /// (`input::combine_k`), bit for bit, where AVX2 runs: every term
    /// present, none, and two mixes; lengths up to 20 (11 under Miri),
    /// values with ±inf, subnormals and -0.0.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_input_combine_equals_the_lanes_bit_for_bit() {
        use crate::input::avx2::combine;
        use crate::input::combine_k;
        if !bodies_run_here() {
            return;
        }
        let specials = [f32::INFINITY, 1e-40, -0.0, 2.5, -3.75, 1e30, 0.125];
        let value = |i: usize| specials[i % specials.len()] * (1.0 + (i % 5) as f32);
        let lens = if cfg!(miri) { 11..=11 } else { 0..=20 };
        for len in lens {
            let x: std::vec::Vec<f32> = (0..len).map(value).collect();
            let a: std::vec::Vec<f32> = (0..len).map(|i| value(i + 2)).collect();
            let b: std::vec::Vec<f32> = (0..len).map(|i| value(i + 4)).collect();
            let o: std::vec::Vec<f32> = (0..len).map(|i| value(i + 1)).collect();
            type Pair = (
                unsafe fn(&mut [f32], &[f32], f32, &[f32], &[f32]),
                fn(&mut [f32], &[f32], f32, &[f32], &[f32]),
            );
            let pairs: [Pair; 4] = [
                (
                    combine::<true, true, true, true>,
                    combine_k::<true, true, true, true>,
                ),
                (
                    combine::<false, false, false, false>,
                    combine_k::<false, false, false, false>,
                ),
                (
                    combine::<true, false, true, false>,
                    combine_k::<true, false, true, false>,
                ),
                (
                    combine::<false, true, false, true>,
                    combine_k::<false, true, false, true>,
                ),
            ];
            for (k, (body, lanes)) in pairs.into_iter().enumerate() {
                let (mut got, mut want) = (o.clone(), o.clone());
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                unsafe { body(&mut got, &x, 55.5, &a, &b) };
                lanes(&mut want, &x, 55.5, &a, &b);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        same_or_miri_nan(*g, *w),
                        "combination {k}, len {len}, value {i}: {g:?} != {w:?}"
                    );
                }
            }
        }
    }

    /// The input layer's `out = src × times + out` body against the same
    /// scalar operations, bit for bit, where AVX2 runs: every length up to
    /// 40 (9 under Miri), values with NaN, ±inf, subnormals and -0.0
    /// (and the NaNs of `0 × inf` and `inf - inf`), with and without the
    /// scale; the values past the row untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f32_onto_body_equals_the_scalar_operations_bit_for_bit() {
        if !bodies_run_here() {
            return;
        }
        let value = |i: usize, k: usize| SPECIALS[(i * 5 + k) % SPECIALS.len()] * (1.0 + i as f32);
        let lens = if cfg!(miri) { 9..=9 } else { 0..=40 };
        for len in lens {
            let src: std::vec::Vec<f32> = (0..len).map(|i| value(i, 0)).collect();
            for times in [None, Some(55.5f32), Some(-0.0), Some(f32::INFINITY)] {
                // No NaN already in `out`: which of two NaN operands an add
                // returns is the compiler's choice (it may swap them).
                let mut got: std::vec::Vec<f32> = (0..=len)
                    .map(|i| value(i, 3))
                    .map(|o| if o.is_nan() { 7.0 } else { o })
                    .collect();
                let before = got.clone();
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                let done = unsafe {
                    match times {
                        Some(t) => crate::formats::avx2::f32_onto::<true>(&src, t, &mut got[..len]),
                        None => crate::formats::avx2::f32_onto::<false>(&src, 1.0, &mut got[..len]),
                    }
                };
                assert_eq!(done, len);
                for (i, (&g, &o)) in got.iter().zip(&before).enumerate() {
                    let w = match (i < len, times) {
                        (false, _) => o,
                        (true, Some(t)) => src[i] * t + o,
                        (true, None) => src[i] + o,
                    };
                    assert!(
                        same_or_miri_nan(g, w),
                        "len {len}, times {times:?}, value {i}: {g:?} != {w:?}"
                    );
                }
            }
        }
    }

    /// The many-token gather's AVX2 body (`gather::avx2::epilogue_rows`)
    /// against the reference's operations, bit for bit, where AVX2 runs:
    /// four tokens (one repeated) of row widths around the 8-value step and
    /// the 64-value inline limit (0 and 9 under Miri), a column range that
    /// starts at 0 or 3, output rows two values apart, table values with
    /// NaN, ±inf, subnormals and -0.0; times, plus or both. The values
    /// between the output rows stay untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_gather_epilogue_rows_equal_the_reference_bit_for_bit() {
        use crate::gather::{NativeRows, avx2::epilogue_rows};
        if !bodies_run_here() {
            return;
        }
        let value = |i: usize| SPECIALS[i % SPECIALS.len()] * (1.0 + (i / 8) as f32);
        let widths: &[usize] = if cfg!(miri) {
            &[0, 9]
        } else {
            &[0, 1, 7, 8, 9, 17, 63, 64, 65, 100]
        };
        let tokens = [2u32, 0, 2, 1];
        for &width in widths {
            for c0 in [0, 3] {
                let (dim, stride) = (c0 + width + 1, width + 2);
                let table: std::vec::Vec<f32> = (0..3 * dim).map(value).collect();
                // No NaN in the add rows: which of two NaN operands an add
                // returns is the compiler's choice (it may swap them).
                let add: std::vec::Vec<f32> = (0..tokens.len() * width)
                    .map(|i| value(3 * i + 1))
                    .map(|a| if a.is_nan() { -7.0 } else { a })
                    .collect();
                for (times, plus) in [(Some(55.5f32), true), (Some(-0.0), false), (None, true)] {
                    let mut got = std::vec![f32::MAX; tokens.len() * stride];
                    let rows = NativeRows {
                        data: &table,
                        dim,
                        c0,
                        width,
                        tokens: &tokens,
                        out: &mut got,
                        stride,
                    };
                    // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                    unsafe {
                        match (times, plus) {
                            (Some(t), true) => epilogue_rows::<true, true>(rows, t, &add),
                            (Some(t), false) => epilogue_rows::<true, false>(rows, t, &[]),
                            _ => epilogue_rows::<false, true>(rows, 1.0, &add),
                        }
                    }
                    for (i, &g) in got.iter().enumerate() {
                        let (t, j) = (i / stride, i % stride);
                        let w = if j < width {
                            let x = table[tokens[t] as usize * dim + c0 + j];
                            let x = times.map_or(x, |s| x * s);
                            if plus { x + add[t * width + j] } else { x }
                        } else {
                            f32::MAX
                        };
                        assert!(
                            same_or_miri_nan(g, w),
                            "width {width}, c0 {c0}, {times:?} {plus}: value {i}: {g:?} != {w:?}"
                        );
                    }
                }
            }
        }
    }

    /// The AVX2 plain copy of short rows (`gather::avx2::copy_rows`) writes
    /// every table row of the ids bit for bit (NaN payloads, ±inf,
    /// subnormals, -0.0), for row lengths around its 8-value step and the
    /// `INLINE_COPY_MAX` limit, with output rows at every 16-byte offset
    /// from a 32-byte boundary; nothing past the last row is written.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_gather_copy_rows_write_the_table_rows_bit_for_bit() {
        use crate::gather::{NativeRows, avx2::copy_rows};
        if !bodies_run_here() {
            return;
        }
        let widths: &[usize] = if cfg!(miri) {
            &[17, 20]
        } else {
            &[1, 7, 8, 9, 17, 24, 31, 33, 63, 64]
        };
        let tokens = [2u32, 0, 2, 1, 2];
        for &dim in widths {
            let table: std::vec::Vec<f32> = (0..3 * dim)
                .map(|i| match i % 11 {
                    0 => f32::from_bits(0x7fa0_0001 + i as u32), // a signalling NaN
                    k => SPECIALS[k % SPECIALS.len()] * (1.0 + i as f32),
                })
                .collect();
            for skip in [0, 4] {
                let mut buf = std::vec![f32::MAX; tokens.len() * dim + 4 + 8];
                let out = &mut buf[skip..skip + tokens.len() * dim];
                let rows = NativeRows {
                    data: &table,
                    dim,
                    c0: 0,
                    width: dim,
                    tokens: &tokens,
                    out,
                    stride: dim,
                };
                // SAFETY: `avx2_f16c()` (checked above) says AVX2 runs here.
                unsafe { copy_rows(rows) };
                for (i, &g) in buf.iter().enumerate() {
                    let w = match i.checked_sub(skip) {
                        Some(k) if k < tokens.len() * dim => {
                            table[tokens[k / dim] as usize * dim + k % dim]
                        }
                        _ => f32::MAX,
                    };
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "dim {dim}, skip {skip}: value {i}"
                    );
                }
            }
        }
    }

    /// The many-token loops in one AVX2 or AVX-512 function
    /// (`Table::decode_rows_fused`: `view_rows`, and `block_rows` for the
    /// ggml views; AVX-512 where it runs and the format has its bodies) write row
    /// `tokens[t]` into output row `t` through the epilogue with
    /// add row `t`, as the row-by-row decode (`Table::decode_fused_into`)
    /// writes it, for every format, repeated tokens, output rows with gaps
    /// (left untouched). The rows' values are the same bodies' (tested
    /// against the reference above), so two NaNs count as equal.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_row_loops_equal_the_row_by_row_decode() {
        use crate::formats::{
            Bf16Table, BlockTable, F16Table, Fbgemm4Table, Fbgemm8Table, Format, I8Table, Iq3S,
            Iq4Nl, Iq4Xs, Q2K, Q3K, Q4_0, Q4_1, Q4K, Q5_0, Q5_1, Q5K, Q6K, Q8_0, Table,
        };
        fn check<V: Table>(view: &V, f: Format) {
            let dim = view.dim();
            let tokens = [2u32, 0, 2, 1];
            let add: std::vec::Vec<f32> = (0..tokens.len() * dim).map(|i| i as f32 - 7.5).collect();
            let stride = dim + 3;
            let mut got = std::vec![f32::MAX; tokens.len() * stride];
            assert!(view.decode_rows_fused(&tokens, Some(1.5), Some(&add), &mut got, stride));
            let mut want = std::vec![f32::MAX; tokens.len() * stride];
            for (t, &tok) in tokens.iter().enumerate() {
                let a = &add[t * dim..(t + 1) * dim];
                let row = &mut want[t * stride..t * stride + dim];
                view.decode_fused_into(tok as usize, 0, Some(1.5), Some(a), row);
            }
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "{f:?}: value {i}: {g:?} != {w:?}"
                );
            }
        }
        if !bodies_run_here() {
            return;
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let bytes: std::vec::Vec<u8> = (0..3 * 2 * 210).map(|_| xorshift(&mut x) as u8).collect();
        // Three rows of each format (two 256-value blocks for the K-quants,
        // one under Miri).
        let k = if cfg!(miri) { 1 } else { 2 };
        let rows = |f: Format, dim: usize| &bytes[..3 * f.row_bytes(dim).expect("whole blocks")];
        let view = |f: Format, dim: usize| (rows(f, dim), dim);
        macro_rules! blocks {
            ($($b:ty => $f:expr, $dim:expr;)*) => {$(
                let (b, dim) = view($f, $dim);
                check(&BlockTable::<$b>::from_bytes(b, dim).expect("whole rows"), $f);
            )*};
        }
        blocks! {
            Q8_0 => Format::Q8_0, 64;
            Q4_0 => Format::Q4_0Split, 64;
            Q4_1 => Format::Q4_1Split, 64;
            Q5_0 => Format::Q5_0Split, 64;
            Q5_1 => Format::Q5_1Split, 64;
            Q2K => Format::Q2KSplit, 256 * k;
            Q3K => Format::Q3KSplit, 256 * k;
            Q4K => Format::Q4KSplit, 256 * k;
            Q5K => Format::Q5KSplit, 256 * k;
            Q6K => Format::Q6KSplit, 256 * k;
            Iq4Nl => Format::Iq4NlSplit, 64;
            Iq4Xs => Format::Iq4XsSplit, 256 * k;
            Iq3S => Format::Iq3S, 256 * k;
        }
        let (b, dim) = view(Format::Bf16, 37);
        check(&Bf16Table::from_bytes(b, dim).expect("rows"), Format::Bf16);
        let (b, dim) = view(Format::F16, 37);
        check(&F16Table::from_bytes(b, dim).expect("rows"), Format::F16);
        let (b, dim) = view(Format::I8, 37);
        check(
            &I8Table::per_row(b, dim, &[0.5, -2.0, 1e-3]).expect("rows"),
            Format::I8,
        );
        let (b, dim) = view(Format::Fbgemm8, 37);
        check(
            &Fbgemm8Table::from_bytes(b, dim).expect("rows"),
            Format::Fbgemm8,
        );
        let (b, dim) = view(Format::Fbgemm4LowFirst, 37);
        check(
            &Fbgemm4Table::from_bytes(b, dim).expect("rows"),
            Format::Fbgemm4LowFirst,
        );
    }

    /// The AVX2 body of format `f` (with `wide`, its AVX-512 body: see
    /// `Format::avx512_body`) over the first `units` values (or blocks) of
    /// `row`, through the epilogue `p` (`S`: times, `A`: plus).
    #[cfg(target_arch = "x86_64")]
    fn body<const S: bool, const A: bool>(
        wide: bool,
        f: crate::formats::Format,
        row: &[u8],
        scale: f32,
        units: usize,
        p: crate::formats::Post<'_>,
        out: &mut [f32],
    ) -> usize {
        use crate::formats::{Format, avx2, avx512, f16_to_f32};
        let (dim, half) = (out.len(), out.len().div_ceil(2));
        if wide {
            // SAFETY: the caller checked `avx512()`: AVX-512F, DQ and BW, AVX2
            // and F16C run here.
            return unsafe {
                match f {
                    Format::Bf16 => avx512::bf16::<S, A>(&row[..2 * dim], p, out),
                    Format::F16 => avx512::f16::<S, A>(&row[..2 * dim], p, out),
                    Format::I8 => avx512::i8::<S, A>(&row[..dim], scale, p, out),
                    Format::Fbgemm8 => {
                        avx512::fbgemm8::<S, A>(&row[..dim], scale, -scale / 3.0, p, out)
                    }
                    Format::Fbgemm4LowFirst => {
                        avx512::fbgemm4::<S, A>(&row[..half], scale, f16_to_f32(0xb555), p, out)
                    }
                    Format::Q5_0Split => avx512::q5_0::<S, A>(&row[..22 * units], p, out),
                    Format::Q5_1Split => avx512::q5_1::<S, A>(&row[..24 * units], p, out),
                    Format::Q4_0Split => avx512::q4_0::<S, A>(&row[..18 * units], p, out),
                    Format::Q4_1Split => avx512::q4_1::<S, A>(&row[..20 * units], p, out),
                    Format::Iq4NlSplit => avx512::iq4_nl::<S, A>(&row[..18 * units], p, out),
                    Format::Q4KSplit => avx512::q4_k::<S, A>(&row[..144 * units], p, out),
                    Format::Q6KSplit => avx512::q6_k::<S, A>(&row[..210 * units], p, out),
                    _ => avx512::q8_0::<S, A>(&row[..34 * units], p, out),
                }
            };
        }
        // SAFETY: the caller checked `avx2_f16c()`: AVX2 and F16C run here.
        unsafe {
            match f {
                Format::F32 => {
                    let mut v = [0.0f32; 160];
                    for (v, b) in v.iter_mut().zip(row[..4 * dim].as_chunks::<4>().0) {
                        *v = f32::from_le_bytes(*b);
                    }
                    avx2::f32::<S, A>(&v[..dim], p, out)
                }
                Format::Bf16 => avx2::bf16::<S, A>(&row[..2 * dim], p, out),
                Format::F16 => avx2::f16::<S, A>(&row[..2 * dim], p, out),
                Format::I8 => avx2::i8::<S, A>(&row[..dim], scale, p, out),
                Format::Fbgemm8 => avx2::fbgemm8::<S, A>(&row[..dim], scale, -scale / 3.0, p, out),
                Format::Fbgemm4LowFirst => {
                    avx2::fbgemm4::<S, A>(&row[..half], scale, f16_to_f32(0xb555), p, out)
                }
                Format::Q8_0 => avx2::q8_0::<S, A>(&row[..34 * units], p, out),
                Format::Q4_0Split => avx2::q4_0::<S, A>(&row[..18 * units], p, out),
                Format::Q4_1Split => avx2::q4_1::<S, A>(&row[..20 * units], p, out),
                Format::Q5_0Split => avx2::q5_0::<S, A>(&row[..22 * units], p, out),
                Format::Q5_1Split => avx2::q5_1::<S, A>(&row[..24 * units], p, out),
                Format::Q2KSplit => avx2::q2_k::<S, A>(&row[..84 * units], p, out),
                Format::Q3KSplit => avx2::q3_k::<S, A>(&row[..110 * units], p, out),
                Format::Q4KSplit => avx2::q4_k::<S, A>(&row[..144 * units], p, out),
                Format::Q5KSplit => avx2::q5_k::<S, A>(&row[..176 * units], p, out),
                Format::Iq4NlSplit => avx2::iq4_nl::<S, A>(&row[..18 * units], p, out),
                Format::Iq4XsSplit => avx2::iq4_xs::<S, A>(&row[..136 * units], p, out),
                Format::Iq3S => avx2::iq3_s::<S, A>(&row[..110 * units], p, out),
                _ => avx2::q6_k::<S, A>(&row[..210 * units], p, out),
            }
        }
    }

    /// The one-row sinusoidal bodies (AVX-512 where it runs, through the
    /// dispatch; AVX2 where it runs, and SSE2, directly) against the scalar
    /// twin, bit for bit: both layouts, written and added, frequency counts
    /// around the 4-, 8-, 16- and 64-frequency steps, positions from 0 to `u32::MAX`,
    /// interleaved rows written forward and from their end; the values past
    /// what a body did are untouched.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sinusoidal_row_bodies_equal_the_scalar_twin_bitwise() {
        use crate::math::{sincos_turns, turns_per_pos};
        type Body = fn(&[u64], u32, bool, usize, &mut [f32]) -> usize;
        let bodies: [(&str, bool, usize, Body, Body); 3] = [
            (
                "AVX-512",
                super::avx512(),
                16,
                super::sinusoidal_row::<false>,
                super::sinusoidal_row::<true>,
            ),
            (
                "AVX2",
                super::avx2_f16c(),
                8,
                super::sinusoidal_row_avx2::<false>,
                super::sinusoidal_row_avx2::<true>,
            ),
            (
                "SSE2",
                !cfg!(inlayer_force_scalar),
                4,
                super::sinusoidal_row_sse2::<false>,
                super::sinusoidal_row_sse2::<true>,
            ),
        ];
        let turns: std::vec::Vec<u64> = (0..200)
            .map(|i| turns_per_pos(libm::pow(10_000.0, -f64::from(i) / 200.0)))
            .collect();
        let (counts, positions): (&[usize], &[u32]) = if cfg!(miri) {
            (&[0, 9, 17], &[1000, u32::MAX])
        } else {
            (
                &[0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 80, 127, 128, 200],
                &[0, 1, 1000, 65_537, 1 << 31, u32::MAX],
            )
        };
        for (name, runs, step, write, add) in bodies {
            if !runs {
                std::eprintln!("no {name} here: its sinusoidal row body is not run");
                continue;
            }
            for &n in counts {
                for &pos in positions {
                    // The interleaved layout twice: with the row placed
                    // under 1 KiB past the frequencies modulo 4 KiB (the
                    // bodies then write it from its end) and past that.
                    for (interleaved, near) in [(false, false), (true, true), (true, false)] {
                        let t = &turns[..n];
                        let (mut rows, mut added) = (
                            std::vec![0.25f32; 2 * n + 1024],
                            std::vec![0.25f32; 2 * n + 1024],
                        );
                        let at = |v: &[f32]| {
                            (0..1024)
                                .find(|&k| {
                                    let gap =
                                        v[k..].as_ptr().addr().wrapping_sub(t.as_ptr().addr());
                                    (gap % 4096 < 1024) == near
                                })
                                .unwrap_or(0)
                        };
                        let (k, k_add) = (at(&rows), at(&added));
                        let row = &mut rows[k..k + 2 * n];
                        let added = &mut added[k_add..k_add + 2 * n];
                        let done = write(t, pos, interleaved, n, row);
                        assert_eq!(add(t, pos, interleaved, n, added), done);
                        assert_eq!(done, n / step * step, "{name}");
                        for (i, &f) in t.iter().enumerate() {
                            let (s, c) = sincos_turns(u64::from(pos).wrapping_mul(f));
                            let (cs, cc) = if interleaved {
                                (2 * i, 2 * i + 1)
                            } else {
                                (i, n + i)
                            };
                            let want = |v: f32, add: bool| match (i < done, add) {
                                (false, _) => 0.25f32,
                                (true, false) => v,
                                (true, true) => 0.25 + v,
                            };
                            for (got, add) in [(&*row, false), (&*added, true)] {
                                let at = |c: usize| got[c].to_bits();
                                let ctx = (name, n, pos, interleaved, near, i, add);
                                assert_eq!(at(cs), want(s, add).to_bits(), "sin {ctx:?}");
                                assert_eq!(at(cc), want(c, add).to_bits(), "cos {ctx:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
