//! `f32` tables: a borrowed `&[f32]`, or little-endian bytes of any alignment.
//!
//! Bytes that are 4-byte aligned on a little-endian target are viewed in
//! place through `bytemuck` (zero copy, the fast path). Bytes that are not
//! aligned (a table at an odd offset inside a file or a flash image) are read
//! with `f32::from_le_bytes` row by row, which is still a copy of the gathered
//! rows only.

use crate::Error;
use crate::formats::{Post, Table};

/// A `[rows][dim]` table of `f32`, borrowed from a slice or from bytes.
///
/// ```
/// use inlayer::formats::{F32Table, Table};
/// // 2 rows of 3 values, as little-endian bytes one byte into a buffer:
/// let mut buf = [0u8; 1 + 24];
/// for (i, x) in [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0].iter().enumerate() {
///     buf[1 + 4 * i..5 + 4 * i].copy_from_slice(&x.to_le_bytes());
/// }
/// let t = F32Table::from_bytes(&buf[1..], 3)?; // not 4-byte aligned: still works
/// assert_eq!(t.rows(), 2);
/// assert!(F32Table::from_bytes(&buf[1..24], 3).is_err()); // not whole rows
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct F32Table<'a> {
    repr: Repr<'a>,
    rows: usize,
    dim: usize,
}

#[derive(Clone, Copy, Debug)]
enum Repr<'a> {
    Native(&'a [f32]),
    LeBytes(&'a [u8]),
}

const _: () = assert!(core::mem::size_of::<f32>() == 4);

impl<'a> F32Table<'a> {
    /// Views `data` as rows of `dim` values.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0` (the row count would be
    /// unknown), [`Error::NotWholeRows`] if `data.len()` is not a multiple
    /// of `dim`.
    #[inline]
    pub fn new(data: &'a [f32], dim: usize) -> Result<Self, Error> {
        let rows = whole_rows(core::mem::size_of_val(data), dim, 4)?;
        Ok(Self {
            repr: Repr::Native(data),
            rows,
            dim,
        })
    }

    /// Views the rows of a fixed-shape table; never fails.
    ///
    /// ```
    /// use inlayer::formats::{F32Table, Table};
    /// let t = F32Table::from_rows(&[[0.0f32; 4]; 10]);
    /// assert_eq!((t.rows(), t.dim()), (10, 4));
    /// ```
    #[must_use]
    pub const fn from_rows<const D: usize>(rows: &'a [[f32; D]]) -> Self {
        Self {
            repr: Repr::Native(rows.as_flattened()),
            rows: rows.len(),
            dim: D,
        }
    }

    /// Views little-endian `f32` bytes (a weight file, `include_bytes!`,
    /// flash) as rows of `dim` values, without copying. Any alignment works;
    /// 4-byte aligned bytes on a little-endian target take the fastest path.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim == 0`, [`Error::Overflow`] if a row's
    /// byte size overflows, [`Error::NotWholeRows`] if `bytes.len()` is not a
    /// whole number of rows.
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let rows = whole_rows(bytes.len(), dim, 4)?;
        let repr = match bytemuck::try_cast_slice::<u8, f32>(bytes) {
            Ok(native) if cfg!(target_endian = "little") => Repr::Native(native),
            _ => Repr::LeBytes(bytes),
        };
        Ok(Self { repr, rows, dim })
    }

    /// Whether the bytes are viewed in place as `f32` (aligned,
    /// little-endian target) rather than decoded with `from_le_bytes`.
    #[must_use]
    pub const fn is_zero_copy(&self) -> bool {
        matches!(self.repr, Repr::Native(_))
    }
}

/// Number of whole `dim`-element rows of `elem_bytes`-byte elements in `len`
/// bytes, or the error that says why there is none.
#[inline]
fn whole_rows(len: usize, dim: usize, elem_bytes: usize) -> Result<usize, Error> {
    if dim == 0 {
        return Err(Error::InvalidShape {
            what: "dim",
            value: 0,
        });
    }
    let row = dim.checked_mul(elem_bytes).ok_or(Error::Overflow)?;
    if !len.is_multiple_of(row) {
        return Err(Error::NotWholeRows {
            len,
            row_bytes: row,
        });
    }
    // `row > 0` (`dim > 0` checked above): `checked_div` only removes the
    // division-by-zero panic path.
    len.checked_div(row).ok_or(Error::Overflow)
}

impl super::DecodePost for F32Table<'_> {
    #[inline]
    fn decode<const S: bool, const A: bool>(
        &self,
        row: usize,
        c0: usize,
        p: Post<'_>,
        out: &mut [f32],
    ) {
        let start = row.saturating_mul(self.dim).saturating_add(c0);
        let end = start.saturating_add(out.len());
        let then = |x: f32, p: Post<'_>, j: usize| {
            let x = if S { x * p.times } else { x };
            match p.add.get(j) {
                Some(a) if A => x + a,
                _ => x,
            }
        };
        // Callers pass a validated row; `get` keeps this free of panic paths
        // (out of range: nothing is written).
        match self.repr {
            Repr::Native(d) => {
                if let Some(src) = d.get(start..end) {
                    // The epilogue's AVX2 body where it runs and the build's
                    // lanes are narrower (`crate::arch::f32_rows`), then
                    // this loop for the rest.
                    let k = if S || A {
                        crate::arch::f32_rows::<S, A>(src, p, out)
                    } else {
                        0
                    };
                    let (src, out, p) = (
                        src.get(k..).unwrap_or(&[]),
                        out.get_mut(k..).unwrap_or(&mut []),
                        p.from(k),
                    );
                    for (j, (o, s)) in out.iter_mut().zip(src).enumerate() {
                        *o = then(*s, p, j);
                    }
                }
            }
            Repr::LeBytes(b) => {
                let src = b
                    .get(start.saturating_mul(4)..end.saturating_mul(4))
                    .unwrap_or(&[]);
                for (j, (o, c)) in out.iter_mut().zip(src.chunks_exact(4)).enumerate() {
                    *o = then(f32::from_le_bytes([c[0], c[1], c[2], c[3]]), p, j);
                }
            }
        }
    }
}

impl Table for F32Table<'_> {
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
    fn f32_rows(&self) -> Option<&[f32]> {
        match self.repr {
            Repr::Native(d) => Some(d),
            Repr::LeBytes(_) => None,
        }
    }

    #[inline]
    fn prefetch(&self, row: usize) {
        if let Repr::Native(d) = self.repr
            && d.len() >= crate::prefetch::MIN_TABLE_LEN
            && let Some(r) = d.get(row * self.dim..(row + 1) * self.dim)
        {
            crate::prefetch::read(r);
        }
    }
}
