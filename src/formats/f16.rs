//! `f16` and `bf16` tables: borrowed little-endian 16-bit rows, widened to
//! `f32` on SIMD lanes; and their encoders.
//!
//! Decoding is exact (every `f16` and `bf16` value is an `f32`): `bf16` is
//! `f32::from_bits(h << 16)`, every bit kept; `f16` the branch-free bit
//! conversion of `lanes.rs`, or on x86_64 F16C's `vcvtph2ps` wherever the CPU
//! runs it (see `crate::arch`: detected at run time on a default build), an
//! `f16` NaN coming out quiet with its sign and payload either way. Encoding rounds to nearest, ties to even (error ≤ half an ulp
//! of the 16-bit format: relative 2^-11 for `f16` normals, 2^-8 for `bf16`);
//! `f16` overflows to ±inf beyond 65504 (exactly: from 65520 up), NaN becomes
//! a quiet NaN of the same sign.

use super::lanes::{bf16_lanes, f16_lanes, map_elems};
use super::{Format, Post, Table};
use crate::Error;

macro_rules! half_table {
    ($(#[$doc:meta])* $name:ident, $format:expr, $rows:ident, $lane:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            bytes: &'a [u8],
            rows: usize,
            dim: usize,
        }

        impl<'a> $name<'a> {
            /// Views little-endian 16-bit values (any alignment) as rows of
            /// `dim` values, without copying.
            ///
            /// # Errors
            /// [`Error::InvalidShape`] if `dim == 0`, [`Error::Overflow`] if
            /// a row's size overflows, [`Error::NotWholeRows`] if
            /// `bytes.len()` is not a whole number of rows.
            pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
                let rows = $format.rows_in(bytes.len(), dim)?;
                Ok(Self { bytes, rows, dim })
            }
        }

        impl super::DecodePost for $name<'_> {
            #[cfg(target_arch = "x86_64")]
            const AVX512: bool = true;

            #[inline]
            fn decode<const S: bool, const A: bool>(
                &self,
                row: usize,
                c0: usize,
                p: Post<'_>,
                out: &mut [f32],
            ) {
                let start = row.saturating_mul(self.dim).saturating_add(c0).saturating_mul(2);
                // A broken precondition must not panic: out of range, return.
                let Some(src) = self.bytes.get(start..start.saturating_add(2 * out.len())) else {
                    return;
                };
                // AVX2 (and F16C) where the CPU runs them, on any x86_64
                // build (`crate::arch`); the lanes for the rest.
                let done = crate::arch::$rows::<S, A>(src, p, out);
                if done < out.len() {
                    Self::lanes_tail::<S, A>(src, out, p, done);
                }
            }
        }

        impl $name<'_> {
            /// Values `done..` of a row by the lanes: out of line on
            /// x86_64, so that the decode that an AVX2 or AVX-512 body did
            /// whole keeps a small frame (no registers of the lanes' loop
            /// to save). A one-token `bf16` gather of D = 16 took 6.0 ns
            /// with this inlined and 4.3 without, D = 384 0.63 → 0.69× the
            /// `memcpy` (medians of six alternating runs, a scratch harness).
            #[cfg_attr(target_arch = "x86_64", inline(never))]
            #[cfg_attr(not(target_arch = "x86_64"), inline(always))]
            fn lanes_tail<const S: bool, const A: bool>(src: &[u8], out: &mut [f32], p: Post<'_>, done: usize) {
                if let (Some(src), Some(out)) = (src.get(2 * done..), out.get_mut(done..)) {
                    map_elems::<32, S, A>(src, out, p.from(done), $lane);
                }
            }
        }

        impl Table for $name<'_> {
            #[inline]
            fn rows(&self) -> usize {
                self.rows
            }

            #[inline]
            fn dim(&self) -> usize {
                self.dim
            }

            super::decode_through_post!();
    super::rows_through_post!(crate::arch::view_rows);

            #[inline]
            fn prefetch(&self, row: usize) {
                // Up to 1 KiB of the row: the decode is slower than the
                // copy, so the row's lines should all be on their way
                // before it starts.
                crate::prefetch::read_row_bytes(self.bytes, 2 * row * self.dim, 2 * self.dim);
            }
        }
    };
}

