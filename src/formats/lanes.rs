//! Lane helpers shared by the decoders: byte and 16-bit loads widened to
//! `f32` lanes, the branch-free `f16` widening, and the row driver.
//!
//! The work per element is kept on the narrow lanes ([`U8x16`], [`U16x8`]:
//! one SSE2 instruction per 16 or 8 elements) and widened to 32-bit lanes
//! only at the end, with unpacks rather than shifts (a default `x86_64`
//! build has no `pmovsx`/`pmovzx`, and vector shifts issue on fewer ports
//! than logic and unpacks).
//!
//! `f16` → `f32` is exact and touches no subnormal `f32` operand (so it is
//! right, and fast, also under denormals-are-zero): on the 16-bit lanes, the
//! magnitude is re-biased into the `f32` layout (`em << 13` with the exponent
//! field raised by 112); a subnormal `f16` then reads as the normal
//! `x = 2^-15 + m·2^-25`, and `min(x, 2x - 2^-14)` is its value `m·2^-24`
//! (exact) while leaving every other lane unchanged; inf/NaN are re-biased
//! like normal numbers (no arithmetic sees a NaN) and get their all-ones
//! exponent, with the sign (and a NaN its quiet bit), by one final OR. A NaN
//! keeps its sign and payload and comes out quiet, as the hardware widens it:
//! where the CPU runs F16C, `F16Table` rows use `vcvtph2ps`
//! (`crate::arch::f16_rows`), the same bits.

use super::Post;
use crate::simd::{F32x8, I32x8, U8x16, U16x8};

/// `2^-24`, the value of the `f16` subnormal unit.
const F16_SUBNORMAL_UNIT: f32 = 1.0 / 16_777_216.0;

/// `2^-14`, the smallest normal `f16`.
const F16_MIN_NORMAL: f32 = 1.0 / 16_384.0;

/// Widens eight little-endian `f16` by the branch-free widening below (the
/// rows of `F16Table` take F16C first where the CPU runs it, see
/// `crate::arch::f16_rows`).
#[inline(always)]
pub(super) fn f16_lanes(b: &[u8; 16]) -> F32x8 {
    f16_widen(U16x8::load_le(b))
}

/// Widens eight `f16` bit patterns (the software widening).
#[inline(always)]
pub(super) fn f16_widen(h: U16x8) -> F32x8 {
    let s = U16x8::splat;
    // The magnitude re-biased into the `f32` layout: `em << 13` with 112
    // added to the exponent field, built on the 16-bit halves. Exact for
    // normal numbers; inf/NaN stay finite here (no arithmetic sees a NaN).
    let mag = h & s(0x7fff);
    let x = F32x8::from_bits(I32x8::join16(h << 13, (mag >> 3) + s(0x3800)));
    // A subnormal (exponent field 0) reads as x = 2^-15 + m·2^-25; its value
    // m·2^-24 = 2x - 2^-14 exactly (Sterbenz), and only for those lanes is
    // that below x (x ≥ 2^-14 elsewhere, and rounding is monotonic).
    let x = x.min(x + x - F32x8::splat(F16_MIN_NORMAL));
    // The sign, the all-ones exponent of inf/NaN and the quiet bit of a NaN
    // (magnitude above inf's 0x7c00), by one OR.
    let inf_nan = mag.gt_signed(s(0x7bff));
    let nan = mag.gt_signed(s(0x7c00));
    let top = (h & s(0x8000)) | (inf_nan & s(0x7f80)) | (nan & s(0x0040));
    F32x8::from_bits(x.to_bits() | I32x8::join16(s(0), top))
}

/// Widens eight little-endian `bf16`.
#[inline(always)]
pub(super) fn bf16_lanes(b: &[u8; 16]) -> F32x8 {
    F32x8::from_bits(I32x8::from_high16(U16x8::load_le(b)))
}

/// Widens one `f16` (the scale fields of the block formats): the same
/// values as [`f16_lanes`], branching on the rare cases.
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let em = h & 0x7fff;
    let e = h & 0x7c00;
    let sign = (h & 0x8000) << 16;
    let inf_nan = (e + 0x0400) >> 15;
    let rebias = (112 << 23) + (0u32.wrapping_sub(inf_nan) & (112 << 23));
    let mag = if e == 0 {
        (em as f32 * F16_SUBNORMAL_UNIT).to_bits()
    } else {
        (em << 13) + rebias
    };
    let quiet = u32::from(em > 0x7c00) << 22; // a NaN comes out quiet
    f32::from_bits(mag | sign | quiet)
}

