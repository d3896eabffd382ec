//! Token-embedding gather: `out[t] = table[tokens[t]] * scale + add[t]`.
//!
//! Entry points, from the most typed to the most general:
//!
//! | function | table | output |
//! |---|---|---|
//! | [`gather`] | `&[[f32; D]]` | `&mut [[f32; D]]` |
//! | [`gather_with`] | `&[[f32; D]]` + [`Epilogue`] | `&mut [[f32; D]]` |
//! | [`gather_dyn`] | `&[f32]`, `dim` known at run time | dense `&mut [f32]` |
//! | [`gather_table`] | any [`Table`] of width `D` + [`Epilogue`] | `&mut [[f32; D]]` |
//! | [`gather_view`] | any [`Table`] (f32, f16, bf16, int8, FBGEMM, GGUF blocks) + [`Epilogue`] | `&mut [f32]` with a row stride |
//! | [`gather_cols`] | as [`gather_view`], columns `[c0, c1)` of each row | `&mut [f32]` with a row stride |
//! | [`gather_backward`], [`gather_backward_dyn`] | gradient rows | gradient table (`+=`) |
//!
//! All of them run one slice-based body ([`gather_cols`]): the const-generic
//! functions are thin wrappers, so no code is duplicated per `D`. Every call
//! validates all ids and lengths first and only then writes, so an `Err`
//! leaves `out` untouched. The row kernels live in `kernel.rs`; their oracle
//! is [`reference::gather`](crate::reference::gather).
//!
//! **Padding id.** [`Epilogue::padding_id`] makes one id contribute a zero
//! embedding: its output row is `add[t]` (or `+0.0` without an add). This is
//! *not* what PyTorch's `nn.Embedding(padding_idx=...)` does in forward: there,
//! `padding_idx` only stops the gradient, and the forward returns whatever row
//! is stored (zeros at initialisation, unless the weights were loaded or
//! trained). To match PyTorch, leave `padding_id` unset in forward and pass it
//! to [`gather_backward`] only.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
mod kernel;

use crate::Error;
use crate::formats::{F32Table, Table};
use core::ops::Range;
use kernel::Op;

/// What the gather does to each row on its way to `out`, in the same pass:
/// `out[t] = table[tokens[t]] * scale + add[t]`.
///
/// ```
/// use inlayer::gather::Epilogue;
/// let wpe = [[0.5f32; 4]; 2]; // learned positions for 2 tokens
/// let e = Epilogue::new().scale(2.0).add(wpe.as_flattened()).padding_id(0);
/// assert_eq!(e.scale, Some(2.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Epilogue<'a> {
    /// Multiply every gathered value by this (e.g. `sqrt(d_model)`).
    pub scale: Option<f32>,
    /// One row per token, added after the scale (e.g. learned positions,
    /// `wpe[start..start + T]`); length `T * width`, dense.
    pub add: Option<&'a [f32]>,
    /// Tokens equal to this id contribute a zero embedding instead of a table
    /// row (and are not range-checked).
    pub padding_id: Option<u32>,
}

impl<'a> Epilogue<'a> {
    /// The identity epilogue: a plain copy.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            scale: None,
            add: None,
            padding_id: None,
        }
    }

    /// Sets the scale.
    #[must_use]
    pub const fn scale(mut self, scale: f32) -> Self {
        self.scale = Some(scale);
        self
    }

    /// Sets the rows to add (one per token, dense).
    #[must_use]
    pub const fn add(mut self, rows: &'a [f32]) -> Self {
        self.add = Some(rows);
        self
    }

    /// Sets the padding id.
    #[must_use]
    pub const fn padding_id(mut self, id: u32) -> Self {
        self.padding_id = Some(id);
        self
    }

    #[inline(always)]
    fn op_for(&self, t: usize, width: usize) -> Op<'a> {
        // `check_add` has proven the range in bounds: `get` keeps the kernel
        // free of panic paths (see the README's "No panics").
        let add = self.add.and_then(|a| a.get(t * width..(t + 1) * width));
        match (self.scale, add) {
            (None, None) => Op::Copy,
            (Some(s), None) => Op::Scale(s),
            (None, Some(a)) => Op::Add(a),
            (Some(s), Some(a)) => Op::ScaleAdd(s, a),
        }
    }
}

/// Gathers rows of a fixed-shape table: `out[t] = table[tokens[t]]`.
///
/// ```
/// let table = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let mut out = [[0.0f32; 2]; 3];
/// inlayer::gather(&table, &[2, 0, 2], &mut out)?;
/// assert_eq!(out, [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != tokens.len()`,
/// [`Error::TokenOutOfRange`] for the first id `>= table.len()`. On error
/// `out` is unchanged.
pub fn gather<const D: usize>(
    table: &[[f32; D]],
    tokens: &[u32],
    out: &mut [[f32; D]],
) -> Result<(), Error> {
    gather_with(table, tokens, &Epilogue::new(), out)
}

/// Gathers rows of a fixed-shape table through an [`Epilogue`]:
/// `out[t] = table[tokens[t]] * scale + add[t]`.
///
/// ```
/// use inlayer::gather::{Epilogue, gather_with};
/// let table = [[1.0f32, 2.0], [3.0, 4.0]];
/// let wpe = [[0.5f32, 0.5], [1.0, 1.0]];
/// let mut out = [[0.0f32; 2]; 2];
/// let epi = Epilogue::new().scale(2.0).add(wpe.as_flattened());
/// gather_with(&table, &[1, 0], &epi, &mut out)?;
/// assert_eq!(out, [[6.5, 8.5], [3.0, 5.0]]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`gather`], and [`Error::LengthMismatch`] if the add rows are not
/// `tokens.len() * D` long. On error `out` is unchanged.
// Inlined, so that `gather`'s plain copy of one token is a validation and a
// `memcpy` in the caller: out of line, the compiler kept every arm of the
// epilogue, the arguments on the stack and the result in memory
// (`gather::<384>` of one token, default build: 0.54–0.66 → 0.88–0.92 of the
// `memcpy`). The firmware's sizes did not move (LTO inlined it already).
#[inline(always)]
pub fn gather_with<const D: usize>(
    table: &[[f32; D]],
    tokens: &[u32],
    epilogue: &Epilogue<'_>,
    out: &mut [[f32; D]],
) -> Result<(), Error> {
    if out.len() != tokens.len() {
        return Err(len_err("out", tokens.len(), out.len()));
    }
    gather_view(
        &F32Table::from_rows(table),
        tokens,
        epilogue,
        out.as_flattened_mut(),
        D,
    )
}

