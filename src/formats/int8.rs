//! Symmetric `i8` tables (TFLite / LiteRT style): `x = q * scale`, with one
//! `f32` scale per row (in a separate slice) or one per tensor; and the
//! per-row encoder.
//!
//! Decoding is one exact `i32 → f32` conversion and one multiplication per
//! element. Encoding takes `scale = max|x| / 127` per row and
//! `q = round(x / scale)` (ties away from zero), so the round-trip error is
//! at most `scale / 2` per element (plus an ulp of `x` for the rounding of
//! the scale and the division).

use super::lanes::{i8_f32, map_elems};
use super::{Format, Post, Table};
use crate::Error;
use crate::simd::F32x8;

/// A `[rows][dim]` table of `i8` with `f32` scales.
///
/// ```
/// use inlayer::formats::{I8Table, Table};
/// let q = [1u8, 255, 2, 254]; // i8: [1, -1], [2, -2]
/// let t = I8Table::per_row(&q, 2, &[0.5, 0.25])?;
/// let mut row = [0.0f32; 2];
/// t.decode_into(1, 0, &mut row);
/// assert_eq!(row, [0.5, -0.5]);
/// let t = I8Table::per_tensor(&q, 2, 2.0)?;
/// t.decode_into(0, 0, &mut row);
/// assert_eq!(row, [2.0, -2.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct I8Table<'a> {
    q: &'a [u8],
    scales: Scales<'a>,
    rows: usize,
    dim: usize,
}

#[derive(Clone, Copy, Debug)]
enum Scales<'a> {
    PerRow(&'a [f32]),
    PerTensor(f32),
}

impl<'a> I8Table<'a> {
    /// Views `q` (bytes read as `i8`) as rows of `dim` values with one scale
    /// per row.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0`, [`Error::NotWholeRows`] if
    /// `q.len()` is not a multiple of `dim`, [`Error::LengthMismatch`] if
    /// `scales.len()` is not the number of rows.
    pub fn per_row(q: &'a [u8], dim: usize, scales: &'a [f32]) -> Result<Self, Error> {
        let rows = Format::I8.rows_in(q.len(), dim)?;
        if scales.len() != rows {
            return Err(Error::LengthMismatch {
                what: "scales",
                expected: rows,
                actual: scales.len(),
            });
        }
        Ok(Self {
            q,
            scales: Scales::PerRow(scales),
            rows,
            dim,
        })
    }

    /// Views `q` (bytes read as `i8`) as rows of `dim` values with one scale
    /// for the whole table.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0`, [`Error::NotWholeRows`] if
    /// `q.len()` is not a multiple of `dim`.
    pub fn per_tensor(q: &'a [u8], dim: usize, scale: f32) -> Result<Self, Error> {
        let rows = Format::I8.rows_in(q.len(), dim)?;
        Ok(Self {
            q,
            scales: Scales::PerTensor(scale),
            rows,
            dim,
        })
    }
}

impl Table for I8Table<'_> {
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
        crate::prefetch::read_row_bytes(self.q, row * self.dim, self.dim);
    }
}

impl super::DecodePost for I8Table<'_> {
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
        let s = match self.scales {
            Scales::PerRow(s) => match s.get(row) {
                Some(&s) => s,
                None => return,
            },
            Scales::PerTensor(s) => s,
        };
        let start = row.saturating_mul(self.dim).saturating_add(c0);
        let Some(src) = self.q.get(start..start.saturating_add(out.len())) else {
            return;
        };
        // AVX2 where the CPU runs it and the build does not enable it
        // (`crate::arch`); the lanes for the rest.
        let done = crate::arch::i8_rows::<S, A>(src, s, p, out);
        if done < out.len() {
            lanes_from::<S, A>(src, s, p, out, done);
        }
    }
}

/// Values `done..` of a row by the lanes: out of line on x86_64, so that
/// the decode that an AVX2 or AVX-512 body did whole keeps a small frame
/// (see `half_table!`).
#[cfg_attr(target_arch = "x86_64", inline(never))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
fn lanes_from<const S: bool, const A: bool>(
    src: &[u8],
    s: f32,
    p: Post<'_>,
    out: &mut [f32],
    done: usize,
) {
    if let (Some(src), Some(out)) = (src.get(done..), out.get_mut(done..)) {
        let s = F32x8::splat(s);
        map_elems::<16, S, A>(src, out, p.from(done), |b| i8_f32(b).map(|q| q * s));
    }
}

/// Quantizes a `[rows][dim]` `f32` table to symmetric per-row `i8`
/// (`scale = max|x| / 127`, `q = round(x / scale)`), for [`I8Table::per_row`].
/// An all-zero row gets scale `1.0`.
///
/// ```
/// use inlayer::formats::encode_i8_per_row;
/// let x = [1.0f32, -0.5, 0.0, 0.25];
/// let (mut q, mut s) = ([0u8; 4], [0.0f32; 2]);
/// encode_i8_per_row(&x, 2, &mut q, &mut s)?;
/// assert_eq!(q.map(|b| b as i8), [127, -64, 0, 127]);
/// assert_eq!(s, [1.0 / 127.0, 0.25 / 127.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `dim == 0`, [`Error::NotWholeRows`] if
/// `x.len()` is not a multiple of `dim`, [`Error::LengthMismatch`] if `q` or
/// `scales` has the wrong length, [`Error::NotFinite`] for a NaN or infinite
/// input. On error nothing is written.
pub fn encode_i8_per_row(
    x: &[f32],
    dim: usize,
    q: &mut [u8],
    scales: &mut [f32],
) -> Result<(), Error> {
    let rows = Format::I8.rows_in(x.len(), dim)?;
    if q.len() != x.len() {
        return Err(Error::LengthMismatch {
            what: "q",
            expected: x.len(),
            actual: q.len(),
        });
    }
    if scales.len() != rows {
        return Err(Error::LengthMismatch {
            what: "scales",
            expected: rows,
            actual: scales.len(),
        });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NotFinite { index });
    }
    for ((xr, qr), s) in x.chunks_exact(dim).zip(q.chunks_exact_mut(dim)).zip(scales) {
        let amax = xr.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        *s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
        for (qv, &v) in qr.iter_mut().zip(xr) {
            *qv = libm::roundf(v / *s).clamp(-127.0, 127.0) as i8 as u8;
        }
    }
    Ok(())
}
