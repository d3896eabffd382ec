//! Lane helpers shared by the decoders: byte loads into [`I32x8`], the
//! branch-free `f16` widening, and the element-wise row driver.
//!
//! `f16` → `f32` is exact integer bit manipulation (no lookup table, no
//! hardware conversion, no rounding): normal numbers and inf/NaN are
//! re-biased by shifting the 15 magnitude bits up 13 places and adding 112
//! (inf/NaN: 224) to the exponent; subnormals are `mantissa * 2^-24`, an
//! exact `i32 → f32` conversion and a multiplication by a power of two whose
//! result is a normal `f32`. NaN payloads are kept bit for bit (a signalling
//! NaN stays signalling), which a hardware `cvtph` would not do.

use crate::simd::{F32x8, I32x8};

/// `2^-24`, the value of the `f16` subnormal unit.
const F16_SUBNORMAL_UNIT: f32 = 1.0 / 16_777_216.0;

/// Widens eight `f16` bit patterns (zero-extended in `i32` lanes).
#[inline(always)]
pub(super) fn f16_lanes(h: I32x8) -> F32x8 {
    let em = h & I32x8::splat(0x7fff);
    let e = h & I32x8::splat(0x7c00);
    let sign = (h & I32x8::splat(0x8000)) << 16;
    // 1 exactly when the exponent field is all ones (inf or NaN).
    let inf_nan = (e + I32x8::splat(0x0400)) >> 15;
    let rebias = I32x8::splat(112 << 23) + ((I32x8::splat(0) - inf_nan) & I32x8::splat(112 << 23));
    let normal = (em << 13) + rebias;
    let sub = (F32x8::from_i32(em) * F32x8::splat(F16_SUBNORMAL_UNIT)).to_bits();
    F32x8::from_bits(e.select_zero(sub, normal) | sign)
}

/// Widens one `f16` with the same operations as [`f16_lanes`].
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
    f32::from_bits(mag | sign)
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

/// Eight little-endian `u16`, zero-extended.
#[inline(always)]
pub(super) fn load_u16(b: &[u8; 16]) -> I32x8 {
    I32x8::load_u16(b)
}

/// Eight `i8`, sign-extended.
#[inline(always)]
pub(super) fn load_i8(b: &[u8; 8]) -> I32x8 {
    (I32x8::load_u8(b) << 24) >> 24
}

/// Eight `u8`, zero-extended.
#[inline(always)]
pub(super) fn load_u8(b: &[u8; 8]) -> I32x8 {
    I32x8::load_u8(b)
}

/// Decodes `out.len()` elements of `N / 8` bytes each from `src`, eight at a
/// time with `lane`; the tail goes through `lane` too, on zero-padded bytes,
/// so the result does not depend on where the tail starts.
#[inline(always)]
pub(super) fn map_elems<const N: usize>(
    src: &[u8],
    out: &mut [f32],
    lane: impl Fn(&[u8; N]) -> F32x8,
) {
    let (oc, ot) = out.as_chunks_mut::<8>();
    let (sc, _) = src.as_chunks::<N>();
    for (o, s) in oc.iter_mut().zip(sc) {
        lane(s).store(o);
    }
    if !ot.is_empty() {
        // The bytes after the whole lanes (for 4-bit rows, a last odd
        // element's byte may complete a chunk that `out` does not).
        let st = src.get(oc.len() * N..).unwrap_or(&[]);
        let mut pad = [0u8; N];
        for (p, s) in pad.iter_mut().zip(st) {
            *p = *s;
        }
        let mut tmp = [0.0f32; 8];
        lane(&pad).store(&mut tmp);
        for (o, t) in ot.iter_mut().zip(tmp) {
            *o = t;
        }
    }
}
