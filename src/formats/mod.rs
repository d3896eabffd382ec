//! Table views: borrowed bytes or slices seen as a `[rows][dim]` table whose
//! rows can be decoded to `f32`.
//!
//! A view never copies the table: it borrows it where it lies (flash, an
//! `include_bytes!` blob, a memory-mapped file) and decodes only the rows a
//! gather asks for. Every view implements [`Table`], which is all the gather
//! kernels need.
//!
//! ## Formats and byte layouts
//!
//! All multi-byte fields are little-endian and read with `from_le_bytes`
//! (GGUF blocks are only 2-byte aligned inside a file; nothing is cast to a
//! struct). `D` is the row width.
//!
//! | [`Format`] | view | row / block layout | decode (one IEEE rounding per op, no FMA) |
//! |---|---|---|---|
//! | `F32` | [`F32Table`] | `f32[D]` | copy |
//! | `F16` | [`F16Table`] | `f16[D]` (IEEE binary16) | exact widening (a NaN quiet, sign and payload kept) |
//! | `Bf16` | [`Bf16Table`] | `bf16[D]` | `f32::from_bits(h << 16)` |
//! | `I8` | [`I8Table`] | `i8[D]`, scales in a separate `f32` slice (per row, or one per tensor) | `q * scale` |
//! | `Fbgemm8` | [`Fbgemm8Table`] | `u8 q[D]` · `f32 scale` · `f32 bias` (stride `D + 8`) | `q * scale + bias` |
//! | `Fbgemm4LowFirst` | [`Fbgemm4Table`] | `u8 packed[ceil(D/2)]` (element `2k` in the **low** nibble of byte `k`) · `f16 scale` · `f16 bias` | `q * scale + bias` |
//! | `Q8_0` | [`Q8_0Table`] | 32 elements / 34 B: `f16 d` · `i8 qs[32]` | `qs[j] * d` |
//! | `Q4_0Split` | [`Q4_0Table`] | 32 / 18 B: `f16 d` · `u8 qs[16]`; **split halves**: low nibbles are elements 0–15, high nibbles 16–31 | `(q - 8) * d` |
//! | `Q4_1Split` | [`Q4_1Table`] | 32 / 20 B: `f16 d` · `f16 m` · `u8 qs[16]` (split halves) | `q * d + m` |
//! | `Q5_0Split` | [`Q5_0Table`] | 32 / 22 B: `f16 d` · `u32 qh` · `u8 qs[16]`; bit `j` of `qh` is bit 4 of element `j` | `(q - 16) * d` |
//! | `Q5_1Split` | [`Q5_1Table`] | 32 / 24 B: `f16 d` · `f16 m` · `u32 qh` · `u8 qs[16]` | `q * d + m` |
//! | `Q2KSplit` | [`Q2KTable`] | 256 / 84 B: `u8 scales[16]` (low nibble scale, high nibble min of each 16-element sub-block) · `u8 qs[64]` · `f16 d` · `f16 dmin` (**at the end**); in each 128-element half `n`, bits `2j, 2j + 1` of byte `l` of its 32 are element `128n + 32j + l` | `(d * sc) * q - (dmin * m)` |
//! | `Q3KSplit` | [`Q3KTable`] | 256 / 110 B: `u8 hmask[32]` · `u8 qs[64]` · `u8 scales[12]` (sixteen packed 6-bit scales) · `f16 d` (**at the end**); low 2 bits as `Q2_K`, bit `4n + j` of `hmask[l]` (byte `l` of 32) is bit 2 of element `128n + 32j + l` | `(d * (sc - 32)) * (q - 4)` |
//! | `Q4KSplit` | [`Q4KTable`] | 256 / 144 B: `f16 d` · `f16 dmin` · `u8 scales[12]` (eight packed 6-bit scale/min pairs) · `u8 qs[128]`; each 64-element chunk `i` reads 32 bytes, low nibbles = sub-block `2i`, high = `2i + 1` | `(d * sc) * q - (dmin * m)` |
//! | `Q5KSplit` | [`Q5KTable`] | 256 / 176 B: `f16 d` · `f16 dmin` · `u8 scales[12]` (as `Q4_K`) · `u8 qh[32]` · `u8 qs[128]`; nibbles as `Q4_K`, bit `k` of `qh[l]` is bit 4 of element `32k + l` | `(d * sc) * q - (dmin * m)` |
//! | `Q6KSplit` | [`Q6KTable`] | 256 / 210 B: `u8 ql[128]` · `u8 qh[64]` · `i8 scales[16]` · `f16 d` (**at the end**) | `(d * scale) * (q - 32)` |
//! | `Iq4NlSplit` | [`Iq4NlTable`] | 32 / 18 B: `f16 d` · `u8 qs[16]` (split halves, as `Q4_0`) | `d * kv[q]`, `kv` ggml's 16 non-linear `i8` levels (`-127 … 113`) |
//! | `Iq4XsSplit` | [`Iq4XsTable`] | 256 / 136 B: `f16 d` · `u16 scales_h` · `u8 scales_l[4]` · `u8 qs[128]`; sub-block `b` of 32 takes 16 bytes (split halves), its 6-bit scale from nibble `b % 2` of `scales_l[b / 2]` and crumb `b` of `scales_h` | `(d * (sc - 32)) * kv[q]` |
//! | `Iq3S` | [`Iq3STable`] | 256 / 110 B: `f16 d` · `u8 qs[64]` · `u8 qh[8]` · `u8 signs[32]` · `u8 scales[4]`; group `g` of 4 elements (`4g ..`) takes levels from row `qs[g] \| bit (g % 8) of qh[g / 8] << 8` of ggml's 512-row grid, element `e` its sign from bit `e % 8` of `signs[e / 8]`, sub-block `b` of 32 its 4-bit scale from nibble `b % 2` of `scales[b / 2]` | `(d * (1 + 2 sc)) * (±level)` |
//!
//! The GGUF block decoders are byte-exact with ggml's `dequantize_row_*`
//! (`ggml/src/ggml-quants.c`), checked against known answers computed by the
//! `gguf` Python package's numpy decoders and, for `Q2_K`, `Q3_K`, `Q5_K`,
//! `IQ4_NL`, `IQ4_XS` and `IQ3_S`, by ggml's C decoders themselves. `f16`
//! widening is F16C's `vcvtph2ps` where the CPU runs it, and elsewhere an
//! integer bit conversion on 16-bit SIMD lanes plus one exact subtraction for
//! subnormals (no lookup table, no subnormal `f32` operand, so it is exact
//! under denormals-are-zero too); both give the same bits: every number
//! exact, a NaN quiet with its sign and payload (as `vcvtph2ps`, Arm's
//! `fcvt`, the `half` crate and PyTorch widen it).
//!
//! The decoders work on byte and 16-bit lanes (sixteen or eight elements per
//! SSE2/NEON instruction) and widen to `f32` at the end with unpacks; bytes
//! become exact `f32` by the `2^23` magic-number trick with the format's
//! offset (`-128` for `i8`, `-8` for `Q4_0`, ...) folded into its one
//! subtraction. A gather's scale and add row are applied by the decoders
//! before they store ([`Table::decode_fused_into`]), so a row is written
//! once.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
mod f16;
mod f32;
mod fbgemm;
mod ggml;
pub(crate) mod grid;
mod int8;
mod lanes;
#[cfg(target_arch = "x86_64")]
pub(crate) use lanes::f16_to_f32; // for `avx2`

