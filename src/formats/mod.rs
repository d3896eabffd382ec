//! Table views: borrowed bytes or slices seen as a `[rows][dim]` table whose
//! rows can be decoded to `f32`.
//!
//! A view never copies the table: it borrows it where it lies (flash, an
//! `include_bytes!` blob, a memory-mapped file) and decodes only the rows a
//! gather asks for. Every view implements [`Table`], which is all the gather
//! kernels need.

mod f32;

pub use self::f32::F32Table;

/// A `[rows][dim]` table whose rows decode to `f32`.
///
/// The gather kernels ([`gather_view`](crate::gather::gather_view) and
/// friends) validate every id and length before they call these methods, so
/// implementations may assume their preconditions hold.
///
/// ```
/// use inlayer::formats::{F32Table, Table};
/// let data = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let t = F32Table::new(&data, 3)?;
/// assert_eq!((t.rows(), t.dim()), (2, 3));
/// let mut row = [0.0; 2];
/// t.decode_into(1, 1, &mut row);
/// assert_eq!(row, [5.0, 6.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
pub trait Table {
    /// Number of rows (the vocabulary size of a token table).
    fn rows(&self) -> usize;

    /// Number of `f32` values one row decodes to.
    fn dim(&self) -> usize;

    /// Decodes columns `c0 .. c0 + out.len()` of row `row` into `out`.
    ///
    /// Precondition: `row < self.rows()` and `c0 + out.len() <= self.dim()`.
    /// Implementations may panic if it is broken; the crate's kernels never
    /// break it.
    fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]);

    /// Borrows row `row` directly when it is stored as native `f32` values,
    /// so kernels can fuse the epilogue into the load instead of decoding
    /// first. The default (for formats that must decode) is `None`.
    ///
    /// Precondition: `row < self.rows()`.
    #[inline]
    fn f32_row(&self, row: usize) -> Option<&[f32]> {
        let _ = row;
        None
    }

    /// Hints that row `row` will be read soon (a software prefetch); the
    /// gather calls it a few tokens ahead. The default does nothing.
    ///
    /// Precondition: `row < self.rows()`.
    #[inline]
    fn prefetch(&self, row: usize) {
        let _ = row;
    }
}
