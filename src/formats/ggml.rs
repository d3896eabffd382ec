//! ggml / GGUF block-quantized tables: `Q8_0`, `Q4_0`, `Q4_1`, `Q5_0`,
//! `Q5_1`, the K-quants `Q2_K`, `Q3_K`, `Q4_K`, `Q5_K`, `Q6_K`, and the
//! non-linear `IQ4_NL`, `IQ4_XS`, the grid-based `IQ3_S`; and the `Q8_0` /
//! `Q4_0` encoders.
//!
//! Layouts from `ggml/src/ggml-common.h`; decoders byte-exact with
//! `dequantize_row_*` in `ggml/src/ggml-quants.c` (the same IEEE operations
//! in the same order, each rounded once: e.g. `Q4_K` is
//! `(d * sc) * q - (dmin * m)`, `Q6_K` is `(d * sc) * q`), on eight lanes at a
//! time. Fields are read with `from_le_bytes` (blocks are 2-byte aligned in a
//! file). Every byte pattern is a valid block (NaN or infinite scales
//! included). The encoders follow ggml's `quantize_row_q8_0_ref` and
//! `quantize_row_q4_0_ref`: round-trip error at most `d / 2` per element for
//! `Q8_0` (`d = max|x| / 127`) and `d` for `Q4_0` (`d = max|x| / 8`), plus
//! the rounding of `d` to `f16`.

use super::lanes::{f16_at, i8_f32, post16, scale_in_place, store16};
use super::{Format, Post, Table};
use crate::Error;
use crate::simd::{F32x8, U8x16};
use core::marker::PhantomData;

/// A ggml block type: how many elements a block holds, its size, and its
/// decoder. Implemented by the marker types [`Q8_0`], [`Q4_0`], [`Q4_1`],
/// [`Q5_0`], [`Q5_1`], [`Q2K`], [`Q3K`], [`Q4K`], [`Q5K`], [`Q6K`],
/// [`Iq4Nl`], [`Iq4Xs`] and [`Iq3S`]; sealed.
pub trait Block: sealed::Sealed + Copy + core::fmt::Debug {
    /// The format id.
    const FORMAT: Format;
    /// Elements per block.
    const ELEMS: usize;
    /// Bytes per block.
    const BYTES: usize;
    /// Decodes one block (`block.len() == BYTES`, `out.len() == ELEMS`;
    /// otherwise nothing is written).
    fn decode(block: &[u8], out: &mut [f32]);
}

mod sealed {
    use super::Post;

    pub trait Sealed {
        /// One block on the lanes through the epilogue `p` (`S`: times,
        /// `A`: plus `p.add`, indexed like the block's values).
        #[allow(
            private_interfaces,
            reason = "`Sealed` cannot be named outside the crate, so neither can this"
        )]
        fn decode_post<const S: bool, const A: bool>(block: &[u8], p: Post<'_>, out: &mut [f32]);
    }
}

/// A `[rows][dim]` table of ggml blocks, `dim / B::ELEMS` blocks per row.
///
/// ```
/// use inlayer::formats::{Q8_0Table, Table, encode_q8_0};
/// let x: Vec<f32> = (0..64).map(|i| i as f32 / 8.0 - 4.0).collect(); // 2 rows of 32
/// let mut bytes = [0u8; 2 * 34];
/// encode_q8_0(&x, &mut bytes)?;
/// let t = Q8_0Table::from_bytes(&bytes, 32)?;
/// let mut row = [0.0f32; 32];
/// t.decode_into(1, 0, &mut row);
/// assert!(row.iter().zip(&x[32..]).all(|(a, b)| (a - b).abs() < 0.02));
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BlockTable<'a, B: Block> {
    bytes: &'a [u8],
    rows: usize,
    dim: usize,
    block: PhantomData<B>,
}

impl<'a, B: Block> BlockTable<'a, B> {
    /// Views `bytes` as rows of `dim` values, `dim / B::ELEMS` blocks each.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim` is zero or not a multiple of the
    /// block size, [`Error::Overflow`] if the row size overflows,
    /// [`Error::NotWholeRows`] if `bytes.len()` is not a whole number of rows
    /// (e.g. a truncated last block).
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let rows = B::FORMAT.rows_in(bytes.len(), dim)?;
        Ok(Self {
            bytes,
            rows,
            dim,
            block: PhantomData,
        })
    }
}

impl<B: Block> Table for BlockTable<'_, B> {
    #[inline]
    fn rows(&self) -> usize {
        self.rows
    }

    #[inline]
    fn dim(&self) -> usize {
        self.dim
    }

    super::decode_through_post!();

    super::rows_through_post!(crate::arch::block_rows);

    #[inline]
    fn prefetch(&self, row: usize) {
        crate::prefetch::read_row_bytes(self.bytes, row * self.row_bytes(), self.row_bytes());
    }
}

impl<B: Block> BlockTable<'_, B> {
    /// Bytes a row takes: `dim / B::ELEMS` blocks.
    #[inline(always)]
    pub(crate) fn row_bytes(&self) -> usize {
        (self.dim / B::ELEMS) * B::BYTES
    }

    /// Whether the rows are short enough (at most 512 bytes) for the
    /// many-token loop of `crate::arch::block_rows`; longer rows decode a
    /// part at a time, row by row.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn short_rows(&self) -> bool {
        self.row_bytes() <= CHUNK_BYTES
    }

    /// The bytes of row `row` (`None` past the end).
    #[inline(always)]
    pub(crate) fn row(&self, row: usize) -> Option<&[u8]> {
        let n = self.row_bytes();
        let start = row.checked_mul(n)?;
        self.bytes.get(start..start.checked_add(n)?)
    }
}