half_table!(
    /// A `[rows][dim]` table of IEEE `f16` (binary16) values.
    ///
    /// ```
    /// use inlayer::formats::{F16Table, Table};
    /// let bytes = [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]; // 1.0, -2.0, 2^-24
    /// let t = F16Table::from_bytes(&bytes, 3)?;
    /// let mut row = [0.0f32; 3];
    /// t.decode_into(0, 0, &mut row);
    /// assert_eq!(row, [1.0, -2.0, 5.960_464_5e-8]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    F16Table,
    Format::F16,
    f16_rows,
    |b| half_pair(b, f16_lanes)
);

half_table!(
    /// A `[rows][dim]` table of `bf16` values (the top 16 bits of an `f32`).
    ///
    /// ```
    /// use inlayer::formats::{Bf16Table, Table};
    /// let bytes = [0x80, 0x3f, 0x49, 0x40]; // 1.0, 3.140625
    /// let t = Bf16Table::from_bytes(&bytes, 2)?;
    /// let mut row = [0.0f32; 2];
    /// t.decode_into(0, 0, &mut row);
    /// assert_eq!(row, [1.0, 3.140625]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    Bf16Table,
    Format::Bf16,
    bf16_rows,
    |b| half_pair(b, bf16_lanes)
);

/// Sixteen 16-bit values widened with `f`.
#[inline(always)]
fn half_pair(b: &[u8; 32], f: impl Fn(&[u8; 16]) -> crate::simd::F32x8) -> [crate::simd::F32x8; 2] {
    let (h, _) = b.as_chunks::<16>();
    let mut r = [crate::simd::F32x8::splat(0.0); 2];
    for (r, h) in r.iter_mut().zip(h) {
        *r = f(h);
    }
    r
}

/// Rounds one `f32` to the nearest `f16` (ties to even).
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let a = b & 0x7fff_ffff;
    if a > 0x7f80_0000 {
        return sign | 0x7e00; // NaN: quiet, sign kept
    }
    if a >= 0x477f_f000 {
        return sign | 0x7c00; // rounds to infinity (or is one)
    }
    let e = (a >> 23) as i32 - 112; // f16 biased exponent
    let m = a & 0x007f_ffff;
    let (h, rem, half) = if e >= 1 {
        ((e as u32) << 10 | m >> 13, m & 0x1fff, 0x1000)
    } else if e >= -10 {
        // Subnormal f16: units of 2^-24; the significand with its hidden bit
        // is shifted right by 14 - e (14..=24) places.
        let s = (14 - e) as u32;
        let full = m | 0x0080_0000;
        (full >> s, full & ((1 << s) - 1), 1 << (s - 1))
    } else {
        return sign; // below half the smallest subnormal: ±0
    };
    let up = u32::from(rem > half || (rem == half && h & 1 == 1));
    sign | (h + up) as u16
}

/// Rounds one `f32` to the nearest `bf16` (ties to even).
pub(crate) fn f32_to_bf16(x: f32) -> u16 {
    let b = x.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        return ((b >> 16) | 0x0040) as u16; // NaN: quiet, sign kept
    }
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

fn encode_with(x: &[f32], out: &mut [u8], f: fn(f32) -> u16) -> Result<(), Error> {
    let need = x.len().checked_mul(2).ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(len_err(need, out.len()));
    }
    for (o, &v) in out.chunks_exact_mut(2).zip(x) {
        o.copy_from_slice(&f(v).to_le_bytes());
    }
    Ok(())
}

#[cold]
fn len_err(expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what: "out",
        expected,
        actual,
    }
}

/// Encodes `x` as little-endian `f16` bytes (round to nearest, ties to
/// even), e.g. to build an [`F16Table`].
///
/// ```
/// let mut b = [0u8; 4];
/// inlayer::formats::encode_f16(&[1.0, 65520.0], &mut b)?;
/// assert_eq!(b, [0x00, 0x3c, 0x00, 0x7c]); // 1.0, +inf
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != 2 * x.len()`; `out` is then
/// unchanged.
pub fn encode_f16(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    encode_with(x, out, f32_to_f16)
}

/// Encodes `x` as little-endian `bf16` bytes (round to nearest, ties to
/// even), e.g. to build a [`Bf16Table`].
///
/// ```
/// let mut b = [0u8; 2];
/// inlayer::formats::encode_bf16(&[3.14159], &mut b)?;
/// assert_eq!(b, [0x49, 0x40]); // 3.140625
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != 2 * x.len()`; `out` is then
/// unchanged.
pub fn encode_bf16(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    encode_with(x, out, f32_to_bf16)
}
