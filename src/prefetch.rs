//! Software prefetch of the table rows of upcoming tokens (the hint itself
//! is `crate::arch::prefetch`, one of the crate's few `unsafe` calls).
//!
//! A gather from a table larger than the caches waits on DRAM once per row;
//! the hardware prefetcher cannot guess the next row (it is a random id), but
//! the kernel knows it: the ids are all validated before the first row is
//! copied. Hinting the rows [`DISTANCE`] tokens ahead overlaps those misses
//! (FBGEMM does the same, 16 rows ahead). The hint never faults and changes no
//! value, only timing; on targets without a stable prefetch intrinsic it is a
//! no-op.
//!
//! No earlier token hints the first rows of a call, and a one-token call (a
//! decode step) had no hint at all. So the first rows are hinted too, before
//! the first row is written: a decoding gather hints the rows of its first
//! [`DECODE_DISTANCE`] tokens (a one-token call its row), the `f32` gather
//! those of its first [`DISTANCE`] tokens when the list is short
//! (`gather::hint_first_rows`). A decode runs behind its loads: without
//! the hint the core asks for a row's later lines only as the decode reaches
//! them, and for the next row only when this one is nearly done. Measured on
//! the 512 MiB-equivalent tables (`DRAM=1 T=1 cargo run --release --example
//! formats_speed`, and `T=4`, two runs alternating with the code before),
//! ratio to the per-row `f32` `memcpy`, D = 384 (K-quants 512): one token,
//! default build, `bf16` 1.10–1.16 → 1.28–1.29, `f16` 1.07–1.09 → 1.21–1.25,
//! the others +0–9 %; native build `i8` 1.28–1.31 → 1.73–1.78, the others
//! +5–20 %; SSE2 only (`--cfg inlayer_no_dispatch`) `f16` 0.56–0.57 →
//! 0.75–0.77, the others within noise. Four tokens, default build: 1.06–1.29
//! → 1.64–2.82 (`Q4_1` 1.25–1.26 → 2.55–2.78); SSE2 only: 0.55–1.07 →
//! 0.85–1.87. T = 512 and cache-resident tables: within noise.

/// How many tokens ahead the gather hints rows.
pub(crate) const DISTANCE: usize = 16;

/// How many tokens ahead the decoding gathers (the table formats) hint
/// rows: half of [`DISTANCE`]. Measured on the 512 MiB-equivalent tables
/// (`DRAM=1 cargo run --release --example formats_speed`, T = 512, default
/// build, runs alternating with 16 ahead): at D = 384 `bf16` 7.2–8.1 →
/// 8.6–8.8 G elem/s, `f16` 7.3–7.9 → 8.3–8.7, `i8` 9.2 → 9.5–10.0, `Q8_0`
/// 7.2–7.4 → 7.5–7.7, `Q5_0` 6.3–6.6 → 6.7–6.8 (4 ahead read as 8); at
/// D = 4096 within the noise of the runs. (The `f32` gather's cold rows
/// read the same with 8 or 16, its hot D = 4096 rows 1.12–1.23 → 1.08–1.14×
/// the `memcpy` with 8: it keeps 16.)
pub(crate) const DECODE_DISTANCE: usize = DISTANCE / 2;

/// At most this many cache lines of an `f32` row (192 bytes) are hinted:
/// that starts the row, whose rest the hardware's prefetchers then follow.
/// Measured on the cold 512 MiB table (`benches/gather.rs`): 16 tokens
/// ahead × 4 lines gave 1.1–1.36× the per-row `memcpy`; 8 × 64 lines cost
/// 20 % on hot D = 768 tables. Three lines instead of four
/// (`examples/gather_speed`, default build, seven alternating runs): hot
/// T = 512 D = 64 0.92–0.98 → 0.96–1.01×, D = 768 0.93–1.00 → 0.95–1.03;
/// cold (`COLD=1`, four runs) D = 64–384 1.20–1.29 → 1.20–1.27, D = 1024
/// 1.28–1.32 → 1.31–1.35; the native build within noise either way.
#[cfg(target_arch = "x86_64")]
const MAX_LINES: usize = 3;

/// At most this many cache lines (256 bytes) of a row of bytes (the
/// quantized and 16-bit tables) are hinted by [`read_bytes`], the hint of a
/// long row's next part.
#[cfg(target_arch = "x86_64")]
const MAX_BYTE_LINES: usize = 4;