/// A block that a column range cuts (decoded through a scratch block) gets
/// the epilogue after its decode.
impl<B: Block> super::DecodePost for BlockTable<'_, B> {
    #[cfg(target_arch = "x86_64")]
    const AVX512: bool = B::FORMAT.avx512_body();

    #[inline]
    fn decode<const S: bool, const A: bool>(
        &self,
        row: usize,
        c0: usize,
        p: Post<'_>,
        out: &mut [f32],
    ) {
        // A gather's case first: a whole row, not long enough to be handed
        // over in parts, which the body decodes whole. Any other case, and
        // what the body leaves of a row (all of it where no body runs),
        // takes the general path (`decode_from`), out of line: its column
        // arithmetic, and the seven values it kept across the body's call,
        // cost a one-token `Q8_0` gather of D = 384 113 instructions around
        // the body's 197; 79 now. `examples/formats_speed`, `T=1`, default
        // build, five runs alternating, ratio to the f32 `memcpy`: `Q8_0`
        // 0.40–0.47 → 0.47–0.54, `Q4_0` 0.48–0.58 → 0.52–0.57, `IQ4_NL`
        // 0.51–0.52 → 0.56–0.57; from DRAM and D = 4096 the same.
        if cfg!(target_arch = "x86_64") && c0 == 0 && out.len() == self.dim {
            let Some(r) = self.row(row) else {
                return;
            };
            if !self.handed_in_parts(r.len()) {
                let done = Self::body::<S, A>(r, p, out);
                if let Some(rest) = out.get_mut(done..)
                    && !rest.is_empty()
                {
                    self.decode_from::<S, A>(row, done, p.from(done), rest);
                }
                return;
            }
        }
        self.decode_from::<S, A>(row, c0, p, out);
    }
}

impl<B: Block> BlockTable<'_, B> {
    /// Whole blocks by the AVX2 or AVX-512 body where the CPU runs one and
    /// the build does not enable AVX2 (`crate::arch`); returns how many
    /// values it wrote (0 elsewhere: the lanes do them).
    #[inline(always)]
    fn body<const S: bool, const A: bool>(body: &[u8], p: Post<'_>, out: &mut [f32]) -> usize {
        match B::FORMAT {
            Format::Q8_0 => crate::arch::q8_0_rows::<S, A>(body, p, out),
            Format::Q4_0Split => crate::arch::q4_0_rows::<S, A>(body, p, out),
            Format::Q4_1Split => crate::arch::q4_1_rows::<S, A>(body, p, out),
            Format::Q5_0Split => crate::arch::q5_0_rows::<S, A>(body, p, out),
            Format::Q5_1Split => crate::arch::q5_1_rows::<S, A>(body, p, out),
            Format::Q2KSplit => crate::arch::q2_k_rows::<S, A>(body, p, out),
            Format::Q3KSplit => crate::arch::q3_k_rows::<S, A>(body, p, out),
            Format::Q4KSplit => crate::arch::q4_k_rows::<S, A>(body, p, out),
            Format::Q5KSplit => crate::arch::q5_k_rows::<S, A>(body, p, out),
            Format::Iq4NlSplit => crate::arch::iq4_nl_rows::<S, A>(body, p, out),
            Format::Iq4XsSplit => crate::arch::iq4_xs_rows::<S, A>(body, p, out),
            Format::Iq3S => crate::arch::iq3_s_rows::<S, A>(body, p, out),
            Format::Q6KSplit => crate::arch::q6_k_rows::<S, A>(body, p, out),
            _ => 0,
        }
    }

    /// Whether a row's `body_len` bytes of blocks go to the body in parts
    /// of about [`CHUNK_BYTES`], the next part hinted first: a long row of
    /// a DRAM-sized table, on x86_64 (the only one with the bodies and the
    /// hint).
    #[inline(always)]
    fn handed_in_parts(&self, body_len: usize) -> bool {
        let k = (CHUNK_BYTES / B::BYTES).max(1);
        cfg!(target_arch = "x86_64") && self.dram_sized() && body_len > k * B::BYTES
    }

    /// Whether the table is large enough to be hinted inside its rows.
    #[inline(always)]
    fn dram_sized(&self) -> bool {
        self.bytes.len() >= crate::prefetch::MIN_TABLE_LEN * 4
    }

    /// [`decode`](super::DecodePost::decode) of any column range: the
    /// bodies where they run, the lanes for the rest.
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    #[cfg_attr(not(target_arch = "x86_64"), inline(always))]
    fn decode_from<const S: bool, const A: bool>(
        &self,
        row: usize,
        c0: usize,
        p: Post<'_>,
        out: &mut [f32],
    ) {
        let (e, n) = (B::ELEMS, B::BYTES);
        let row_bytes = self.row_bytes();
        // A broken precondition must not panic: out of range, return.
        let start = row.saturating_mul(row_bytes);
        let Some(r) = self.bytes.get(start..start.saturating_add(row_bytes)) else {
            return;
        };
        if c0.saturating_add(out.len()) > self.dim {
            return;
        }
        let (mut first, off) = (c0 / e, c0 % e);
        let mut body = r.get(first * n..).unwrap_or(&[]);
        let (mut out, mut p) = (out, p);
        if off != 0 {
            // A range that starts inside a block: decode it whole, keep
            // the part from `off`.
            let take = (e - off).min(out.len());
            let (head, rest) = out.split_at_mut(take);
            partial::<B>(body.get(..n), off, head);
            after::<S, A>(head, p);
            (body, out, first, p) = (body.get(n..).unwrap_or(&[]), rest, first + 1, p.from(take));
        }
        // Whole blocks by the bodies; the lanes below do the rest. A
        // DRAM-sized table's rows are hinted inside the row too.
        let dram_sized = self.dram_sized();
        let k = (CHUNK_BYTES / n).max(1);
        let done = if self.handed_in_parts(body.len()) {
            // A long row of a DRAM-sized table: about 512 bytes of blocks a
            // call, the next 512 bytes of the row hinted first, so their
            // lines arrive while these decode (the gather hints only a
            // row's first lines; the lanes below hint block by block). Only
            // x86_64 has the AVX2 decoders and the hint.
            let rest = start.saturating_add(row_bytes);
            let mut at = start + first * n;
            let mut done = 0;
            for (b, o) in body.chunks(k * n).zip(out.chunks_mut(k * e)) {
                at += b.len();
                let ahead = (k * n).min(rest.saturating_sub(at));
                // `read_bytes` hints up to 256 bytes a call.
                for off in (0..ahead).step_by(256) {
                    crate::prefetch::read_bytes(self.bytes, at + off, ahead - off);
                }
                let d = Self::body::<S, A>(b, p.from(done), o);
                done += d;
                if d < o.len() {
                    break;
                }
            }
            done
        } else {
            Self::body::<S, A>(body, p, out)
        };
        if done > 0 {
            let blocks = done / e;
            (body, out, first, p) = (
                body.get(blocks * n..).unwrap_or(&[]),
                out.get_mut(done..).unwrap_or(&mut []),
                first + blocks,
                p.from(done),
            );
        }
        // What the body left, by the lanes (on x86_64 a call, skipped when
        // the body did the whole row).
        if !(cfg!(target_arch = "x86_64") && out.is_empty()) {
            self.lanes_from::<S, A>(first, body, out, p, (start, dram_sized));
        }
    }

    /// Blocks `first..` of the row that starts at byte `start` (`body`
    /// their bytes, `out` their values) by the lanes: out of line on x86_64,
    /// so that the decode that an AVX2 or AVX-512 body did whole keeps a
    /// small frame (see `half_table!`).
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    #[cfg_attr(not(target_arch = "x86_64"), inline(always))]
    fn lanes_from<const S: bool, const A: bool>(
        &self,
        first: usize,
        body: &[u8],
        out: &mut [f32],
        p: Post<'_>,
        (start, dram_sized): (usize, bool),
    ) {
        let (e, n) = (B::ELEMS, B::BYTES);
        // The rest, on the lanes: block `i` of what is left.
        let block = |i: usize, b: &[u8], o: &mut [f32]| {
            <B as sealed::Sealed>::decode_post::<S, A>(b, p.from(i * e), o);
        };
        let whole_len = out.len() / e * e;
        let mut blocks = body.chunks_exact(n);
        let mut whole = out.chunks_exact_mut(e);
        if dram_sized {
            // Hint the block a few ahead, so its lines arrive while this
            // one decodes (the gather hints only a row's first lines).
            let ahead = start + (first + AHEAD_BLOCKS) * n;
            for (i, (o, b)) in (&mut whole).zip(&mut blocks).enumerate() {
                crate::prefetch::read_bytes(self.bytes, ahead + i * n, n);
                block(i, b, o);
            }
        } else {
            for (i, (o, b)) in (&mut whole).zip(&mut blocks).enumerate() {
                block(i, b, o);
            }
        }
        let tail = whole.into_remainder();
        if !tail.is_empty() {
            partial::<B>(blocks.next(), 0, tail);
            after::<S, A>(tail, p.from(whole_len));
        }
    }
}