/// Gathers rows of a flat table whose row width `dim` is known only at run
/// time, into a dense `out` of `tokens.len() * dim` values.
///
/// ```
/// let table = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 rows of 2
/// let mut out = [0.0f32; 4];
/// inlayer::gather_dyn(&table, 2, &[1, 1], &mut out)?;
/// assert_eq!(out, [3.0, 4.0, 3.0, 4.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `dim == 0`, [`Error::NotWholeRows`] if
/// `table.len()` is not a multiple of `dim`, [`Error::LengthMismatch`] if
/// `out.len() != tokens.len() * dim`, [`Error::TokenOutOfRange`] for a bad
/// id. On error `out` is unchanged.
// Inlined where the lanes are SIMD registers (`crate::simd::SIMD_REGISTERS`,
// the same condition), so that its validation and a token's copy run in the
// caller, without a call, arguments on the stack and a result in memory: one
// token of D = 384, default build, 0.58–0.67 → 0.77–0.90 of the `memcpy`,
// with `F32Table::new` inlined too. On MCUs inlining it grew the
// firmware's `gather` family by 1.5 KiB and left its `input-layer` family a
// panic path.
#[cfg_attr(
    all(
        not(inlayer_force_scalar),
        any(
            all(
                any(target_arch = "x86", target_arch = "x86_64"),
                target_feature = "sse2"
            ),
            all(target_arch = "aarch64", target_feature = "neon"),
            all(target_arch = "wasm32", target_feature = "simd128")
        )
    ),
    inline
)]
pub fn gather_dyn(table: &[f32], dim: usize, tokens: &[u32], out: &mut [f32]) -> Result<(), Error> {
    let table = F32Table::new(table, dim)?;
    let need = tokens.len().checked_mul(dim).ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(len_err("out", need, out.len()));
    }
    gather_view(&table, tokens, &Epilogue::new(), out, dim)
}

/// The general gather: any [`Table`] view, an [`Epilogue`], and an output
/// row stride so rows can land inside a larger activation buffer.
///
/// Row `t` is written to `out[t * out_stride .. t * out_stride + dim]`;
/// values between rows are not touched. `out` must hold at least
/// `(T - 1) * out_stride + dim` values. Quantized tables decode only the
/// gathered rows, straight into `out`. This is [`gather_cols`] over all
/// columns.
///
/// ```
/// use inlayer::formats::F32Table;
/// use inlayer::gather::{Epilogue, gather_view};
/// let bytes: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
/// let table = F32Table::from_bytes(&bytes, 2)?;
/// let mut act = [9.0f32; 6]; // two rows of width 3; the gather fills 2 of each
/// gather_view(&table, &[1, 0], &Epilogue::new().scale(10.0), &mut act, 3)?;
/// assert_eq!(act, [30.0, 40.0, 9.0, 10.0, 20.0, 9.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `out_stride < dim` (with at least two tokens),
/// [`Error::LengthMismatch`] if `out` or the add rows are too short or long,
/// [`Error::TokenOutOfRange`] for the first bad id. On error `out` is
/// unchanged.
pub fn gather_view<T: Table + ?Sized>(
    table: &T,
    tokens: &[u32],
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    out_stride: usize,
) -> Result<(), Error> {
    gather_cols(table, tokens, 0..table.dim(), epilogue, out, out_stride)
}

/// Gathers columns `cols = c0..c1` of each row: `out[t][j] =
/// table[tokens[t]][c0 + j] * scale + add[t][j]`, rows of width
/// `c1 - c0` every `out_stride` values. A small MCU can stream a wide row
/// through a small buffer, one column range at a time; quantized tables
/// decode only the blocks that hold the range.
///
/// ```
/// use inlayer::formats::{Q8_0Table, encode_q8_0};
/// use inlayer::gather::{Epilogue, gather_cols};
/// let x: Vec<f32> = (0..128).map(|i| i as f32).collect(); // 2 rows of 64
/// let mut bytes = [0u8; 4 * 34];
/// encode_q8_0(&x, &mut bytes)?;
/// let table = Q8_0Table::from_bytes(&bytes, 64)?;
/// let mut scratch = [0.0f32; 16];
/// gather_cols(&table, &[1], 24..40, &Epilogue::new(), &mut scratch, 16)?;
/// assert!((scratch[0] - 88.0).abs() < 0.5);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `cols` is not within `0..=dim` (`cols.end`
/// beyond `dim`, or `cols.start > cols.end`) or `out_stride < c1 - c0` (with
/// at least two tokens), [`Error::LengthMismatch`] if `out` or the add rows
/// (`T * (c1 - c0)` values) are too short or long,
/// [`Error::TokenOutOfRange`] for the first bad id. On error `out` is
/// unchanged.
#[inline(always)]
pub fn gather_cols<T: Table + ?Sized>(
    table: &T,
    tokens: &[u32],
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    out_stride: usize,
) -> Result<(), Error> {
    match table.f32_rows() {
        // Native rows without a padding id (the common case) get a small
        // body of their own.
        Some(data) if epilogue.padding_id.is_none() => {
            let shape = (table.rows(), table.dim());
            match *tokens {
                // One token (a decode step) where the lanes are SIMD
                // registers: validation and the row, in the caller.
                [tok] if crate::simd::SIMD_REGISTERS => {
                    native_one(data, shape, tok, cols, epilogue, out, out_stride)
                }
                // One token of a plain copy on MCUs: the inlined body with
                // `T = 1` in sight, which keeps no loop.
                [tok] if epilogue.scale.is_none() && epilogue.add.is_none() => {
                    native_cols(data, shape, &[tok], cols, epilogue, out, out_stride)
                }
                // Out of line where the lanes are SIMD registers, so that
                // the one-token copy above is a short body in the caller;
                // on MCUs inlined, so the call site's epilogue prunes the
                // other three loops (the firmware's `gather` family would
                // grow by 2 KiB).
                _ if crate::simd::SIMD_REGISTERS => {
                    native_many(data, shape, tokens, cols, epilogue, out, out_stride)
                }
                _ => native_cols(data, shape, tokens, cols, epilogue, out, out_stride),
            }
        }
        // One token of a decode (a decode step with a quantized or 16-bit
        // table): validation, the row's decode and its epilogue, without the
        // general body's frame and loop.
        None if crate::simd::SIMD_REGISTERS
            && tokens.len() == 1
            && epilogue.padding_id.is_none() =>
        {
            decoded_one(table, tokens, cols, epilogue, out)
        }
        _ => general_cols(table, tokens, cols, epilogue, out, out_stride),
    }
}