pub use self::f16::{Bf16Table, F16Table, encode_bf16, encode_f16};
pub use self::f32::F32Table;
pub use self::fbgemm::{Fbgemm4Table, Fbgemm8Table};
pub use self::ggml::{
    Block, BlockTable, Iq3S, Iq3STable, Iq4Nl, Iq4NlTable, Iq4Xs, Iq4XsTable, Q2K, Q2KTable, Q3K,
    Q3KTable, Q4_0, Q4_0Table, Q4_1, Q4_1Table, Q4K, Q4KTable, Q5_0, Q5_0Table, Q5_1, Q5_1Table,
    Q5K, Q5KTable, Q6K, Q6KTable, Q8_0, Q8_0Table, encode_q4_0, encode_q8_0,
};
pub use self::int8::{I8Table, encode_i8_per_row};

use crate::Error;

/// The gather's epilogue as the decoders apply it before they store: each
/// value times `times` (where the decoder's `S` is set), then plus `add[k]`
/// (where its `A` is set; `add` is indexed like the decoder's output).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Post<'a> {
    pub(crate) times: f32,
    pub(crate) add: &'a [f32],
}

impl Post<'_> {
    /// The epilogue that changes nothing (the plain decode).
    pub(crate) const NONE: Post<'static> = Post {
        times: 1.0,
        add: &[],
    };

    /// The epilogue of the values from `k` on.
    #[inline(always)]
    pub(crate) fn from(self, k: usize) -> Self {
        Post {
            times: self.times,
            add: self.add.get(k..).unwrap_or(&[]),
        }
    }
}