/// The epilogue `p` applied in place to values already decoded: times (`S`),
/// then plus the add row (`A`).
#[inline(always)]
fn after<const S: bool, const A: bool>(out: &mut [f32], p: Post<'_>) {
    if S {
        scale_in_place(out, p.times);
    }
    if A {
        out.iter_mut().zip(p.add).for_each(|(x, a)| *x += a);
    }
}

/// How many blocks ahead of the one being decoded `decode_into` hints.
const AHEAD_BLOCKS: usize = 4;

/// About how many bytes of blocks `decode_into` hands the AVX2 decoder a
/// call on a long row of a DRAM-sized table, hinting as many ahead. Handed
/// the whole row, the decoder read `Q6_K` rows of D = 4096 from DRAM at
/// 2.3 G values/s; in parts of 256, 384, 512, 1024 and 2048 bytes at 3.7–3.9,
/// 3.2–3.7, 3.7–5.3, 3.6–3.8 and 2.7 (`DRAM=1 D=4096 cargo run --release
/// --example formats_speed`, default build). Rows of at most this many
/// bytes are handed over whole.
const CHUNK_BYTES: usize = 512;

/// Values `off .. off + out.len()` of one block, through a scratch block
/// (only for column ranges that cut a block).
#[cold]
fn partial<B: Block>(block: Option<&[u8]>, off: usize, out: &mut [f32]) {
    let mut tmp = [0.0f32; 256];
    if let (Some(b), Some(t)) = (block, tmp.get_mut(..B::ELEMS)) {
        B::decode(b, t);
    }
    if let Some(t) = tmp.get(off..off + out.len()) {
        out.copy_from_slice(t);
    }
}

macro_rules! block {
    ($(#[$doc:meta])* $name:ident, $table:ident, $format:expr, $elems:literal, $bytes:literal, $decode:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        #[allow(non_camel_case_types)]
        pub struct $name;

        impl sealed::Sealed for $name {
            #[allow(
                private_interfaces,
                reason = "`Sealed` cannot be named outside the crate, so neither can this"
            )]
            #[inline(always)]
            fn decode_post<const S: bool, const A: bool>(block: &[u8], p: Post<'_>, out: &mut [f32]) {
                if let (Ok(b), Ok(o)) = (
                    <&[u8; $bytes]>::try_from(block),
                    <&mut [f32; $elems]>::try_from(out),
                ) {
                    $decode::<S, A>(b, p, o);
                }
            }
        }

        impl Block for $name {
            const FORMAT: Format = $format;
            const ELEMS: usize = $elems;
            const BYTES: usize = $bytes;
            #[inline(always)]
            fn decode(block: &[u8], out: &mut [f32]) {
                <Self as sealed::Sealed>::decode_post::<false, false>(block, Post::NONE, out);
            }

        }

        #[doc = concat!("A table of [`", stringify!($name), "`] blocks.")]
        #[allow(non_camel_case_types)]
        pub type $table<'a> = BlockTable<'a, $name>;
    };
}