/// The one-token decode without a padding id: [`general_cols`] for `tokens
/// = [tok]`, as a small body (D = 32, `Bf16Table`, plain copy: the call took
/// 12 ns through `general_cols`, of which the row's decode 4.6), inlined into
/// the caller as [`native_one`] is. Out of line, its frame, its arguments on
/// the stack and its result through memory cost as much as the decode of a
/// short row on the Intel Xeon of 2026-12-01: a one-token `Bf16Table` gather
/// of D = 16 took 11.3 ns out of line and 6.2 inlined (the `memcpy` 1.3);
/// `examples/formats_speed`, `T=1`, D = 384, default build, two alternating
/// runs, ratio to the `memcpy`: `bf16` 0.47 / 0.56 → 0.58 / 0.71, `i8` 0.42 /
/// 0.44 → 0.51 / 0.55, `Q8_0` 0.31 / 0.34 → 0.38 / 0.40.
#[inline(always)]
fn decoded_one<T: Table + ?Sized>(
    table: &T,
    tokens: &[u32],
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
) -> Result<(), Error> {
    let width = check_shape(table.dim(), &cols, 1, epilogue, out.len(), 0)?;
    check_tokens(tokens, table.rows(), None)?;
    if let (Some(&tok), Some(row)) = (tokens.first(), out.get_mut(..width))
        && width > 0
    {
        // The row's first lines (as many as the view hints a row ahead) on
        // their way before the decode starts (see `prefetch`; the hint is
        // x86_64's alone): a decode runs behind its loads, so the core
        // would otherwise ask for the later lines only as it reaches them.
        if cfg!(target_arch = "x86_64") {
            table.prefetch(tok as usize);
        }
        decode_row(
            table,
            tok as usize,
            cols.start,
            epilogue.op_for(0, width),
            row,
        );
    }
    Ok(())
}

/// Decodes row `tok` (columns from `c0`) into `row` through `op`, which the
/// table's decoder applies before it stores ([`Table::decode_fused_into`]:
/// the reference's operations, in its order). On MCUs (portable arrays) the
/// epilogue is applied in place after the decode, while the row is in L1:
/// there the decode dominates, and the scaled instances of the decoders
/// grew the firmware's decode-gather families by 0.4–1.5 KiB.
#[inline(always)]
fn decode_row<T: Table + ?Sized>(table: &T, tok: usize, c0: usize, op: Op<'_>, row: &mut [f32]) {
    if crate::simd::SIMD_REGISTERS {
        let (scale, add) = match op {
            Op::Copy => (None, None),
            Op::Scale(s) => (Some(s), None),
            Op::Add(a) => (None, Some(a)),
            Op::ScaleAdd(s, a) => (Some(s), Some(a)),
        };
        table.decode_fused_into(tok, c0, scale, add, row);
    } else {
        table.decode_into(tok, c0, row);
        kernel::apply_in_place(op, row);
    }
}

/// One token of native rows (a decode step) where the lanes are SIMD
/// registers: validation, then the row, inlined into the caller.
///
/// A plain copy is one library `memcpy`, which glibc and the like run with
/// the machine's widest stores even in a default build (SSE2 lanes need 16
/// stores for a 256-byte row, an AVX-512 `memcpy` 4). `examples/gather_speed`,
/// D = 64, with the many-token body out of line: 0.88 → 0.98–1.08× the
/// per-row memcpy on the default build, 0.95–0.96 → 1.00–1.01 native.
///
/// A scale or an add row runs the epilogue's lanes right here too: through
/// the out-of-line many-token body, `× scale + add` at D = 64 read 0.49–0.50×
/// the per-row `memcpy` on the default build and 0.51–0.52 native, below the
/// bare Rust loop (0.65 / 0.76); here 0.73 / 0.84–0.86, and D = 384 0.54 →
/// 0.61–0.62 / 0.66–0.70 → 0.76–0.78 (`examples/gather_speed`, three
/// alternating runs).
#[inline(always)]
fn native_one(
    data: &[f32],
    (rows, dim): (usize, usize),
    tok: u32,
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    stride: usize,
) -> Result<(), Error> {
    let width = check_shape(dim, &cols, 1, epilogue, out.len(), stride)?;
    check_tokens(&[tok], rows, None)?;
    let r = tok as usize * dim + cols.start;
    // In bounds (validated); `get` only keeps the row free of panic paths.
    if let (Some(row), Some(src)) = (out.get_mut(..width), data.get(r..r + width)) {
        match epilogue.op_for(0, width) {
            Op::Copy => kernel::memcpy(src, row),
            op if wide_epilogue(epilogue, width) => kernel::apply_wide(op, src, row),
            op => kernel::apply(op, src, row),
        }
    }
    Ok(())
}