/// The decode every view of the crate is built on: columns `c0 ..
/// c0 + out.len()` of row `row` through the epilogue `p` (`S`: times, `A`:
/// plus the add row), which the AVX2 bodies and the lanes apply before they
/// store. One instance per epilogue shape, so the plain decode keeps its own
/// code. Precondition: as `Table::decode_into` (broken: no panic, `out`
/// unspecified).
pub(crate) trait DecodePost: Table {
    /// Whether the rows decode by an AVX-512 body where the CPU runs one
    /// (`formats::avx512`), so that the many-token loop runs as AVX-512
    /// too (`crate::arch::view_rows`). The others keep the AVX2 loop: an
    /// AVX2 body inside the AVX-512 loop read slower (FBGEMM 4-bit's, before
    /// it had an AVX-512 one: 1.02–1.13 → 0.97–1.03× the `memcpy`, default
    /// build, T = 512).
    #[cfg(target_arch = "x86_64")]
    const AVX512: bool = false;

    /// See the trait.
    fn decode<const S: bool, const A: bool>(
        &self,
        row: usize,
        c0: usize,
        p: Post<'_>,
        out: &mut [f32],
    );
}

/// Implements `Table::decode_into` and `Table::decode_fused_into` by the
/// view's [`DecodePost::decode`].
macro_rules! decode_through_post {
    () => {
        #[inline]
        fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]) {
            use $crate::formats::{DecodePost, Post};
            DecodePost::decode::<false, false>(self, row, c0, Post::NONE, out);
        }

        #[inline]
        fn decode_fused_into(
            &self,
            row: usize,
            c0: usize,
            scale: Option<f32>,
            add: Option<&[f32]>,
            out: &mut [f32],
        ) {
            use $crate::formats::{DecodePost, Post};
            match (scale, add) {
                (None, None) => DecodePost::decode::<false, false>(self, row, c0, Post::NONE, out),
                (Some(t), None) => DecodePost::decode::<true, false>(
                    self,
                    row,
                    c0,
                    Post { times: t, add: &[] },
                    out,
                ),
                (None, Some(a)) => DecodePost::decode::<false, true>(
                    self,
                    row,
                    c0,
                    Post { times: 1.0, add: a },
                    out,
                ),
                (Some(t), Some(a)) => {
                    DecodePost::decode::<true, true>(self, row, c0, Post { times: t, add: a }, out)
                }
            }
        }
    };
}
pub(crate) use decode_through_post;