block!(
    /// ggml `Q8_0`: 32 elements in 34 bytes, `f16 d` · `i8 qs[32]`;
    /// `x = qs[j] * d`.
    Q8_0, Q8_0Table, Format::Q8_0, 32, 34, q8_0
);
block!(
    /// ggml `Q4_0`: 32 elements in 18 bytes, `f16 d` · `u8 qs[16]`;
    /// `x[j] = ((qs[j] & 15) - 8) * d`, `x[j + 16] = ((qs[j] >> 4) - 8) * d`
    /// (low nibbles are elements 0–15).
    Q4_0, Q4_0Table, Format::Q4_0Split, 32, 18, q4_0
);
block!(
    /// ggml `Q4_1`: 32 elements in 20 bytes, `f16 d` · `f16 m` ·
    /// `u8 qs[16]` (split halves); `x = q * d + m`.
    Q4_1, Q4_1Table, Format::Q4_1Split, 32, 20, q4_1
);
block!(
    /// ggml `Q5_0`: 32 elements in 22 bytes, `f16 d` · `u32 qh` ·
    /// `u8 qs[16]` (split halves, bit `j` of `qh` is bit 4 of element `j`);
    /// `x = (q - 16) * d`.
    Q5_0, Q5_0Table, Format::Q5_0Split, 32, 22, q5_0
);
block!(
    /// ggml `Q5_1`: 32 elements in 24 bytes, `f16 d` · `f16 m` · `u32 qh` ·
    /// `u8 qs[16]`; `x = q * d + m`.
    Q5_1, Q5_1Table, Format::Q5_1Split, 32, 24, q5_1
);
block!(
    /// ggml `Q2_K`: 256 elements in 84 bytes, `u8 scales[16]` ·
    /// `u8 qs[64]` · `f16 d` · `f16 dmin`; `x = (d * sc) * q - (dmin * m)`
    /// with the 4-bit `sc` (low nibble) and `m` (high nibble) of each
    /// 16-element sub-block and the 2-bit `q`.
    Q2K, Q2KTable, Format::Q2KSplit, 256, 84, q2_k
);
block!(
    /// ggml `Q3_K`: 256 elements in 110 bytes, `u8 hmask[32]` ·
    /// `u8 qs[64]` · `u8 scales[12]` · `f16 d`;
    /// `x = (d * (sc - 32)) * (q - 4)` with the 6-bit `sc` of each
    /// 16-element sub-block and the 3-bit `q`.
    Q3K, Q3KTable, Format::Q3KSplit, 256, 110, q3_k
);
block!(
    /// ggml `Q4_K`: 256 elements in 144 bytes, `f16 d` · `f16 dmin` ·
    /// `u8 scales[12]` · `u8 qs[128]`; `x = (d * sc) * q - (dmin * m)` with
    /// the 6-bit `sc`, `m` of each 32-element sub-block.
    Q4K, Q4KTable, Format::Q4KSplit, 256, 144, q4_k
);
block!(
    /// ggml `Q5_K`: 256 elements in 176 bytes, `f16 d` · `f16 dmin` ·
    /// `u8 scales[12]` · `u8 qh[32]` · `u8 qs[128]`;
    /// `x = (d * sc) * q - (dmin * m)` with `Q4_K`'s scales and mins and the
    /// 5-bit `q`.
    Q5K, Q5KTable, Format::Q5KSplit, 256, 176, q5_k
);
block!(
    /// ggml `Q6_K`: 256 elements in 210 bytes, `u8 ql[128]` · `u8 qh[64]` ·
    /// `i8 scales[16]` · `f16 d`; `x = (d * scales[k]) * (q - 32)`.
    Q6K, Q6KTable, Format::Q6KSplit, 256, 210, q6_k
);
block!(
    /// ggml `IQ4_NL`: 32 elements in 18 bytes, `f16 d` · `u8 qs[16]`
    /// (split halves, as `Q4_0`); `x = d * kv[q]` with ggml's 16 non-linear
    /// levels `kv` (`kvalues_iq4nl`).
    Iq4Nl, Iq4NlTable, Format::Iq4NlSplit, 32, 18, iq4_nl
);
block!(
    /// ggml `IQ4_XS`: 256 elements in 136 bytes, `f16 d` · `u16 scales_h` ·
    /// `u8 scales_l[4]` · `u8 qs[128]`; `x = (d * (sc - 32)) * kv[q]` with
    /// the 6-bit `sc` of each 32-element sub-block (split halves of 16
    /// bytes) and `IQ4_NL`'s levels.
    Iq4Xs, Iq4XsTable, Format::Iq4XsSplit, 256, 136, iq4_xs
);
block!(
    /// ggml `IQ3_S`: 256 elements in 110 bytes, `f16 d` · `u8 qs[64]` ·
    /// `u8 qh[8]` · `u8 signs[32]` · `u8 scales[4]`; each group of four
    /// elements takes its levels (odd, 1–15) from the row of ggml's 512-row
    /// grid that `qs` and a bit of `qh` index, each element a sign bit, each
    /// 32-element sub-block a 4-bit scale `sc`: `x = (d * (1 + 2 sc)) * ±level`.
    Iq3S, Iq3STable, Format::Iq3S, 256, 110, iq3_s
);

/// ggml's 16 non-linear 4-bit levels (`kvalues_iq4nl`, `i8`) plus 128, as
/// bytes: a nibble looked up here and the 128 subtracted is its level.
pub(super) const IQ4_LEVELS_PLUS_128: [u8; 16] = [
    1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241,
];

/// Whether [`U8x16::lookup`] is one instruction on this build (SSSE3
/// `pshufb`, NEON `tbl`, simd128 `swizzle`). Elsewhere (a default x86_64
/// build, whose lanes are SSE2, and the portable arrays) the `IQ4` decoders
/// look both nibbles of a byte up at once in [`IQ4_PAIRS`], where `wide`'s
/// byte-by-byte shuffle took 1.06 G values/s on SSE2 lanes and this takes
/// 3.0–3.3 (`formats_speed iq4_nl iq4_xs`, cache, D = 384 and 512).
const FAST_LOOKUP: bool = !cfg!(inlayer_force_scalar)
    && cfg!(any(
        target_feature = "ssse3",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    ));

/// The levels (plus 128) of both nibbles of every byte: the low nibble's
/// in the low byte.
const IQ4_PAIRS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        let (lo, hi) = (IQ4_LEVELS_PLUS_128[b & 15], IQ4_LEVELS_PLUS_128[b >> 4]);
        t[b] = lo as u16 | (hi as u16) << 8;
        b += 1;
    }
    t
};