/// [`native_cols`] for every call but the one-token copy, out of line: the
/// one-token copy that stays in the caller is then a short body (the
/// wrapper in `examples/gather_speed` went from about 830 instructions and
/// a 296-byte frame to 200 and 152).
#[inline(never)]
fn native_many(
    data: &[f32],
    shape: (usize, usize),
    tokens: &[u32],
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    stride: usize,
) -> Result<(), Error> {
    native_cols(data, shape, tokens, cols, epilogue, out, stride)
}

/// [`gather_cols`] for every table and epilogue (kept out of line, so the
/// native path stays small enough to inline into its callers).
#[inline(never)]
fn general_cols<T: Table + ?Sized>(
    table: &T,
    tokens: &[u32],
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    out_stride: usize,
) -> Result<(), Error> {
    let width = check_shape(
        table.dim(),
        &cols,
        tokens.len(),
        epilogue,
        out.len(),
        out_stride,
    )?;
    check_tokens(tokens, table.rows(), epilogue.padding_id)?;
    if width == 0 {
        return Ok(());
    }
    // One token (a decode step): no loop, no prefetch bookkeeping (the
    // row itself hinted, as `decoded_one` does, for a DRAM-sized table). Native
    // D = 384, T = 1, `examples/formats_speed`: bf16 0.58–0.60 → 0.72–0.77×
    // the f32 memcpy, Q8_0 0.45 → 0.49–0.50; SSE2 +0–10 %. Only where the
    // lanes are SIMD registers: on MCUs the decode dominates the call, and
    // the second copy of the row body would only grow the firmware.
    if crate::simd::SIMD_REGISTERS
        && let [tok] = *tokens
    {
        if let Some(row) = out.get_mut(..width) {
            if cfg!(target_arch = "x86_64") && Some(tok) != epilogue.padding_id {
                table.prefetch(tok as usize);
            }
            write_row(table, tok, cols.start, epilogue, 0, row);
        }
        return Ok(());
    }
    // Whole rows without a padding id: the view's own token loop, where it
    // has one (`Table::decode_rows_fused`).
    if cols.start == 0
        && width == table.dim()
        && epilogue.padding_id.is_none()
        && table.decode_rows_fused(tokens, epilogue.scale, epilogue.add, out, out_stride)
    {
        return Ok(());
    }
    let rows = RowsOut {
        tokens,
        epilogue,
        out,
        stride: out_stride,
        width,
    };
    rows.decoded_rows(table, cols.start);
    Ok(())
}

/// [`gather_cols`] of native `f32` rows without a padding id: validation and
/// one loop per epilogue (no per-row dispatch), small enough that a
/// one-token call costs little more than the copy itself.
#[inline(always)]
fn native_cols(
    data: &[f32],
    (rows, dim): (usize, usize),
    tokens: &[u32],
    cols: Range<usize>,
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
    stride: usize,
) -> Result<(), Error> {
    let width = check_shape(dim, &cols, tokens.len(), epilogue, out.len(), stride)?;
    check_tokens(tokens, rows, None)?;
    // A short list's rows, all hinted before the first copy (see
    // `hint_first_rows`).
    if cfg!(target_arch = "x86_64")
        && data.len() >= crate::prefetch::MIN_TABLE_LEN
        && tokens.len() <= 2 * crate::prefetch::DISTANCE
    {
        hint_first_rows(data, dim, tokens);
    }
    let rows = NativeRows {
        data,
        dim,
        c0: cols.start,
        width,
        tokens,
        out,
        stride,
    };
    // Validated: the add rows are `tokens.len() * width` long, so `get`
    // below only removes a panic path.
    match (epilogue.scale, epilogue.add.is_some()) {
        // The plain copy, whose per-row cost is mostly loop overhead, gets the
        // dense-rows loop (see `each`; for the epilogues it would only grow
        // the code).
        (None, false)
            if cfg!(target_arch = "x86_64")
                && data.len() >= crate::prefetch::DRAM_TABLE_LEN
                && (width, stride) == (dim, dim)
                && dim <= kernel::INLINE_COPY_MAX =>
        {
            short_rows_by_memcpy(data, dim, tokens, out);
        }
        (None, false)
            if cfg!(target_arch = "x86_64")
                && (width, stride) == (dim, dim)
                && dim <= kernel::INLINE_COPY_MAX =>
        {
            short_rows(rows);
        }
        (None, false) => rows.each(true, |_, src, row| kernel::apply(Op::Copy, src, row)),
        _ => epilogue_rows(rows, epilogue),
    }
    Ok(())
}

/// The many-token plain copy of short whole rows (up to
/// [`kernel::INLINE_COPY_MAX`] values) into a dense `out`, on x86_64: the
/// AVX2 body where it runs (`gather::avx2::copy_rows`: the loop inside,
/// 32-byte moves), else the lanes, which also keep the rows that all start
/// 16 bytes past a 32-byte boundary (there the 32-byte moves lost 3–7 %).
/// Out of line, which helped the AVX-512 build's own lanes too (D = 32 on
/// 64-byte aligned buffers: 45 → 52 GB/s). Hot D = 64, T = 512, ratio to
/// the per-row `memcpy`, default build (`ALIGN=64 cargo run --release
/// --example gather_speed`): the SSE2 lanes' 16-byte moves read 0.74–0.78
/// on 64-byte aligned buffers, where `memcpy`'s wider moves never straddle
/// a cache line; the AVX2 body reads 0.93–0.94. With `ALIGN=16` both read
/// 0.96–1.01.
#[inline(never)]
fn short_rows(rows: NativeRows<'_, '_>) {
    // Every output row 16 bytes past a 32-byte boundary: half the 32-byte
    // stores would straddle a cache line, and the 16-byte lanes never do.
    let straddle = rows.out.as_ptr().addr() % 32 == 16 && rows.dim.is_multiple_of(8);
    let rows = if straddle {
        Some(rows)
    } else {
        crate::arch::gather_copy_rows(rows)
    };
    if let Some(rows) = rows {
        rows.each(true, |_, src, row| kernel::apply(Op::Copy, src, row));
    }
}