/// Implements `Table::decode_rows_fused` by a many-token loop in one AVX2
/// function, `$rows::<_, S, A>(self, tokens, post, out, stride)`:
/// `crate::arch::view_rows` (over the view's [`DecodePost::decode`]) or the
/// ggml views' own `crate::arch::block_rows`.
macro_rules! rows_through_post {
    ($($rows:ident)::+) => {
        /// The whole token loop in one AVX2 function where AVX2 and F16C
        /// run; `false`, nothing written, elsewhere.
        #[inline]
        fn decode_rows_fused(
            &self,
            tokens: &[u32],
            scale: Option<f32>,
            add: Option<&[f32]>,
            out: &mut [f32],
            stride: usize,
        ) -> bool {
            use $crate::formats::Post;
            match (scale, add) {
                (None, None) => $($rows)::+::<_, false, false>(self, tokens, Post::NONE, out, stride),
                (Some(times), None) => {
                    let p = Post { times, add: &[] };
                    $($rows)::+::<_, true, false>(self, tokens, p, out, stride)
                }
                (None, Some(add)) => {
                    let p = Post { times: 1.0, add };
                    $($rows)::+::<_, false, true>(self, tokens, p, out, stride)
                }
                (Some(times), Some(add)) => {
                    let p = Post { times, add };
                    $($rows)::+::<_, true, true>(self, tokens, p, out, stride)
                }
            }
        }
    };
}
pub(crate) use rows_through_post;

/// The storage format of a table, named with its nibble order where it has
/// one (see the [module docs](self) for each byte layout).
///
/// ```
/// use inlayer::formats::Format;
/// assert_eq!(Format::Q4_0Split.block_bytes(), 18);
/// assert_eq!(Format::Q4_0Split.row_bytes(64)?, 36);
/// assert!(Format::Q4_0Split.row_bytes(48).is_err()); // not whole blocks
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// IEEE `f32`.
    F32,
    /// IEEE binary16.
    F16,
    /// bfloat16 (the top half of an `f32`).
    Bf16,
    /// Signed 8-bit with an `f32` scale per row or per tensor.
    I8,
    /// FBGEMM 8-bit rowwise: `u8 q[D]`, `f32 scale`, `f32 bias`.
    Fbgemm8,
    /// FBGEMM 4-bit rowwise, element 0 in the low nibble: packed nibbles,
    /// `f16 scale`, `f16 bias`.
    Fbgemm4LowFirst,
    /// ggml `Q8_0`.
    Q8_0,
    /// ggml `Q4_0` (split halves: low nibbles are elements 0–15).
    Q4_0Split,
    /// ggml `Q4_1` (split halves).
    Q4_1Split,
    /// ggml `Q5_0` (split halves plus a 32-bit high-bit mask).
    Q5_0Split,
    /// ggml `Q5_1` (split halves plus a 32-bit high-bit mask).
    Q5_1Split,
    /// ggml `Q2_K` (2-bit crumbs, four elements 32 apart in a byte).
    Q2KSplit,
    /// ggml `Q3_K` (`Q2_K`'s crumbs plus a 32-byte high-bit mask).
    Q3KSplit,
    /// ggml `Q4_K` (split halves per 64-element chunk).
    Q4KSplit,
    /// ggml `Q5_K` (`Q4_K`'s split halves plus a 32-byte high-bit mask).
    Q5KSplit,
    /// ggml `Q6_K` (split quarters per 128-element half).
    Q6KSplit,
    /// ggml `IQ4_NL` (`Q4_0`'s split halves; non-linear levels).
    Iq4NlSplit,
    /// ggml `IQ4_XS` (split halves per 32-element sub-block; non-linear
    /// levels).
    Iq4XsSplit,
    /// ggml `IQ3_S` (9-bit indices of four elements into a 512-row grid of
    /// levels, a sign bit per element).
    Iq3S,
}