/// The `IQ4` levels (plus 128) of the low nibbles of `qs` (elements 0–15 of
/// a split-halves run) and of the high ones (16–31).
#[inline(always)]
fn iq4_levels(qs: &[u8; 16]) -> [U8x16; 2] {
    if FAST_LOOKUP {
        let levels = U8x16::load(&IQ4_LEVELS_PLUS_128);
        nibbles(qs).map(|n| levels.lookup(n))
    } else {
        let (mut lo, mut hi) = ([0u8; 16], [0u8; 16]);
        for ((l, h), &b) in lo.iter_mut().zip(&mut hi).zip(qs) {
            [*l, *h] = IQ4_PAIRS[usize::from(b)].to_le_bytes();
        }
        [U8x16::load(&lo), U8x16::load(&hi)]
    }
}

/// Sixteen values stored to run `k` (values `16k ..`) of a block's output
/// through the epilogue `p` (`S`: times, `A`: plus `p.add`).
#[inline(always)]
fn put<const S: bool, const A: bool>(v: [F32x8; 2], p: Post<'_>, k: usize, out: &mut [f32; 16]) {
    store16(post16::<S, A>(v, F32x8::splat(p.times), p.add, 16 * k), out);
}

/// Sixteen lanes `x = (q - bias) * d` to run `k` of a block (see [`put`]).
#[inline(always)]
fn store_mul<const S: bool, const A: bool>(
    q: U8x16,
    bias: u8,
    d: F32x8,
    p: Post<'_>,
    k: usize,
    out: &mut [f32; 16],
) {
    put::<S, A>(q.to_f32_minus(bias).map(|q| q * d), p, k, out);
}

/// Sixteen lanes `x = q * d + m` to run `k` of a block (see [`put`]).
#[inline(always)]
fn store_mul_add<const S: bool, const A: bool>(
    q: U8x16,
    d: F32x8,
    m: F32x8,
    p: Post<'_>,
    k: usize,
    out: &mut [f32; 16],
) {
    put::<S, A>(q.to_f32_minus(0).map(|q| q * d + m), p, k, out);
}

/// The low nibbles of `qs` (elements 0–15 of a split-halves block) and
/// the high nibbles (elements 16–31).
#[inline(always)]
fn nibbles(qs: &[u8; 16]) -> [U8x16; 2] {
    let x = U8x16::load(qs);
    [x & U8x16::splat(0x0f), x.shr(4)]
}

/// Sixteen lanes from the bits of `lo` (lanes 0–7, lane `i` takes bit `i`)
/// and `hi` (lanes 8–15): all ones where the bit is set, zero elsewhere.
#[inline(always)]
fn bit_lanes(lo: u8, hi: u8) -> U8x16 {
    let bits = U8x16::load(&[1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128]);
    let bytes = U8x16::load(&[
        lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi,
    ]);
    (bytes & bits).eq(bits)
}

/// Bit 4 of sixteen elements whose high bits are the bits of `lo` and `hi`
/// (as [`bit_lanes`]): `16` where set, `0` elsewhere.
#[inline(always)]
fn high_bits(lo: u8, hi: u8) -> U8x16 {
    bit_lanes(lo, hi) & U8x16::splat(16)
}

/// The 32 outputs of a block as two runs of sixteen.
#[inline(always)]
fn halves(out: &mut [f32; 32]) -> &mut [[f32; 16]] {
    out.as_chunks_mut::<16>().0
}

#[inline]
fn q8_0<const S: bool, const A: bool>(b: &[u8; 34], p: Post<'_>, out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let (qs, _) = b[2..].as_chunks::<16>();
    for (k, (o, q)) in halves(out).iter_mut().zip(qs).enumerate() {
        put::<S, A>(i8_f32(q).map(|q| q * d), p, k, o);
    }
}

#[inline]
fn q4_0<const S: bool, const A: bool>(b: &[u8; 18], p: Post<'_>, out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let Ok(qs) = <&[u8; 16]>::try_from(&b[2..]) else {
        return;
    };
    for (k, (o, q)) in halves(out).iter_mut().zip(nibbles(qs)).enumerate() {
        store_mul::<S, A>(q, 8, d, p, k, o);
    }
}

#[inline]
fn q4_1<const S: bool, const A: bool>(b: &[u8; 20], p: Post<'_>, out: &mut [f32; 32]) {
    let (d, m) = (F32x8::splat(f16_at(b, 0)), F32x8::splat(f16_at(b, 2)));
    let Ok(qs) = <&[u8; 16]>::try_from(&b[4..]) else {
        return;
    };
    for (k, (o, q)) in halves(out).iter_mut().zip(nibbles(qs)).enumerate() {
        store_mul_add::<S, A>(q, d, m, p, k, o);
    }
}

#[inline]
fn q5_0<const S: bool, const A: bool>(b: &[u8; 22], p: Post<'_>, out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let hb = [high_bits(b[2], b[3]), high_bits(b[4], b[5])];
    let Ok(qs) = <&[u8; 16]>::try_from(&b[6..]) else {
        return;
    };
    for (k, ((o, q), h)) in halves(out).iter_mut().zip(nibbles(qs)).zip(hb).enumerate() {
        store_mul::<S, A>(q | h, 16, d, p, k, o);
    }
}

#[inline]
fn q5_1<const S: bool, const A: bool>(b: &[u8; 24], p: Post<'_>, out: &mut [f32; 32]) {
    let (d, m) = (F32x8::splat(f16_at(b, 0)), F32x8::splat(f16_at(b, 2)));
    let hb = [high_bits(b[4], b[5]), high_bits(b[6], b[7])];
    let Ok(qs) = <&[u8; 16]>::try_from(&b[8..]) else {
        return;
    };
    for (k, ((o, q), h)) in halves(out).iter_mut().zip(nibbles(qs)).zip(hb).enumerate() {
        store_mul_add::<S, A>(q | h, d, m, p, k, o);
    }
}

/// The eight 6-bit scales (bytes 0–7) and eight 6-bit mins (bytes 8–15)
/// of a `Q4_K` / `Q5_K` block from its 12 packed bytes, four at a time in
/// 32-bit words: the values of ggml's `get_scale_min_k4(j)`. Scale and min
/// `j < 4` are the low 6 bits of bytes `j` and `j + 4`; for `j ≥ 4` their
/// low 4 bits are the nibbles of byte `j + 4` and their top 2 bits the top
/// crumbs of bytes `j - 4` and `j`.
#[inline(always)]
fn scales_mins_k4(s: &[u8; 12]) -> [u8; 16] {
    let (six, low, top) = (0x3f3f_3f3f_u32, 0x0f0f_0f0f_u32, 0x0303_0303_u32);
    let word = |i: usize| u32::from_le_bytes([s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]]);
    let (w0, w1, w2) = (word(0), word(1), word(2));
    let words = [
        w0 & six,
        (w2 & low) | (((w0 >> 6) & top) << 4),
        w1 & six,
        ((w2 >> 4) & low) | (((w1 >> 6) & top) << 4),
    ];
    bytemuck::cast(words.map(u32::to_le_bytes))
}