/// The many-token rows with an epilogue (a scale, an add row or both). The
/// whole loop runs in the AVX2 body where that runs (`gather::avx2`);
/// elsewhere each row takes the lanes. Out of line on x86_64: in [`native_cols`] the AVX2 call made the
/// plain D = 64 copy slower (0.96–0.98 → 0.92–0.93× the per-row `memcpy`,
/// default build). Inlined elsewhere, where it is the lanes' loops alone
/// (out of line, the firmware's input layer grew by 1.2–4 KiB).
#[cfg_attr(target_arch = "x86_64", inline(never))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
fn epilogue_rows(rows: NativeRows<'_, '_>, epilogue: &Epilogue<'_>) {
    let Some(rows) = crate::arch::gather_epilogue_rows(rows, epilogue) else {
        return;
    };
    let width = rows.width;
    let add = |t: usize| epilogue.add.and_then(|a| a.get(t * width..(t + 1) * width));
    match (epilogue.scale, epilogue.add.is_some()) {
        (Some(s), false) => rows.each(false, |_, src, row| kernel::apply(Op::Scale(s), src, row)),
        (None, true) => rows.each(false, |t, src, row| {
            if let Some(a) = add(t) {
                kernel::apply(Op::Add(a), src, row);
            }
        }),
        (Some(s), true) => rows.each(false, |t, src, row| {
            if let Some(a) = add(t) {
                kernel::apply(Op::ScaleAdd(s, a), src, row);
            }
        }),
        // No epilogue: `native_cols` copies such rows itself.
        (None, false) => {}
    }
}

/// Whether a one-token row's epilogue takes `kernel::apply_wide` (the AVX2
/// row body where it runs): on x86_64, a scale or an add row on rows longer
/// than [`kernel::INLINE_COPY_MAX`].
#[inline(always)]
fn wide_epilogue(epilogue: &Epilogue<'_>, width: usize) -> bool {
    cfg!(target_arch = "x86_64")
        && width > kernel::INLINE_COPY_MAX
        && (epilogue.scale.is_some() || epilogue.add.is_some())
}

/// The write phase of [`native_cols`], after validation: every id is a row
/// and `out` holds every output row.
pub(crate) struct NativeRows<'a, 'o> {
    /// The table, `rows × dim` values.
    pub(crate) data: &'a [f32],
    /// The table's row length.
    pub(crate) dim: usize,
    /// The first gathered column.
    pub(crate) c0: usize,
    /// How many columns are gathered, from `c0`.
    pub(crate) width: usize,
    /// The ids, every one a row of `data`.
    pub(crate) tokens: &'a [u32],
    /// The output, with room for every row at `stride`.
    pub(crate) out: &'o mut [f32],
    /// Where output row `t` starts: `t * stride`.
    pub(crate) stride: usize,
}

impl NativeRows<'_, '_> {
    /// Calls `f(t, table row, output row)` for every token, prefetching the
    /// rows of tokens `prefetch::DISTANCE` ahead on large tables.
    /// `plain_copy` (a constant at each call) says that `f` only copies the
    /// row: then short whole rows into a dense `out` take a loop of their
    /// own with less bookkeeping per row.
    #[inline(always)]
    pub(crate) fn each(self, plain_copy: bool, f: impl Fn(usize, &[f32], &mut [f32])) {
        let Self {
            data,
            dim,
            c0,
            width,
            tokens,
            out,
            stride,
        } = self;
        // Every range is in bounds (validated): `get` only keeps the loop
        // free of panic paths.
        if let [tok] = *tokens {
            // One token (a decode step): no loop, no prefetch.
            let r = tok as usize * dim + c0;
            // (On a target with SIMD registers a one-token call never gets
            // here: `native_one` does it.)
            if let (Some(row), Some(src)) = (out.get_mut(..width), data.get(r..r + width)) {
                f(0, src, row);
            }
            return;
        }
        let prefetch = data.len() >= crate::prefetch::MIN_TABLE_LEN;
        if plain_copy
            && width == dim
            && stride == dim
            && (1..=kernel::INLINE_COPY_MAX).contains(&dim)
        {
            // Short whole rows into a dense `out`: the output rows are
            // `out`'s chunks, and the prefetch test is out of the loop (hot
            // D = 64, T = 512: 0.87 → 0.94× the per-row memcpy in
            // `examples/gather_speed`). Longer rows, copied by `memcpy`, keep
            // the general loop: with this one the cold D = 384 gather fell
            // from 1.30 to 1.18× (prefetch timing).
            let ahead = |t: usize| {
                if let Some(&a) = tokens.get(t + crate::prefetch::DISTANCE)
                    && let Some(row) = data.get(a as usize * dim..)
                {
                    crate::prefetch::read(row.get(..dim).unwrap_or(row));
                }
            };
            let rows = out.chunks_exact_mut(dim).zip(tokens).enumerate();
            let src = |tok: u32| data.get(tok as usize * dim..).and_then(|r| r.get(..dim));
            if prefetch {
                for (t, (row, &tok)) in rows {
                    ahead(t);
                    if let Some(src) = src(tok) {
                        f(t, src, row);
                    }
                }
            } else {
                for (t, (row, &tok)) in rows {
                    if let Some(src) = src(tok) {
                        f(t, src, row);
                    }
                }
            }
            return;
        }
        for (t, &tok) in tokens.iter().enumerate() {
            if prefetch && let Some(&ahead) = tokens.get(t + crate::prefetch::DISTANCE) {
                let r = ahead as usize * dim;
                if let Some(row) = data.get(r..r + dim) {
                    crate::prefetch::read(row);
                }
            }
            let r = tok as usize * dim + c0;
            if let (Some(row), Some(src)) = (
                out.get_mut(t * stride..t * stride + width),
                data.get(r..r + width),
            ) {
                f(t, src, row);
            }
        }
    }
}