impl Format {
    /// Whether rows of this format decode by an AVX-512 body where the CPU
    /// runs one (`formats::avx512`, x86_64).
    #[cfg(target_arch = "x86_64")]
    pub(crate) const fn avx512_body(self) -> bool {
        matches!(
            self,
            Format::Bf16
                | Format::F16
                | Format::I8
                | Format::Fbgemm8
                | Format::Fbgemm4LowFirst
                | Format::Q8_0
                | Format::Q4_0Split
                | Format::Q4_1Split
                | Format::Q5_0Split
                | Format::Q5_1Split
                | Format::Iq4NlSplit
                | Format::Q4KSplit
                | Format::Q6KSplit
        )
    }

    /// Every format, in declaration order (for tests, fuzzers and benches
    /// that cover them all).
    ///
    /// ```
    /// use inlayer::formats::Format;
    /// assert!(Format::ALL.contains(&Format::Q6KSplit));
    /// assert!(Format::ALL.iter().all(|f| f.block_bytes() > 0));
    /// ```
    pub const ALL: &'static [Format] = &[
        Format::F32,
        Format::F16,
        Format::Bf16,
        Format::I8,
        Format::Fbgemm8,
        Format::Fbgemm4LowFirst,
        Format::Q8_0,
        Format::Q4_0Split,
        Format::Q4_1Split,
        Format::Q5_0Split,
        Format::Q5_1Split,
        Format::Q2KSplit,
        Format::Q3KSplit,
        Format::Q4KSplit,
        Format::Q5KSplit,
        Format::Q6KSplit,
        Format::Iq4NlSplit,
        Format::Iq4XsSplit,
        Format::Iq3S,
    ];

    /// Elements per block (1 for element-wise formats, `D` is free).
    #[must_use]
    pub const fn block_elems(self) -> usize {
        match self {
            Format::F32 | Format::F16 | Format::Bf16 | Format::I8 => 1,
            Format::Fbgemm8 | Format::Fbgemm4LowFirst => 1,
            Format::Q8_0
            | Format::Q4_0Split
            | Format::Q4_1Split
            | Format::Q5_0Split
            | Format::Q5_1Split
            | Format::Iq4NlSplit => 32,
            Format::Q2KSplit
            | Format::Q3KSplit
            | Format::Q4KSplit
            | Format::Q5KSplit
            | Format::Q6KSplit
            | Format::Iq4XsSplit
            | Format::Iq3S => 256,
        }
    }

    /// Bytes per block (per element for element-wise formats; the FBGEMM
    /// formats also carry 8 or 4 bytes of scale and bias per row).
    #[must_use]
    pub const fn block_bytes(self) -> usize {
        match self {
            Format::F32 => 4,
            Format::F16 | Format::Bf16 => 2,
            Format::I8 | Format::Fbgemm8 | Format::Fbgemm4LowFirst => 1,
            Format::Q8_0 => 34,
            Format::Q4_0Split => 18,
            Format::Q4_1Split => 20,
            Format::Q5_0Split => 22,
            Format::Q5_1Split => 24,
            Format::Q2KSplit => 84,
            Format::Q3KSplit => 110,
            Format::Q4KSplit => 144,
            Format::Q5KSplit => 176,
            Format::Q6KSplit => 210,
            Format::Iq4NlSplit => 18,
            Format::Iq4XsSplit => 136,
            Format::Iq3S => 110,
        }
    }

    /// Bytes of one row of `dim` elements.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim` is zero or not a whole number of
    /// blocks, [`Error::Overflow`] if the size overflows `usize`.
    pub const fn row_bytes(self, dim: usize) -> Result<usize, Error> {
        let e = self.block_elems();
        if dim == 0 || !dim.is_multiple_of(e) {
            return Err(Error::InvalidShape {
                what: "dim",
                value: dim,
            });
        }
        let payload = match (dim / e).checked_mul(self.block_bytes()) {
            Some(p) => p,
            None => return Err(Error::Overflow),
        };
        let extra = match self {
            Format::Fbgemm8 => 8,
            Format::Fbgemm4LowFirst => {
                // packed[ceil(D/2)] + f16 scale + f16 bias, instead of D bytes
                return match (dim / 2 + dim % 2).checked_add(4) {
                    Some(n) => Ok(n),
                    None => Err(Error::Overflow),
                };
            }
            _ => 0,
        };
        match payload.checked_add(extra) {
            Some(n) => Ok(n),
            None => Err(Error::Overflow),
        }
    }

    /// Number of whole rows of `dim` elements in `len` bytes.
    ///
    /// # Errors
    /// As [`Format::row_bytes`], and [`Error::NotWholeRows`] if `len` is not
    /// a whole number of rows (e.g. a truncated last block).
    pub const fn rows_in(self, len: usize, dim: usize) -> Result<usize, Error> {
        let row = match self.row_bytes(dim) {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        if !len.is_multiple_of(row) {
            return Err(Error::NotWholeRows {
                len,
                row_bytes: row,
            });
        }
        // `row > 0` (`row_bytes` rejects `dim == 0`); `checked_div` only
        // removes the division-by-zero panic path.
        match len.checked_div(row) {
            Some(rows) => Ok(rows),
            None => Err(Error::Overflow),
        }
    }
}