#[inline]
fn q4_k<const S: bool, const A: bool>(b: &[u8; 144], p: Post<'_>, out: &mut [f32; 256]) {
    if let Some(scales) = b[4..].first_chunk::<12>() {
        let (dl, ml) = k4_scales(scales, f16_at(b, 0), f16_at(b, 2));
        k4_runs::<S, A>((&dl, &ml), &b[16..], None, p, out);
    }
}

/// The 256 values of a `Q4_K` block (`qh: None`) or a `Q5_K` block (`qh`
/// its 32 high-bit bytes) from the multipliers `dl`, `ml` of the eight
/// sub-blocks and the 128 nibble bytes `qs`: chunk `i` of 64 values reads
/// 32 bytes, their low nibbles sub-block `2i`, their high nibbles `2i + 1`;
/// for `Q5_K` bit `j` of `qh[l]` is bit 4 of element `32j + l`.
#[inline(always)]
fn k4_runs<const S: bool, const A: bool>(
    (dl, ml): (&[f32; 8], &[f32; 8]),
    qs: &[u8],
    qh: Option<&[u8]>,
    p: Post<'_>,
    out: &mut [f32; 256],
) {
    let (qs, _) = qs.as_chunks::<16>(); // 8 runs of 16 bytes
    let qh = qh.map(|h| h.as_chunks::<16>().0); // 2 × 16
    let (o, _) = out.as_chunks_mut::<64>(); // 4 chunks of 64 values
    for (i, (o, qs)) in o.iter_mut().zip(qs.chunks_exact(2)).enumerate() {
        let (o16, _) = o.as_chunks_mut::<16>();
        let x = [U8x16::load(&qs[0]), U8x16::load(&qs[1])];
        for (half, o) in o16.chunks_exact_mut(2).enumerate() {
            let sub = 2 * i + half;
            let (d1, m1) = (F32x8::splat(dl[sub]), F32x8::splat(ml[sub]));
            for (r, (o, x)) in o.iter_mut().zip(x).enumerate() {
                let mut q = if half == 0 {
                    x & U8x16::splat(0x0f)
                } else {
                    x.shr(4)
                };
                if let Some(h) = qh.and_then(|h| h.get(r)) {
                    q = q | bit_to(U8x16::load(h), sub as u32, 4);
                }
                // Run `k` of the block: values 16k ..
                let k = 4 * i + 2 * half + r;
                put::<S, A>(q.to_f32_minus(0).map(|q| q * d1 - m1), p, k, o);
            }
        }
    }
}

/// Bit `k` (`k < 8`) of each of sixteen bytes, moved to bit `to`
/// (`to < 8`); the other bits cleared.
#[inline(always)]
fn bit_to(h: U8x16, k: u32, to: u32) -> U8x16 {
    let moved = if k <= to {
        h.shl(to - k)
    } else {
        h.shr(k - to)
    };
    moved & U8x16::splat(1 << to)
}

/// The crumbs (2-bit fields) `j` of sixteen bytes (`j < 4`).
#[inline(always)]
fn crumbs(x: U8x16, j: u32) -> U8x16 {
    x.shr(2 * j) & U8x16::splat(3)
}

#[inline]
fn q2_k<const S: bool, const A: bool>(b: &[u8; 84], p: Post<'_>, out: &mut [f32; 256]) {
    let Some(s) = b.first_chunk::<16>() else {
        return;
    };
    let (dl, ml) = k2_scales(s, f16_at(b, 80), f16_at(b, 82));
    let (qs, _) = b[16..80].as_chunks::<16>(); // 4 × 16
    let (o, _) = out.as_chunks_mut::<16>(); // 16 runs of 16: (half n, crumb j, g)
    for (k, ((o, &dl), &ml)) in o.iter_mut().zip(&dl).zip(&ml).enumerate() {
        // Elements 128 n + 32 j + 16 g + l, l in 0..16: crumb j of
        // qs[32 n + 16 g + l], sub-block (and scale byte) k.
        let (n, j, g) = (k / 8, (k / 2) % 4, k % 2);
        let q = crumbs(U8x16::load(&qs[2 * n + g]), j as u32);
        let (dl, ml) = (F32x8::splat(dl), F32x8::splat(ml));
        put::<S, A>(q.to_f32_minus(0).map(|q| q * dl - ml), p, k, o);
    }
}

/// `(x_k - bias) * d` for the sixteen bytes `x_k` of `x`, on lanes.
#[inline(always)]
fn times(x: U8x16, bias: u8, d: f32) -> [f32; 16] {
    let d = F32x8::splat(d);
    let mut out = [0.0; 16];
    store16(x.to_f32_minus(bias).map(|x| x * d), &mut out);
    out
}

// The per-sub-block multipliers of the K-quants, once a block on lanes
// (also for the AVX2 bodies): the same single multiplies ggml does per
// sub-block.

/// `Q2_K`: `d * sc_k` and `dmin * m_k` of the sixteen scale bytes `s`
/// (`sc` the low nibble, `m` the high one).
#[inline(always)]
pub(super) fn k2_scales(s: &[u8; 16], d: f32, dmin: f32) -> ([f32; 16], [f32; 16]) {
    let [sc, m] = nibbles(s);
    (times(sc, 0, d), times(m, 0, dmin))
}

/// `Q3_K`: `d * (sc_k - 32)` of the sixteen 6-bit scales packed in `s`.
#[inline(always)]
pub(super) fn k3_scales(s: &[u8; 12], d: f32) -> [f32; 16] {
    times(U8x16::load(&scales_k3(s)), 32, d)
}