/// Hints the rows of the first `prefetch::DISTANCE` tokens, which no earlier
/// token hints: all on their way before the first row is copied, where the
/// copies alone reach one row's misses at a time once a row is longer than
/// the core's out-of-order window. Only for short lists (up to twice the
/// distance), where the first rows are much of the call: on long ones the
/// loop's own hints take over within a few rows. Out of line, so the loops
/// keep their code (inlined into `NativeRows::each`, the hot D = 64,
/// T = 512 copy read 0.88–0.97× the per-row `memcpy` instead of 1.00–1.03).
/// Cold 512 MiB table, default build, ratio to the per-row `memcpy`, two
/// runs alternating with the loops alone (`COLD=1 T=4 cargo run --release
/// --example gather_speed`, and `T=16`): T = 4, D = 256–4096 0.99–1.00 →
/// 1.15–1.33 (D = 64, whose rows the window already overlaps: 0.98–0.99
/// either way); T = 16 0.99–1.01 → 1.08–1.40; T = 512 within noise.
#[inline(never)]
fn hint_first_rows(data: &[f32], dim: usize, tokens: &[u32]) {
    for &tok in tokens.iter().take(crate::prefetch::DISTANCE) {
        if let Some(row) = data.get(tok as usize * dim..).and_then(|r| r.get(..dim)) {
            crate::prefetch::read(row);
        }
    }
}

/// The plain copy of short whole rows (`dim <= INLINE_COPY_MAX`) from a table
/// larger than the caches into a dense `out`, hinting the rows
/// `prefetch::DISTANCE` tokens ahead. The rows are copied by `memcpy`, not
/// the inline lanes: its wider moves leave more rows' misses in flight (cold
/// 512 MiB table, D = 64, default build: 1.05–1.11 → 1.22–1.23× the per-row
/// memcpy). From a table the L3 holds the inline lanes win (8 MiB, D = 64:
/// 0.94 against 0.79), hence `prefetch::DRAM_TABLE_LEN`. Out of line: a
/// second copy of the loop in `native_cols` would only grow the code.
/// Validated by the caller: every token is a row of `data`, `out` holds
/// `tokens.len()` rows of `dim`.
#[inline(never)]
fn short_rows_by_memcpy(data: &[f32], dim: usize, tokens: &[u32], out: &mut [f32]) {
    // Indexed rather than zipped iterators: with a call in the loop, their
    // state lived on the stack (1.10–1.12 against 1.22–1.23 here).
    let row_of = |tok: u32| {
        let r = tok as usize * dim;
        data.get(r..r + dim)
    };
    for (t, &tok) in tokens.iter().enumerate() {
        if let Some(&a) = tokens.get(t + crate::prefetch::DISTANCE)
            && let Some(ahead) = row_of(a)
        {
            crate::prefetch::read(ahead);
        }
        if let (Some(src), Some(row)) = (row_of(tok), out.get_mut(t * dim..t * dim + dim)) {
            kernel::memcpy(src, row);
        }
    }
}

/// `out[t] = table[tokens[t]] * scale + out[t]` for every token, whole rows
/// of `dim` (`+ out[t]` without a scale), then `then(out[t])` while the row
/// is in L1: the fused input layer's gather onto encodings already written,
/// and its LayerNorm. Validated by the caller: every token is a row of
/// `data`, `out` holds `tokens.len()` rows.
pub(crate) fn accumulate_rows(
    data: &[f32],
    dim: usize,
    tokens: &[u32],
    scale: Option<f32>,
    out: &mut [f32],
    then: impl Fn(&mut [f32]),
) {
    let rows = NativeRows {
        data,
        dim,
        c0: 0,
        width: dim,
        tokens,
        out,
        stride: dim,
    };
    rows.each(false, |_, src, row| {
        kernel::scale_accumulate(src, scale, row);
        then(row);
    });
}

/// Checks the column range, the output and the add rows against the token
/// count; returns the width of the gathered rows.
#[inline]
fn check_shape(
    dim: usize,
    cols: &Range<usize>,
    tokens: usize,
    epilogue: &Epilogue<'_>,
    out: usize,
    out_stride: usize,
) -> Result<usize, Error> {
    if cols.end > dim || cols.start > cols.end {
        return Err(bad_cols(dim, cols));
    }
    let width = cols.end - cols.start;
    let need = strided_len(tokens, width, out_stride)?;
    if out < need {
        return Err(len_err("out", need, out));
    }
    if let Some(a) = epilogue.add {
        check_add(a.len(), tokens, width)?;
    }
    Ok(width)
}

#[cold]
#[inline(never)]
fn bad_cols(dim: usize, cols: &Range<usize>) -> Error {
    if cols.end > dim {
        Error::InvalidShape {
            what: "cols.end",
            value: cols.end,
        }
    } else {
        Error::InvalidShape {
            what: "cols.start",
            value: cols.start,
        }
    }
}

/// The write phase of a gather, after validation: every id is a row (or the
/// padding id), `out` holds every output row, the add rows match.
struct RowsOut<'o, 'e> {
    tokens: &'o [u32],
    epilogue: &'o Epilogue<'e>,
    out: &'o mut [f32],
    stride: usize,
    width: usize,
}

impl RowsOut<'_, '_> {
    /// Hints the row of the token `prefetch::DECODE_DISTANCE` places ahead
    /// of `t`.
    #[inline(always)]
    fn prefetch_ahead<T: Table + ?Sized>(&self, table: &T, t: usize) {
        if let Some(&ahead) = self.tokens.get(t + crate::prefetch::DECODE_DISTANCE)
            && Some(ahead) != self.epilogue.padding_id
        {
            table.prefetch(ahead as usize);
        }
    }