/// At most this many cache lines (1 KiB) of a row of bytes are hinted by
/// [`read_row_bytes`], the hint of a whole row: every line of the rows that
/// decode in one piece, so none waits for the decode to reach it. Several
/// formats read the end of a row or block first (the scale `d` of `Q6_K`,
/// FBGEMM's scale and bias), and with the first 256 bytes alone hinted that
/// read waited on DRAM before anything else. `DRAM=1 cargo run --release
/// --example formats_speed`, default build, an Intel Xeon (AVX-512), two
/// runs alternating with 256 bytes, G values/s: T = 512, D = 384 (512):
/// `Q6_K` 2.3–2.4 → 4.6, `Q4_K` 5.5–5.6 → 6.3–6.5, `Q8_0` 4.1 → 4.5–5.0,
/// `Q5_1` 4.1–4.3 → 4.5–4.6; T = 1, ratio to the `memcpy`: `Q6_K`
/// 0.53–0.55 → 0.71–0.75, `Q8_0` 0.79–0.84 → 0.85–0.87; T = 4: `Q6_K` 0.81 →
/// 1.51, `Q8_0` 1.29 → 1.62; D = 4096 within noise.
#[cfg(target_arch = "x86_64")]
const ROW_BYTE_LINES: usize = 16;

/// Tables smaller than this (in `f32`s: 4 MiB) are assumed cache-resident,
/// and their rows are not hinted: the hint would cost more than it saves.
pub(crate) const MIN_TABLE_LEN: usize = 1 << 20;

/// Tables of at least this many `f32`s (64 MiB) are assumed larger than the
/// last-level cache (32 MiB on the machine the figures come from): their
/// short rows are copied by `memcpy` rather than inline lanes (see
/// `gather::native_cols`).
pub(crate) const DRAM_TABLE_LEN: usize = 1 << 24;

/// Hints the first [`MAX_LINES`] cache lines of `row` for reading.
#[inline(always)]
pub(crate) fn read(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    lines(row, MAX_LINES);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// At most this many cache lines (2 KiB) of a row are hinted by
/// [`read_head`].
#[cfg(target_arch = "x86_64")]
const HEAD_LINES: usize = 32;

/// Hints the first [`HEAD_LINES`] cache lines of `row` (from tables of at
/// least `MIN_TABLE_LEN` values: the caller checks), for a caller that has
/// other work to do before it reads the row: the input layer's decode step
/// computes the position's encoding meanwhile. A core has some two dozen
/// misses in flight, and a hint that finds none free waits: hinting all 256
/// lines of a D = 4096 row held the encoding back until most of the row had
/// come (2.43 µs a step against 2.37 without any hint), 32 lines do not
/// (2.25–2.29).
#[inline(always)]
pub(crate) fn read_head(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    lines(row, HEAD_LINES);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// One hint per 64-byte line of the first `max` lines of `row` (`f32`s or
/// bytes), plus the last element hinted, whose line a row that does not
/// start on a line boundary spills into.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lines<T>(row: &[T], max: usize) {
    let per_line = 64 / size_of::<T>().max(1);
    let n = row.len().min(max * per_line);
    let mut i = 0;
    while i < n {
        crate::arch::prefetch(&row[i]);
        i += per_line;
    }
    if let Some(last) = row[..n].last() {
        crate::arch::prefetch(last);
    }
}

/// Hints the first [`MAX_BYTE_LINES`] cache lines of the `len` bytes from
/// `start` (part of a row stored as bytes: the quantized and 16-bit tables),
/// from tables of at least `MIN_TABLE_LEN * 4` bytes.
#[inline(always)]
pub(crate) fn read_bytes(table: &[u8], start: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    byte_lines(table, start, len, MAX_BYTE_LINES);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (table, start, len);
}

/// Hints the first [`ROW_BYTE_LINES`] cache lines of the row of `len` bytes
/// from `start`, as [`read_bytes`] does: a table view's `prefetch`.
#[inline(always)]
pub(crate) fn read_row_bytes(table: &[u8], start: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    byte_lines(table, start, len, ROW_BYTE_LINES);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (table, start, len);
}

/// [`lines`] of the `len` bytes from `start`; nothing for tables under
/// `MIN_TABLE_LEN * 4` bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn byte_lines(table: &[u8], start: usize, len: usize, max: usize) {
    if table.len() >= MIN_TABLE_LEN * 4
        && let Some(row) = table.get(start..start.saturating_add(len))
    {
        lines(row, max);
    }
}