/// Reads a little-endian `f16` at `b[i..i + 2]` and widens it.
#[inline(always)]
pub(super) fn f16_at(b: &[u8], i: usize) -> f32 {
    match b.get(i..i + 2) {
        Some(&[lo, hi]) => f16_to_f32(u16::from_le_bytes([lo, hi])),
        _ => 0.0,
    }
}

/// Reads a little-endian `f32` at `b[i..i + 4]`.
#[inline(always)]
pub(super) fn f32_at(b: &[u8], i: usize) -> f32 {
    match b.get(i..i + 4) {
        Some(&[b0, b1, b2, b3]) => f32::from_le_bytes([b0, b1, b2, b3]),
        _ => 0.0,
    }
}

/// Sixteen `i8` as exact `f32`: the bytes are biased to `u8` (`x ^ 0x80`)
/// and the bias subtracted in the conversion (no shifts).
#[inline(always)]
pub(super) fn i8_f32(b: &[u8; 16]) -> [F32x8; 2] {
    (U8x16::load(b) ^ U8x16::splat(0x80)).to_f32_minus(128)
}

/// Sixteen `u8` as exact `f32`.
#[inline(always)]
pub(super) fn u8_f32(b: &[u8; 16]) -> [F32x8; 2] {
    U8x16::load(b).to_f32_minus(0)
}

/// Decodes `out.len()` elements from `src`, sixteen at a time from `N`
/// bytes with `lane`, through the epilogue `p` (times `p.times` with `S`,
/// plus `p.add` with `A`, before the store); the tail goes through `lane`
/// too, on zero-padded bytes, so the result does not depend on where the
/// tail starts.
#[inline(always)]
pub(super) fn map_elems<const N: usize, const S: bool, const A: bool>(
    src: &[u8],
    out: &mut [f32],
    p: Post<'_>,
    lane: impl Fn(&[u8; N]) -> [F32x8; 2],
) {
    let t = F32x8::splat(p.times);
    let (oc, ot) = out.as_chunks_mut::<16>();
    let (sc, _) = src.as_chunks::<N>();
    for (i, (o, s)) in oc.iter_mut().zip(sc).enumerate() {
        store16(post16::<S, A>(lane(s), t, p.add, 16 * i), o);
    }
    if !ot.is_empty() {
        // The bytes after the whole chunks (for 4-bit rows, a last odd
        // element's byte may complete a chunk that `out` does not).
        let st = src.get(oc.len() * N..).unwrap_or(&[]);
        let mut pad = [0u8; N];
        for (p, s) in pad.iter_mut().zip(st) {
            *p = *s;
        }
        let mut tmp = [0.0f32; 16];
        store16(then::<S>(lane(&pad), t), &mut tmp);
        let add = p.add.get(oc.len() * 16..).unwrap_or(&[]);
        for (j, (o, t)) in ot.iter_mut().zip(tmp).enumerate() {
            *o = match add.get(j) {
                Some(a) if A => t + a,
                _ => t,
            };
        }
    }
}

/// Sixteen values `v` through the epilogue: times `t` with `S`, then plus
/// the add row's sixteen values from `k` with `A` (none past its end).
#[inline(always)]
pub(super) fn post16<const S: bool, const A: bool>(
    v: [F32x8; 2],
    t: F32x8,
    add: &[f32],
    k: usize,
) -> [F32x8; 2] {
    let v = then::<S>(v, t);
    let a = if A {
        add.get(k..).and_then(|a| a.first_chunk::<16>())
    } else {
        None
    };
    match a {
        Some(a) => {
            let (a, _) = a.as_chunks::<8>();
            [v[0] + F32x8::load(&a[0]), v[1] + F32x8::load(&a[1])]
        }
        None => v,
    }
}

/// `v`, times `t` when `S` (the gather's scale, applied before the store;
/// see `Table::decode_fused_into`).
#[inline(always)]
pub(super) fn then<const S: bool>(v: [F32x8; 2], t: F32x8) -> [F32x8; 2] {
    if S { v.map(|v| v * t) } else { v }
}

/// `out[j] *= scale`: the scale of values decoded by code that does not
/// apply it before its stores.
#[inline(always)]
pub(super) fn scale_in_place(out: &mut [f32], scale: f32) {
    let t = F32x8::splat(scale);
    let (o8, o1) = out.as_chunks_mut::<8>();
    for o in o8 {
        (F32x8::load(o) * t).store(o);
    }
    o1.iter_mut().for_each(|x| *x *= scale);
}

/// Stores two vectors to sixteen consecutive values.
#[inline(always)]
pub(super) fn store16([a, b]: [F32x8; 2], out: &mut [f32; 16]) {
    let (o, _) = out.as_chunks_mut::<8>();
    if let [oa, ob] = o {
        a.store(oa);
        b.store(ob);
    }
}