/// Any of the table views, chosen at run time (e.g. from a GGUF tensor's
/// type). It implements [`Table`] by dispatching once per row.
///
/// ```
/// use inlayer::formats::{AnyTable, Bf16Table, Format, Table};
/// let bytes = [0x80, 0x3f, 0x00, 0x40]; // bf16 1.0, 2.0
/// let t = AnyTable::Bf16(Bf16Table::from_bytes(&bytes, 2)?);
/// assert_eq!((t.format(), t.rows(), t.dim()), (Format::Bf16, 1, 2));
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum AnyTable<'a> {
    /// `f32`.
    F32(F32Table<'a>),
    /// `f16`.
    F16(F16Table<'a>),
    /// `bf16`.
    Bf16(Bf16Table<'a>),
    /// `Q8_0`.
    Q8_0(Q8_0Table<'a>),
    /// `Q4_0`.
    Q4_0(Q4_0Table<'a>),
    /// `Q4_1`.
    Q4_1(Q4_1Table<'a>),
    /// `Q5_0`.
    Q5_0(Q5_0Table<'a>),
    /// `Q5_1`.
    Q5_1(Q5_1Table<'a>),
    /// `Q2_K`.
    Q2K(Q2KTable<'a>),
    /// `Q3_K`.
    Q3K(Q3KTable<'a>),
    /// `Q4_K`.
    Q4K(Q4KTable<'a>),
    /// `Q5_K`.
    Q5K(Q5KTable<'a>),
    /// `Q6_K`.
    Q6K(Q6KTable<'a>),
    /// `IQ4_NL`.
    Iq4Nl(Iq4NlTable<'a>),
    /// `IQ4_XS`.
    Iq4Xs(Iq4XsTable<'a>),
    /// `IQ3_S`.
    Iq3S(Iq3STable<'a>),
}

macro_rules! each {
    ($s:expr, $t:ident => $e:expr) => {
        match $s {
            AnyTable::F32($t) => $e,
            AnyTable::F16($t) => $e,
            AnyTable::Bf16($t) => $e,
            AnyTable::Q8_0($t) => $e,
            AnyTable::Q4_0($t) => $e,
            AnyTable::Q4_1($t) => $e,
            AnyTable::Q5_0($t) => $e,
            AnyTable::Q5_1($t) => $e,
            AnyTable::Q2K($t) => $e,
            AnyTable::Q3K($t) => $e,
            AnyTable::Q4K($t) => $e,
            AnyTable::Q5K($t) => $e,
            AnyTable::Q6K($t) => $e,
            AnyTable::Iq4Nl($t) => $e,
            AnyTable::Iq4Xs($t) => $e,
            AnyTable::Iq3S($t) => $e,
        }
    };
}

impl AnyTable<'_> {
    /// The storage format of the table.
    #[must_use]
    pub const fn format(&self) -> Format {
        match self {
            AnyTable::F32(_) => Format::F32,
            AnyTable::F16(_) => Format::F16,
            AnyTable::Bf16(_) => Format::Bf16,
            AnyTable::Q8_0(_) => Format::Q8_0,
            AnyTable::Q4_0(_) => Format::Q4_0Split,
            AnyTable::Q4_1(_) => Format::Q4_1Split,
            AnyTable::Q5_0(_) => Format::Q5_0Split,
            AnyTable::Q5_1(_) => Format::Q5_1Split,
            AnyTable::Q2K(_) => Format::Q2KSplit,
            AnyTable::Q3K(_) => Format::Q3KSplit,
            AnyTable::Q4K(_) => Format::Q4KSplit,
            AnyTable::Q5K(_) => Format::Q5KSplit,
            AnyTable::Q6K(_) => Format::Q6KSplit,
            AnyTable::Iq4Nl(_) => Format::Iq4NlSplit,
            AnyTable::Iq4Xs(_) => Format::Iq4XsSplit,
            AnyTable::Iq3S(_) => Format::Iq3S,
        }
    }
}

impl Table for AnyTable<'_> {
    #[inline]
    fn rows(&self) -> usize {
        each!(self, t => t.rows())
    }

    #[inline]
    fn dim(&self) -> usize {
        each!(self, t => t.dim())
    }

    #[inline]
    fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]) {
        each!(self, t => t.decode_into(row, c0, out));
    }

    #[inline]
    fn decode_fused_into(
        &self,
        row: usize,
        c0: usize,
        scale: Option<f32>,
        add: Option<&[f32]>,
        out: &mut [f32],
    ) {
        each!(self, t => t.decode_fused_into(row, c0, scale, add, out));
    }

    #[inline]
    fn f32_rows(&self) -> Option<&[f32]> {
        match self {
            AnyTable::F32(t) => t.f32_rows(),
            _ => None,
        }
    }

    #[inline]
    fn decode_rows_fused(
        &self,
        tokens: &[u32],
        scale: Option<f32>,
        add: Option<&[f32]>,
        out: &mut [f32],
        stride: usize,
    ) -> bool {
        each!(self, t => t.decode_rows_fused(tokens, scale, add, out, stride))
    }

    #[inline]
    fn prefetch(&self, row: usize) {
        each!(self, t => t.prefetch(row));
    }
}

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
    /// If it is broken, the crate's views do not panic (what they write into
    /// `out` is then unspecified); the crate's kernels never break it.
    fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]);

    /// Decodes columns `c0 .. c0 + out.len()` of row `row` into `out`
    /// through the gather's epilogue: `out[j] = x[j] * scale + add[j]`, `x`
    /// what [`Table::decode_into`] writes, an absent `scale` or `add`
    /// skipped, each operation one IEEE rounding, in this order (Gemma's
    /// `× √d`, GPT-2's `+ wpe`). The crate's formats apply it before they
    /// store, so the row is written once; the default decodes, then applies
    /// it in place.
    ///
    /// Precondition: as [`Table::decode_into`], and `add` (if any) holds at
    /// least `out.len()` values.
    ///
    /// ```
    /// use inlayer::formats::{Bf16Table, Table};
    /// let t = Bf16Table::from_bytes(&[0x80, 0x3f, 0x49, 0x40], 2)?; // 1.0, 3.140625
    /// let mut row = [0.0f32; 2];
    /// t.decode_fused_into(0, 0, Some(2.0), Some(&[0.5, 0.5]), &mut row);
    /// assert_eq!(row, [2.5, 6.78125]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    #[inline]
    fn decode_fused_into(
        &self,
        row: usize,
        c0: usize,
        scale: Option<f32>,
        add: Option<&[f32]>,
        out: &mut [f32],
    ) {
        self.decode_into(row, c0, out);
        if let Some(s) = scale {
            lanes::scale_in_place(out, s);
        }
        if let Some(a) = add {
            out.iter_mut().zip(a).for_each(|(x, a)| *x += a);
        }
    }

    /// Borrows the whole table (`rows * dim` values, row-major) when it is
    /// stored as native `f32` values, so kernels can fuse the epilogue into
    /// the load instead of decoding first. The default (for formats that must
    /// decode) is `None`.
    #[inline]
    fn f32_rows(&self) -> Option<&[f32]> {
        None
    }

    /// Borrows row `row` directly when the table is stored as native `f32`
    /// values (see [`Table::f32_rows`]).
    ///
    /// Precondition: `row < self.rows()`.
    #[inline]
    fn f32_row(&self, row: usize) -> Option<&[f32]> {
        let dim = self.dim();
        self.f32_rows()?.get(row * dim..(row + 1) * dim)
    }

    /// Decodes the whole rows of many tokens through the gather's epilogue:
    /// `out[t * stride ..][.. dim]` becomes row `tokens[t]` as
    /// [`Table::decode_fused_into`] writes it (from column 0), for every `t`.
    /// Returns `true` once every row is written, `false` if it did not
    /// write them all: the caller then decodes every row itself (the
    /// gather does, row by row). The gather calls it first for a
    /// many-token call without a padding id, so that a view can run the
    /// whole token loop in one place (the crate's views do, in one AVX2
    /// function where AVX2 runs); the default writes nothing and returns
    /// `false`.
    ///
    /// Precondition: every token `< self.rows()`, `stride >= self.dim()`,
    /// `out` holds every row at `stride`, and `add` (if any) holds
    /// `tokens.len() * self.dim()` values, row `t` for token `t`. If it is
    /// broken, the crate's views do not panic (they return `false`).
    ///
    /// ```
    /// use inlayer::formats::{F32Table, Table};
    /// let t = F32Table::new(&[1.0, 2.0, 3.0, 4.0], 2)?;
    /// let mut out = [0.0f32; 4];
    /// if !t.decode_rows_fused(&[1, 0], Some(2.0), None, &mut out, 2) {
    ///     for (row, tok) in out.chunks_exact_mut(2).zip([1, 0]) {
    ///         t.decode_fused_into(tok, 0, Some(2.0), None, row);
    ///     }
    /// }
    /// assert_eq!(out, [6.0, 8.0, 2.0, 4.0]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    #[inline]
    fn decode_rows_fused(
        &self,
        tokens: &[u32],
        scale: Option<f32>,
        add: Option<&[f32]>,
        out: &mut [f32],
        stride: usize,
    ) -> bool {
        let _ = (tokens, scale, add, out, stride);
        false
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

/// Whether the decoders of every table format but `f32` ([`Bf16Table`],
/// [`F16Table`], [`I8Table`], [`Fbgemm8Table`], [`Fbgemm4Table`], every
/// ggml [`BlockTable`]) run their AVX2 (and F16C) bodies on this machine: on x86_64 wherever the CPU and the OS run AVX2 and F16C, found
/// by `cpuid` on first use on a default build (`false` elsewhere, and with
/// `--cfg inlayer_force_scalar`). Either way the values are the same bits;
/// only the speed differs.
///
/// ```
/// println!("AVX2 table decoders: {}", inlayer::formats::avx2_decoders());
/// ```
#[must_use]
pub fn avx2_decoders() -> bool {
    #[cfg(target_arch = "x86_64")]
    return crate::arch::avx2_f16c();
    #[cfg(not(target_arch = "x86_64"))]
    false
}