    /// Rows that must be decoded (and native `f32` rows with a padding id):
    /// decode (or copy) into `out`, then the epilogue in place while the row
    /// is still in L1 (the same IEEE operations as the fused load).
    #[inline(always)]
    fn decoded_rows<T: Table + ?Sized>(self, table: &T, c0: usize) {
        let (width, stride) = (self.width, self.stride);
        // The first rows, which no earlier token hints (see `prefetch`; the
        // hint is x86_64's alone).
        if cfg!(target_arch = "x86_64") {
            for &tok in self.tokens.iter().take(crate::prefetch::DECODE_DISTANCE) {
                if Some(tok) != self.epilogue.padding_id {
                    table.prefetch(tok as usize);
                }
            }
        }
        for (t, &tok) in self.tokens.iter().enumerate() {
            self.prefetch_ahead(table, t);
            let Some(row) = self.out.get_mut(t * stride..t * stride + width) else {
                break;
            };
            write_row(table, tok, c0, self.epilogue, t, row);
        }
    }
}

/// Writes output row `t` (token `tok`, columns from `c0`): decoded (or
/// copied) through the epilogue ([`decode_row`]); a padding token's row is
/// zero, plus its add row.
#[inline(always)]
fn write_row<T: Table + ?Sized>(
    table: &T,
    tok: u32,
    c0: usize,
    epilogue: &Epilogue<'_>,
    t: usize,
    row: &mut [f32],
) {
    let op = epilogue.op_for(t, row.len());
    if Some(tok) == epilogue.padding_id {
        row.fill(0.0);
        kernel::apply_in_place(pad_op(op), row);
    } else {
        decode_row(table, tok as usize, c0, op, row);
    }
}

/// Gathers rows of any [`Table`] whose width is the constant `D` into a
/// fixed-shape output, through an [`Epilogue`]: the fixed-shape entry point
/// for quantized tables.
///
/// ```
/// use inlayer::formats::{Bf16Table, encode_bf16};
/// use inlayer::gather::{Epilogue, gather_table};
/// let mut bytes = [0u8; 16];
/// encode_bf16(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &mut bytes)?;
/// let table = Bf16Table::from_bytes(&bytes, 4)?;
/// let mut out = [[0.0f32; 4]; 2];
/// gather_table(&table, &[1, 0], &Epilogue::new().scale(0.5), &mut out)?;
/// assert_eq!(out, [[2.5, 3.0, 3.5, 4.0], [0.5, 1.0, 1.5, 2.0]]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `table.dim() != D` (`what: "dim"`), if
/// `out.len() != tokens.len()` or the add rows are not `tokens.len() * D`
/// long; [`Error::TokenOutOfRange`] for a bad id. On error `out` is
/// unchanged.
// Inlined, as `gather_with` is: out of line, the compiler kept every arm of
// the epilogue and its frame, and one token went through all of it
// (`examples/formats_speed` with `FIXED=1`, `T=1`, default build, four seeds
// alternating: `bf16` 0.60–0.77 → 0.75–0.89 of the `memcpy`, `i8` 0.56–0.62 →
// 0.65–0.82, `Q8_0` 0.45–0.49 → 0.54–0.58, `Q4_K` 0.29–0.33 → 0.33–0.39).
// The firmware's sizes did not move. `gather_view` is left to the compiler,
// which inlines it here; forced, it grew the firmware's `gather` family by
// 1.5 KiB and left its `input-layer` family a panic path.
#[inline(always)]
pub fn gather_table<const D: usize, T: Table + ?Sized>(
    table: &T,
    tokens: &[u32],
    epilogue: &Epilogue<'_>,
    out: &mut [[f32; D]],
) -> Result<(), Error> {
    if table.dim() != D {
        return Err(len_err("dim", D, table.dim()));
    }
    if out.len() != tokens.len() {
        return Err(len_err("out", tokens.len(), out.len()));
    }
    gather_cols(table, tokens, 0..D, epilogue, out.as_flattened_mut(), D)
}

