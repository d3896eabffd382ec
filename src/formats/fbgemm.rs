//! FBGEMM row-wise quantized tables (`include/fbgemm/QuantUtils.h`), with
//! scale and bias stored after each row (`scale_bias_last = true`):
//!
//! - 8-bit `Fused8BitRowwiseQuantizedSBFloat`: `u8 q[D]` · `f32 scale` ·
//!   `f32 bias`, row stride `D + 8`;
//! - 4-bit `FusedNBitRowwiseQuantizedSBHalf`: `u8 packed[ceil(D/2)]`
//!   (element `j` in byte `j / 2`, **low nibble first**) · `f16 scale` ·
//!   `f16 bias`, row stride `ceil(D/2) + 4`.
//!
//! Decode is `x = q * scale + bias` as two IEEE operations (FBGEMM's own
//! kernels may fuse them into an FMA; ours never do, so the result is the
//! same on every backend). Every byte pattern is valid, including NaN or
//! infinite scales.

use super::lanes::{f16_at, f32_at, map_elems, u8_f32};
use super::{Format, Post, Table};
use crate::Error;
use crate::simd::{F32x8, U8x16};

/// An FBGEMM 8-bit row-wise table (`u8 q[D]`, `f32 scale`, `f32 bias` per
/// row).
///
/// ```
/// use inlayer::formats::{Fbgemm8Table, Table};
/// let mut row = vec![0u8, 2, 4];
/// row.extend(0.5f32.to_le_bytes()); // scale
/// row.extend((-1.0f32).to_le_bytes()); // bias
/// let t = Fbgemm8Table::from_bytes(&row, 3)?;
/// let mut out = [0.0f32; 3];
/// t.decode_into(0, 0, &mut out);
/// assert_eq!(out, [-1.0, 0.0, 1.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Fbgemm8Table<'a> {
    bytes: &'a [u8],
    rows: usize,
    dim: usize,
}

impl<'a> Fbgemm8Table<'a> {
    /// Views `bytes` as rows of `dim` quantized values plus scale and bias.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0`, [`Error::Overflow`] if the row
    /// size overflows, [`Error::NotWholeRows`] if `bytes.len()` is not a
    /// multiple of `dim + 8`.
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let rows = Format::Fbgemm8.rows_in(bytes.len(), dim)?;
        Ok(Self { bytes, rows, dim })
    }
}

impl Table for Fbgemm8Table<'_> {
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
        crate::prefetch::read_row_bytes(self.bytes, row * (self.dim + 8), self.dim + 8);
    }
}

impl super::DecodePost for Fbgemm8Table<'_> {
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
        // A broken precondition must not panic: out of range, return.
        let base = row.saturating_mul(self.dim + 8);
        let Some(r) = self.bytes.get(base..base.saturating_add(self.dim + 8)) else {
            return;
        };
        let Some(q) = r.get(c0..c0.saturating_add(out.len())) else {
            return;
        };
        let (s, b) = (f32_at(r, self.dim), f32_at(r, self.dim + 4));
        // AVX2 where the CPU runs it (`crate::arch`); the lanes for the rest.
        let done = crate::arch::fbgemm8_rows::<S, A>(q, s, b, p, out);
        if done < out.len() {
            fbgemm8_lanes_from::<S, A>(q, (s, b), p, out, done);
        }
    }
}

/// Values `done..` of an FBGEMM 8-bit row by the lanes: out of line on
/// x86_64, so that the decode that an AVX2 body did whole keeps a small
/// frame (see `half_table!`).
#[cfg_attr(target_arch = "x86_64", inline(never))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
fn fbgemm8_lanes_from<const S: bool, const A: bool>(
    q: &[u8],
    (s, b): (f32, f32),
    p: Post<'_>,
    out: &mut [f32],
    done: usize,
) {
    if let (Some(q), Some(out)) = (q.get(done..), out.get_mut(done..)) {
        let (s, b) = (F32x8::splat(s), F32x8::splat(b));
        map_elems::<16, S, A>(q, out, p.from(done), |q| u8_f32(q).map(|q| q * s + b));
    }
}

/// An FBGEMM 4-bit row-wise table (packed nibbles, element 0 in the low
/// nibble, then `f16 scale`, `f16 bias` per row).
///
/// ```
/// use inlayer::formats::{Fbgemm4Table, Table};
/// // D = 3: elements 1, 2, 15 → bytes 0x21, 0x0f; scale 1.0, bias 0.0 (f16)
/// let row = [0x21, 0x0f, 0x00, 0x3c, 0x00, 0x00];
/// let t = Fbgemm4Table::from_bytes(&row, 3)?;
/// let mut out = [0.0f32; 3];
/// t.decode_into(0, 0, &mut out);
/// assert_eq!(out, [1.0, 2.0, 15.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Fbgemm4Table<'a> {
    bytes: &'a [u8],
    rows: usize,
    dim: usize,
}

impl<'a> Fbgemm4Table<'a> {
    /// Views `bytes` as rows of `dim` packed 4-bit values plus scale and
    /// bias.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0`, [`Error::Overflow`] if the row
    /// size overflows, [`Error::NotWholeRows`] if `bytes.len()` is not a
    /// multiple of `ceil(dim / 2) + 4`.
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let rows = Format::Fbgemm4LowFirst.rows_in(bytes.len(), dim)?;
        Ok(Self { bytes, rows, dim })
    }
}

impl Table for Fbgemm4Table<'_> {
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
        let row_bytes = self.dim.div_ceil(2) + 4;
        crate::prefetch::read_row_bytes(self.bytes, row * row_bytes, row_bytes);
    }
}

impl super::DecodePost for Fbgemm4Table<'_> {
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
        let packed = self.dim.div_ceil(2);
        // A broken precondition must not panic: out of range, return.
        let base = row.saturating_mul(packed + 4);
        let Some(r) = self.bytes.get(base..base.saturating_add(packed + 4)) else {
            return;
        };
        if c0.saturating_add(out.len()) > self.dim {
            return;
        }
        let (s, b) = (f16_at(r, packed), f16_at(r, packed + 2));
        let (mut c0, mut p) = (c0, p);
        let out = match out.split_first_mut() {
            // An odd start: its element is the high nibble of its byte
            // (in range: checked above).
            Some((first, rest)) if c0 % 2 == 1 => {
                let x = f32::from(r.get(c0 / 2).copied().unwrap_or(0) >> 4) * s + b;
                let x = if S { x * p.times } else { x };
                *first = match p.add.first() {
                    Some(a) if A => x + a,
                    _ => x,
                };
                (c0, p) = (c0 + 1, p.from(1));
                rest
            }
            _ => out,
        };
        let (vs, vb) = (F32x8::splat(s), F32x8::splat(b));
        let Some(src) = r.get(c0 / 2..(c0 + out.len()).div_ceil(2)) else {
            return;
        };
        // AVX2 where the CPU runs it (`crate::arch`); the lanes for the rest
        // (`done` is a multiple of 16, so the rest starts on a byte).
        let done = crate::arch::fbgemm4_rows::<S, A>(src, s, b, p, out);
        let (Some(src), Some(out)) = (src.get(done / 2..), out.get_mut(done..)) else {
            return;
        };
        map_elems::<8, S, A>(src, out, p.from(done), |q| {
            // Low nibbles in even lanes, high nibbles in odd lanes: one
            // byte interleave of the two nibble vectors.
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(q);
            let x = U8x16::load(&b);
            let (n, _) = U8x16::zip(x & U8x16::splat(0x0f), x.shr(4));
            n.to_f32_minus(0).map(|n| n * vs + vb)
        });
    }
}