/// `Q6_K`: `d * sc_k` of the sixteen `i8` scales `s`.
#[inline(always)]
pub(super) fn k6_scales(s: &[u8; 16], d: f32) -> [f32; 16] {
    times(U8x16::load(s) ^ U8x16::splat(0x80), 128, d)
}

/// `Q4_K` and `Q5_K`: `d * sc_j` and `dmin * m_j` of the eight 6-bit
/// scales and mins packed in `s`.
#[inline(always)]
pub(super) fn k4_scales(s: &[u8; 12], d: f32, dmin: f32) -> ([f32; 8], [f32; 8]) {
    let [sc, m] = U8x16::load(&scales_mins_k4(s)).to_f32_minus(0);
    let (mut dl, mut ml) = ([0.0; 8], [0.0; 8]);
    (sc * F32x8::splat(d)).store(&mut dl);
    (m * F32x8::splat(dmin)).store(&mut ml);
    (dl, ml)
}

/// The sixteen 6-bit scales of a `Q3_K` block from its 12 packed bytes,
/// four at a time in 32-bit words as ggml unpacks them: the low 4 bits of
/// scale `k` are nibble `k / 8` of byte `k % 8`, the top 2 bits crumb
/// `k / 4` of byte `8 + k % 4`.
#[inline(always)]
fn scales_k3(s: &[u8; 12]) -> [u8; 16] {
    let (low, top) = (0x0f0f_0f0f_u32, 0x0303_0303_u32);
    let word = |i: usize| u32::from_le_bytes([s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]]);
    let (w0, w1, w2) = (word(0), word(1), word(2));
    let words = [
        (w0 & low) | ((w2 & top) << 4),
        (w1 & low) | (((w2 >> 2) & top) << 4),
        ((w0 >> 4) & low) | (((w2 >> 4) & top) << 4),
        ((w1 >> 4) & low) | (((w2 >> 6) & top) << 4),
    ];
    bytemuck::cast(words.map(u32::to_le_bytes))
}

#[inline]
fn q3_k<const S: bool, const A: bool>(b: &[u8; 110], p: Post<'_>, out: &mut [f32; 256]) {
    let (hm, _) = b[..32].as_chunks::<16>(); // 2 × 16
    let (qs, _) = b[32..96].as_chunks::<16>(); // 4 × 16
    let Some(s) = b[96..].first_chunk::<12>() else {
        return;
    };
    let dl = k3_scales(s, f16_at(b, 108));
    let (o, _) = out.as_chunks_mut::<16>(); // 16 runs of 16: (half n, crumb j, g)
    for (k, (o, &dl)) in o.iter_mut().zip(&dl).enumerate() {
        // Elements 128 n + 32 j + 16 g + l: crumb j of qs[32 n + 16 g + l]
        // and bit 4 n + j of hmask[16 g + l] as bit 2; q - 4 is the signed
        // value (ggml subtracts 4 where the bit is clear). Scale k.
        let (n, j, g) = (k / 8, (k / 2) % 4, k % 2);
        let low = crumbs(U8x16::load(&qs[2 * n + g]), j as u32);
        let high = bit_to(U8x16::load(&hm[g]), (4 * n + j) as u32, 2);
        store_mul::<S, A>(low | high, 4, F32x8::splat(dl), p, k, o);
    }
}

#[inline]
fn q5_k<const S: bool, const A: bool>(b: &[u8; 176], p: Post<'_>, out: &mut [f32; 256]) {
    if let Some(scales) = b[4..].first_chunk::<12>() {
        let (dl, ml) = k4_scales(scales, f16_at(b, 0), f16_at(b, 2));
        k4_runs::<S, A>((&dl, &ml), &b[48..], Some(&b[16..48]), p, out);
    }
}

#[inline]
fn q6_k<const S: bool, const A: bool>(b: &[u8; 210], p: Post<'_>, out: &mut [f32; 256]) {
    let Some(scales) = b[192..].first_chunk::<16>() else {
        return;
    };
    let dl = k6_scales(scales, f16_at(b, 208));
    let (ql, _) = b[..128].as_chunks::<16>(); // 8 × 16
    let (qh, _) = b[128..192].as_chunks::<16>(); // 4 × 16
    let (o, _) = out.as_chunks_mut::<16>(); // 16 runs of 16: (half n, quarter, g)
    for (k, o) in o.iter_mut().enumerate() {
        // Elements 128 n + 32 quarter + 16 g + l, l in 0..16: the low 4
        // bits from ql[64 n + 32 (quarter & 1) + 16 g + l] (high nibble for
        // quarters 2, 3), the top 2 bits from bits 2 quarter of
        // qh[32 n + 16 g + l], scale 8 n + 2 quarter + g.
        let (n, quarter, g) = (k / 8, (k / 2) % 4, k % 2);
        let l = U8x16::load(&ql[4 * n + 2 * (quarter & 1) + g]);
        let low = if quarter >= 2 {
            l.shr(4)
        } else {
            l & U8x16::splat(0x0f)
        };
        let h = U8x16::load(&qh[2 * n + g]);
        let high = match quarter {
            0 => h.shl(4),
            1 => h.shl(2),
            2 => h,
            _ => h.shr(2),
        } & U8x16::splat(0x30);
        let dl = F32x8::splat(dl[8 * n + 2 * quarter + g]);
        store_mul::<S, A>(low | high, 32, dl, p, k, o);
    }
}

#[inline]
fn iq4_nl<const S: bool, const A: bool>(b: &[u8; 18], p: Post<'_>, out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let Ok(qs) = <&[u8; 16]>::try_from(&b[2..]) else {
        return;
    };
    for (k, (o, q)) in halves(out).iter_mut().zip(iq4_levels(qs)).enumerate() {
        store_mul::<S, A>(q, 128, d, p, k, o);
    }
}