/// A padding token's output: `add[t]`, or `+0.0`. The scale is not applied
/// (a zero embedding times a non-finite scale would otherwise give NaN).
fn pad_op(op: Op<'_>) -> Op<'_> {
    match op {
        Op::Copy | Op::Scale(_) => Op::Copy,
        Op::Add(a) | Op::ScaleAdd(_, a) => Op::Add(a),
    }
}

/// Backward of [`gather`]: `grad_table[tokens[t]] += grad_out[t]` for every
/// `t` in order, skipping `padding_id`; repeated tokens sum. This is PyTorch's
/// `embedding_backward` (dense, without `scale_grad_by_freq`).
///
/// ```
/// let grad_out = [[1.0f32, 1.0], [2.0, 2.0], [4.0, 4.0]];
/// let mut grad_table = [[0.0f32; 2]; 3];
/// inlayer::gather_backward(&grad_out, &[2, 0, 2], None, &mut grad_table)?;
/// assert_eq!(grad_table, [[2.0, 2.0], [0.0, 0.0], [5.0, 5.0]]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `grad_out.len() != tokens.len()`,
/// [`Error::TokenOutOfRange`] for a bad id. On error `grad_table` is
/// unchanged.
pub fn gather_backward<const D: usize>(
    grad_out: &[[f32; D]],
    tokens: &[u32],
    padding_id: Option<u32>,
    grad_table: &mut [[f32; D]],
) -> Result<(), Error> {
    if grad_out.len() != tokens.len() {
        return Err(len_err("grad_out", tokens.len(), grad_out.len()));
    }
    backward_rows(
        grad_out.as_flattened(),
        tokens,
        D,
        padding_id,
        grad_table.len(),
        grad_table.as_flattened_mut(),
    )
}

/// Runtime-shape twin of [`gather_backward`]: `grad_out` is
/// `tokens.len() * dim` values, `grad_table` is `vocab * dim`.
///
/// ```
/// let mut grad_table = [0.0f32; 4]; // 2 rows of 2
/// inlayer::gather_backward_dyn(&[1.0, 2.0, 3.0, 4.0], &[1, 1], 2, Some(0), &mut grad_table)?;
/// assert_eq!(grad_table, [0.0, 0.0, 4.0, 6.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `dim == 0`, [`Error::NotWholeRows`] if
/// `grad_table.len()` is not a multiple of `dim`, [`Error::LengthMismatch`]
/// if `grad_out.len() != tokens.len() * dim`, [`Error::TokenOutOfRange`] for
/// a bad id. On error `grad_table` is unchanged.
pub fn gather_backward_dyn(
    grad_out: &[f32],
    tokens: &[u32],
    dim: usize,
    padding_id: Option<u32>,
    grad_table: &mut [f32],
) -> Result<(), Error> {
    let vocab = F32Table::new(grad_table, dim)?.rows();
    let need = tokens.len().checked_mul(dim).ok_or(Error::Overflow)?;
    if grad_out.len() != need {
        return Err(len_err("grad_out", need, grad_out.len()));
    }
    backward_rows(grad_out, tokens, dim, padding_id, vocab, grad_table)
}

fn backward_rows(
    grad_out: &[f32],
    tokens: &[u32],
    dim: usize,
    padding_id: Option<u32>,
    vocab: usize,
    grad_table: &mut [f32],
) -> Result<(), Error> {
    check_tokens(tokens, vocab, padding_id)?;
    for (t, &tok) in tokens.iter().enumerate() {
        if Some(tok) == padding_id {
            continue;
        }
        let r = tok as usize * dim;
        // In bounds (validated above); `get` keeps the kernel free of panic
        // paths.
        if let (Some(g), Some(acc)) = (
            grad_out.get(t * dim..(t + 1) * dim),
            grad_table.get_mut(r..r + dim),
        ) {
            kernel::accumulate(g, acc);
        }
    }
    Ok(())
}

/// Checks every id before anything is written.
#[inline]
pub(crate) fn check_tokens(
    tokens: &[u32],
    vocab: usize,
    padding_id: Option<u32>,
) -> Result<(), Error> {
    // Branch-free 32-bit compares in the hot loop, one loop without a
    // padding id and one with (the 64-bit compares of the first version, and
    // one loop for both cases, kept the hot D = 64, T = 512 gather at
    // 0.82–0.93× the per-row `memcpy` in `examples/gather_speed`; this reads
    // 0.92–1.01); the index of the first offender is found only on the
    // (cold) error path.
    let pad = padding_id.map_or(u64::MAX, u64::from);
    let Ok(v) = u32::try_from(vocab) else {
        // Every `u32` id is a row.
        return Ok(());
    };
    let bad = match padding_id {
        // (On the portable-array fallback one loop serves both: the second
        // only grew the firmware, by up to 600 bytes a kernel at `-O3`.)
        None if crate::simd::SIMD_REGISTERS => tokens.iter().fold(false, |bad, &t| bad | (t >= v)),
        p => {
            let p = p.map_or(u64::MAX, u64::from);
            tokens
                .iter()
                .fold(false, |bad, &t| bad | ((t >= v) & (u64::from(t) != p)))
        }
    };
    if bad {
        Err(first_bad(tokens, vocab, pad))
    } else {
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn first_bad(tokens: &[u32], vocab: usize, pad: u64) -> Error {
    let (index, &token) = tokens
        .iter()
        .enumerate()
        .find(|&(_, &t)| (t as u64) >= vocab as u64 && u64::from(t) != pad)
        .unwrap_or((0, &0));
    Error::TokenOutOfRange {
        index,
        token,
        vocab,
    }
}

#[inline]
fn check_add(len: usize, tokens: usize, width: usize) -> Result<(), Error> {
    let need = tokens.checked_mul(width).ok_or(Error::Overflow)?;
    if len != need {
        return Err(len_err("add", need, len));
    }
    Ok(())
}

/// `(T - 1) * stride + dim`, the values a strided output must hold.
fn strided_len(tokens: usize, dim: usize, stride: usize) -> Result<usize, Error> {
    match tokens {
        0 => Ok(0),
        1 => Ok(dim),
        _ if stride < dim => Err(Error::InvalidShape {
            what: "out_stride",
            value: stride,
        }),
        _ => (tokens - 1)
            .checked_mul(stride)
            .and_then(|n| n.checked_add(dim))
            .ok_or(Error::Overflow),
    }
}

#[cold]
#[inline(never)]
fn len_err(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        actual,
    }
}

#[cfg(test)]
mod tests {
    use super::check_tokens;
    use crate::Error;

    #[test]
    fn check_tokens_accepts_ids_below_vocab_and_the_padding_id_only() {
        let err = |index, token, vocab| {
            Err(Error::TokenOutOfRange {
                index,
                token,
                vocab,
            })
        };
        assert_eq!(check_tokens(&[], 0, None), Ok(()));
        assert_eq!(check_tokens(&[0], 0, None), err(0, 0, 0));
        assert_eq!(check_tokens(&[0], 0, Some(0)), Ok(()));
        assert_eq!(check_tokens(&[4, 5, 3, 6], 5, None), err(1, 5, 5));
        assert_eq!(check_tokens(&[4, 5, 3, 6], 5, Some(5)), err(3, 6, 5));
        assert_eq!(check_tokens(&[4, 5, 3, 6], 7, Some(9)), Ok(()));
        assert_eq!(
            check_tokens(&[u32::MAX], u32::MAX as usize, None),
            err(0, u32::MAX, u32::MAX as usize)
        );
        assert_eq!(
            check_tokens(&[u32::MAX], u32::MAX as usize, Some(u32::MAX)),
            Ok(())
        );
        // A vocabulary past `u32::MAX` rows holds every id.
        if let Some(vocab) = (u32::MAX as usize).checked_add(1) {
            assert_eq!(check_tokens(&[u32::MAX, 0], vocab, None), Ok(()));
        }
        // Ids past the first eight lanes (the compares vectorize).
        let mut ids = [1u32; 37];
        ids[33] = 2;
        assert_eq!(check_tokens(&ids, 2, None), err(33, 2, 2));
    }
}