/// `IQ4_XS`: `d * (sc_b - 32)` of the eight sub-blocks' 6-bit scales (the
/// low 4 bits nibble `b % 2` of `scales_l[b / 2]`, the top 2 crumb `b` of
/// the little-endian `scales_h`), in the first eight of sixteen.
#[inline(always)]
pub(super) fn xs_scales(b: &[u8; 136]) -> [f32; 16] {
    let high = u16::from_le_bytes([b[2], b[3]]);
    let mut sc = [32u8; 16];
    for (i, s) in sc.iter_mut().take(8).enumerate() {
        let low = (b[4 + i / 2] >> (4 * (i % 2))) & 0x0f;
        *s = low | (((high >> (2 * i)) & 3) as u8) << 4;
    }
    times(U8x16::load(&sc), 32, f16_at(b, 0))
}

#[inline]
fn iq4_xs<const S: bool, const A: bool>(b: &[u8; 136], p: Post<'_>, out: &mut [f32; 256]) {
    let dl = xs_scales(b);
    let (qs, _) = b[8..].as_chunks::<16>(); // 8 runs of 16 bytes
    let (o, _) = out.as_chunks_mut::<32>(); // 8 sub-blocks of 32 values
    for (i, ((o, q), &dl)) in o.iter_mut().zip(qs).zip(&dl).enumerate() {
        let d = F32x8::splat(dl);
        for (r, (o, q)) in halves(o).iter_mut().zip(iq4_levels(q)).enumerate() {
            store_mul::<S, A>(q, 128, d, p, 2 * i + r, o);
        }
    }
}

/// `IQ3_S`: `d * (1 + 2 sc_b)` of the eight sub-blocks' 4-bit scales
/// (nibble `b % 2` of `scales[b / 2]`), in the first eight of sixteen.
#[inline(always)]
pub(super) fn iq3_s_scales(b: &[u8; 110]) -> [f32; 16] {
    let mut odd = [1u8; 16];
    for (i, o) in odd.iter_mut().take(8).enumerate() {
        *o = 1 + 2 * ((b[106 + i / 2] >> (4 * (i % 2))) & 0x0f);
    }
    times(U8x16::load(&odd), 0, f16_at(b, 0))
}

/// The sixteen levels of run `k` (values `16k ..`) of an `IQ3_S` block:
/// four grid rows, indexed by `qs[4k + i]` and bit `4 (k % 2) + i` of
/// `qh[k / 2]` as bit 8.
#[inline(always)]
fn iq3_s_levels(b: &[u8; 110], k: usize) -> [u8; 16] {
    let high = b[66 + k / 2] >> (4 * (k % 2));
    let row = |i: usize| {
        let index = usize::from(b[2 + 4 * k + i]) | usize::from((high >> i) & 1) << 8;
        super::grid::IQ3S_GRID[index]
    };
    bytemuck::cast([row(0), row(1), row(2), row(3)])
}

#[inline]
fn iq3_s<const S: bool, const A: bool>(b: &[u8; 110], p: Post<'_>, out: &mut [f32; 256]) {
    let db = iq3_s_scales(b);
    let (o, _) = out.as_chunks_mut::<16>(); // 16 runs of 16, two a sub-block
    for (k, o) in o.iter_mut().enumerate() {
        // Level `g` (odd) plus 128, or minus where the sign bit is set:
        // `-g` is `g ^ 0xfe` in two's complement for odd `g`, so the byte
        // is `g ^ 0x80` or `g ^ 0x7e`. `db * ±g` equals ggml's
        // `db * g * ±1.0` bit for bit, NaN and zero signs included.
        let minus = bit_lanes(b[74 + 2 * k], b[75 + 2 * k]);
        let flip = (minus & U8x16::splat(0xfe)) ^ U8x16::splat(0x80);
        let q = U8x16::load(&iq3_s_levels(b, k)) ^ flip;
        store_mul::<S, A>(q, 128, F32x8::splat(db[k / 2]), p, k, o);
    }
}

/// Quantizes `x` to ggml `Q8_0` blocks (as `quantize_row_q8_0_ref`:
/// `d = max|x| / 127`, `q = round(x / d)`, `d` stored as `f16`).
///
/// ```
/// let x = [0.5f32; 32];
/// let mut b = [0u8; 34];
/// inlayer::formats::encode_q8_0(&x, &mut b)?;
/// assert_eq!(b[2], 127);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `x.len()` is zero or not a multiple of 32,
/// [`Error::LengthMismatch`] if `out` is not `x.len() / 32 * 34` bytes,
/// [`Error::NotFinite`] for a NaN or infinite input. On error nothing is
/// written.
pub fn encode_q8_0(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    check_encode(Format::Q8_0, x, out)?;
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(34)) {
        let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        ob[..2].copy_from_slice(&super::f16::f32_to_f16(d).to_le_bytes());
        for (q, &v) in ob[2..].iter_mut().zip(xb) {
            *q = libm::roundf(v * id) as i8 as u8;
        }
    }
    Ok(())
}

/// Quantizes `x` to ggml `Q4_0` blocks (as `quantize_row_q4_0_ref`:
/// `d = -max / 8` for the value `max` of largest magnitude,
/// `q = min(15, trunc(x / d + 8.5))`, low nibbles first).
///
/// ```
/// let mut x = [0.0f32; 32];
/// x[0] = -8.0;
/// let mut b = [0u8; 18];
/// inlayer::formats::encode_q4_0(&x, &mut b)?;
/// assert_eq!(&b[..3], &[0x00, 0x3c, 0x80]); // d = 1.0; element 0 → 0, element 16 → 8
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`encode_q8_0`], with 18-byte blocks.
pub fn encode_q4_0(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    check_encode(Format::Q4_0Split, x, out)?;
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(18)) {
        let (mut amax, mut max) = (0.0f32, 0.0f32);
        for &v in xb {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        ob[..2].copy_from_slice(&super::f16::f32_to_f16(d).to_le_bytes());
        let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
        for j in 0..16 {
            ob[2 + j] = q(xb[j]) | q(xb[j + 16]) << 4;
        }
    }
    Ok(())
}

fn check_encode(format: Format, x: &[f32], out: &[u8]) -> Result<(), Error> {
    let blocks = x.len() / 32;
    if x.is_empty() || !x.len().is_multiple_of(32) {
        return Err(Error::InvalidShape {
            what: "x.len()",
            value: x.len(),
        });
    }
    let need = blocks
        .checked_mul(format.block_bytes())
        .ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: need,
            actual: out.len(),
        });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NotFinite { index });
    }
    Ok(())
}
