//! Sinusoidal positional encodings, position-exact, in every variant real
//! checkpoints use.
//!
//! | function | shape | frequencies |
//! |---|---|---|
//! | [`sinusoidal_rows`] | `&mut [[f32; D]]`, positions `start..start+T` | computed per call, in blocks on the stack |
//! | [`sinusoidal_rows_dyn`] | dense `&mut [f32]`, `dim` at run time | computed per call |
//! | [`Sinusoidal::rows`], [`Sinusoidal::row`] | dense `&mut [f32]` | cached in caller storage (decode: one row per step) |
//! | the same, plan from [`Sinusoidal::from_turns`] | dense `&mut [f32]` | computed beforehand (on a host, for firmware: no f64 code on the device) |
//!
//! Runs of 32 rows or more use an angle-addition kernel with f64 anchors
//! (`rotate.rs`) unless the plan says
//! [`TableKernel::PerRow`] (the one-row f32 kernel throughout: what targets
//! with a single-precision FPU or none should use).
//!
//! Variants ([`SinusoidalConfig`] presets): frequency [`Schedule`],
//! [`Layout`], [`OddWidth`] rule, first position, zeroed padding row.
//!
//! **Accuracy contract.** Every output is within [`MAX_ABS_ERR`] (`2^-22`)
//! of `sin`/`cos` of the exact angle `p · ω_i` (`ω_i` the f64 frequency of
//! [`Schedule`], the product taken exactly), for every position `p < 2^32`
//! and every width, independent of `p`: the phase is exact integer
//! arithmetic on 64-bit fixed-point turns (`crate::math`). The oracle is
//! [`reference::sinusoidal`](crate::reference::sinusoidal).

/// What the x86 bodies of the one-row kernel (`avx512.rs`, `avx2.rs`,
/// `sse2.rs`) share, for float vectors `$v` of `$n` lanes and their `i32`
/// twins `$vi`, compiled for `$feature`, `$k` vectors a step: the
/// arithmetic, `put` (store or add), `sincos` (`math::sincos`'s
/// `sincos_lanes!` after its table lookup: the same operations in the same
/// order), and the driver `row`. The module supplies the lookup (`sin` and
/// `cos` of `2πk/32` for `k` the top five bits of each phase word plus
/// `2^26`), `position(pos)` (the position in every lane as its multiply
/// wants it), `sincos_one(p, t, interleaved)` and `sincos_step(p, t,
/// interleaved)` (sin and cos of one vector and of `$k` vectors of
/// frequencies, lanes in the order `pairs` needs for the interleaved
/// layout, in frequency order for the halves), and `pairs::<ADD>(v, d)`
/// (one vector's `[sin, cos]` pairs into `d`).
#[cfg(target_arch = "x86_64")]
macro_rules! x86_body {
    (
        $feature:literal, $v:ty, $vi:ty, $n:literal, $k:literal,
        [$mul:ident, $add:ident, $sub:ident, $set1:ident, $cvt:ident],
        $slli:ident
    ) => {
        #[target_feature(enable = $feature)]
        #[inline]
        fn mul(a: $v, b: $v) -> $v {
            $mul(a, b)
        }

        #[target_feature(enable = $feature)]
        #[inline]
        fn add(a: $v, b: $v) -> $v {
            $add(a, b)
        }

        #[target_feature(enable = $feature)]
        #[inline]
        fn sub(a: $v, b: $v) -> $v {
            $sub(a, b)
        }

        #[target_feature(enable = $feature)]
        #[inline]
        fn splat(x: f32) -> $v {
            $set1(x)
        }

        /// Stores `v` into `d`, or adds it (`ADD`).
        #[target_feature(enable = $feature)]
        #[inline]
        fn put<const ADD: bool>(d: &mut [f32; $n], v: $v) {
            *d = bytemuck::cast(if ADD { add(bytemuck::cast(*d), v) } else { v });
        }

        /// `sin` and `cos` of the phase words `w0` (`math::sincos`), from
        /// `sk` and `ck`, the table's `sin` and `cos` of the nearest 32nd of
        /// a turn.
        #[target_feature(enable = $feature)]
        #[inline]
        fn sincos(w0: $vi, (sk, ck): ($v, $v)) -> ($v, $v) {
            let b = mul($cvt($slli::<5>(w0)), splat(RAD_PER_UNIT));
            let z = mul(b, b);
            let sb = add(mul(mul(b, z), splat(S3)), b);
            let hb = mul(z, sub(splat(0.5), mul(z, splat(H4))));
            let sin = add(sk, sub(mul(ck, sb), mul(sk, hb)));
            let cos = sub(ck, add(mul(ck, hb), mul(sk, sb)));
            (sin, cos)
        }

        /// [`pairs`] for each step of frequencies `steps` yields, in its
        /// order.
        #[target_feature(enable = $feature)]
        #[inline]
        fn pairs_steps<'a, const ADD: bool>(
            p: $vi,
            steps: impl Iterator<Item = (&'a [[u64; $n]; $k], &'a mut [[[f32; $n]; 2]; $k])>,
        ) {
            for (t, o) in steps {
                let v = sincos_step(p, t, true);
                for i in 0..$k {
                    pairs::<ADD>(v[i], &mut o[i]);
                }
            }
        }

        /// The encoding of position `pos` for the frequencies of `turns`
        /// (from frequency 0), written or added (`ADD`) into `row`: pairs
        /// at `2i ..` (`interleaved`), or sines at `i ..` and cosines at
        /// `n_sin + i ..`. Does the leading whole vectors of frequencies
        /// that fit in `row` and returns how many frequencies; the caller
        /// passes only frequencies with both a sine and a cosine column and
        /// does the rest. The output is cut into chunks up front: no bound
        /// checks in the loops.
        #[target_feature(enable = $feature)]
        pub(crate) fn row<const ADD: bool>(
            turns: &[u64],
            pos: u32,
            interleaved: bool,
            n_sin: usize,
            row: &mut [f32],
        ) -> usize {
            let p = position(pos);
            if interleaved {
                let n = turns.len().min(row.len() / 2) / $n * $n;
                let (Some(t), Some(o)) = (turns.get(..n), row.get_mut(..2 * n)) else {
                    return 0;
                };
                let o: &mut [[[f32; $n]; 2]] = bytemuck::cast_slice_mut(o);
                let backward = super::write_backward(t, bytemuck::cast_slice(o));
                let (tk, t1) = t.as_chunks::<$n>().0.as_chunks::<$k>();
                let (ok, o1) = o.as_chunks_mut::<$k>();
                if backward {
                    pairs_steps::<ADD>(p, tk.iter().zip(ok).rev());
                } else {
                    pairs_steps::<ADD>(p, tk.iter().zip(ok));
                }
                for (t, o) in t1.iter().zip(o1) {
                    pairs::<ADD>(sincos_one(p, t, true), o);
                }
                n
            } else {
                let (sin, cos) = row.split_at_mut(n_sin.min(row.len()));
                let n = turns.len().min(sin.len()).min(cos.len()) / $n * $n;
                let (Some(t), Some(sin), Some(cos)) =
                    (turns.get(..n), sin.get_mut(..n), cos.get_mut(..n))
                else {
                    return 0;
                };
                let (tk, t1) = t.as_chunks::<$n>().0.as_chunks::<$k>();
                let (sk, s1) = sin.as_chunks_mut::<$n>().0.as_chunks_mut::<$k>();
                let (ck, c1) = cos.as_chunks_mut::<$n>().0.as_chunks_mut::<$k>();
                for ((t, s), c) in tk.iter().zip(sk).zip(ck) {
                    for (((sin, cos), s), c) in sincos_step(p, t, false).into_iter().zip(s).zip(c) {
                        put::<ADD>(s, sin);
                        put::<ADD>(c, cos);
                    }
                }
                for ((t, s), c) in t1.iter().zip(s1).zip(c1) {
                    let (sin, cos) = sincos_one(p, t, false);
                    put::<ADD>(s, sin);
                    put::<ADD>(c, cos);
                }
                n
            }
        }
    };
}

/// Whether an x86 body should write an interleaved row from its end. Its
/// frequencies (8 bytes each) are loaded as fast as its pairs (8 bytes)
/// are stored; where the row starts less than 1 KiB past the frequencies,
/// modulo 4 KiB, a forward pass loads each group of frequencies while
/// stores with the same low 12 address bits are still pending, and the
/// loads wait for them ("4K aliasing"). Backward, the pending stores lie
/// on the other side. (AVX-512 row, D = 4096, native build, `row` over 32
/// placements: 4.5–5.05 G values/s at the four such placements, 5.2–5.26
/// elsewhere; backward there 5.16–5.20.)
#[cfg(target_arch = "x86_64")]
fn write_backward(turns: &[u64], row: &[f32]) -> bool {
    row.as_ptr().addr().wrapping_sub(turns.as_ptr().addr()) % 4096 < 1024
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
mod config;
mod kernel;
mod rotate;
#[cfg(target_arch = "x86_64")]
pub(crate) mod sse2;

pub use config::{Layout, MAX_OMEGA, OddWidth, Schedule, SinusoidalConfig, TableKernel};

use crate::Error;
use crate::math::turns_per_pos;
use kernel::{BLOCK, Shape, emit, emit_rows, fill_row_edges, row_edges};
use rotate::rotate_rows;

/// From this many rows on, the table kernels use angle addition from f64
/// anchors (`rotate.rs`); below, the one-row f32 kernel on every row (`kernel.rs`).
/// The angle addition's per-call setup (f64 `sin`/`cos` of every frequency)
/// pays off from about 28 rows: at D = 384 and 4096, 16 rows take 6.3 µs /
/// 67 µs by angle addition against 4.1 / 43 by the one-row kernel, 32 rows
/// 7.3 / 78 against 8.1 / 86.
pub(crate) const ROTATE_MIN_ROWS: usize = 32;

/// The multi-row kernel for one block of frequencies: angle addition from
/// [`ROTATE_MIN_ROWS`] rows on if `kernel` allows it.
fn block_rows(
    kernel: TableKernel,
    shape: &Shape,
    turns: &[u64],
    i0: usize,
    start: u32,
    out: &mut [f32],
) {
    if kernel == TableKernel::Rotation && out.len() >= ROTATE_MIN_ROWS * shape.dim {
        rotate_rows::<false>(shape, turns, i0, start, out);
    } else {
        emit_rows(shape, turns, i0, start, out);
    }
}

/// Accuracy table: the proven absolute error bound of each sinusoidal
/// kernel against the exact definition, for every `p < 2^32` (the tests
/// assert these figures).
///
/// | kernel | bound (abs) | measured max |
/// |---|---|---|
/// | every entry point (the contract) | [`MAX_ABS_ERR`] = `2^-22` (2.4e-7) | — |
/// | one row, fewer than 32 rows, or [`TableKernel::PerRow`]: f32 table and polynomials on the exact phase | `2^-23` + 7.4e-10 | 7.1e-8 |
/// | 32 rows or more ([`TableKernel::Rotation`], the default): f32 angle addition to f64 anchors (every 16 rows; exact every 1024) | [`TABLE_MAX_ABS_ERR`] = 2.06e-7 | 1.4e-7 |
///
/// Both kernels are bit-identical across targets and SIMD backends (no
/// fused multiply-add); a row computed by the two kernels may differ in
/// the last bit.
pub const MAX_ABS_ERR: f64 = 1.0 / 4_194_304.0;

/// The bound of the multi-row (table) kernel, used from 32 rows on: the
/// f32 angle addition `sA·Ck + cA·Sk` on correctly rounded inputs (see
/// `rotate.rs`); inside [`MAX_ABS_ERR`].
pub const TABLE_MAX_ABS_ERR: f64 = 2.06e-7;

/// Which body the one-row kernel ([`Sinusoidal::row`], and runs of fewer
/// than 32 rows or with [`TableKernel::PerRow`]) runs on this machine:
/// `"AVX-512"` or `"AVX2"` on x86_64 wherever the CPU and the OS run
/// AVX-512F, DQ and BW, or AVX2 (found by `cpuid` on first use on a default
/// build), else `"SSE2"` (every other x86_64 CPU); elsewhere `"lanes"`,
/// the build's `wide` lanes (see [`BACKEND`](crate::BACKEND); also on
/// x86_64 with `--cfg inlayer_force_scalar`). Either way the values are
/// the same bits; only the speed differs.
///
/// ```
/// println!("sinusoidal row: {}", inlayer::sinusoidal::row_kernel());
/// ```
#[must_use]
pub fn row_kernel() -> &'static str {
    crate::arch::sinusoidal_body().unwrap_or("lanes")
}

/// A validated sinusoidal encoding of width `dim` with its frequencies
/// cached as fixed-point turns in caller storage: the fast path for decode
/// (one row per step) and for repeated prefill.
///
/// ```
/// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
/// let cfg = SinusoidalConfig::transformer();
/// let mut turns = [0u64; 4]; // at least `Sinusoidal::turns_len(&cfg, 8)`
/// let pe = Sinusoidal::try_new(cfg, 8, &mut turns)?;
/// let mut row = [0.0f32; 8];
/// pe.row(1, &mut row)?;
/// assert!((row[0] - 1f32.sin()).abs() < 1e-6 && (row[1] - 1f32.cos()).abs() < 1e-6);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sinusoidal<'t> {
    cfg: SinusoidalConfig,
    shape: Shape,
    turns: &'t [u64],
    kernel: TableKernel,
}

impl<'t> Sinusoidal<'t> {
    /// Number of `u64` the caller must provide to [`try_new`](Self::try_new)
    /// for width `dim` (`⌈dim/2⌉` at most).
    #[must_use]
    pub fn turns_len(cfg: &SinusoidalConfig, dim: usize) -> usize {
        cfg.pairs(dim)
    }

    /// Validates `cfg` for width `dim` and computes its frequencies into
    /// `storage` (only the first [`turns_len`](Self::turns_len) entries are used).
    ///
    /// ```
    /// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
    /// let mut s = [0u64; 2];
    /// assert!(Sinusoidal::try_new(SinusoidalConfig::transformer(), 3, &mut s).is_err()); // odd D
    /// assert!(Sinusoidal::try_new(SinusoidalConfig::distilbert(), 3, &mut s).is_ok());
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidShape`] for `dim == 0`, [`Error::Unsupported`] for an
    /// odd `dim` with [`OddWidth::Reject`], [`Error::InvalidConfig`] for a
    /// base or timescale that is not finite and `> 0` (or frequencies that
    /// overflow), [`Error::LengthMismatch`] if `storage` is too short.
    pub fn try_new(
        cfg: SinusoidalConfig,
        dim: usize,
        storage: &'t mut [u64],
    ) -> Result<Self, Error> {
        cfg.validate(dim)?;
        let n = cfg.pairs(dim);
        if storage.len() < n {
            return Err(short("storage", n, storage.len()));
        }
        let turns = &mut storage[..n];
        for (i, t) in turns.iter_mut().enumerate() {
            *t = turns_per_pos(cfg.omega(i, dim));
        }
        Ok(Self {
            cfg,
            shape: Shape::new(&cfg, dim),
            turns,
            kernel: TableKernel::Rotation,
        })
    }

    /// A plan from frequencies computed beforehand (by
    /// [`try_new`](Self::try_new) on a host, then [`turns`](Self::turns)),
    /// without evaluating them: no f64 `pow`/`exp`/`log`, so firmware on a
    /// single-precision FPU links none of that code. For the `turns` of
    /// [`try_new`](Self::try_new)`(cfg, dim, _)` the plan equals that one and
    /// writes the same bits; other `turns` are taken as they are (frequency
    /// `i` is `turns[i] / 2^64` turns per position), the schedule of `cfg`
    /// is not evaluated.
    ///
    /// ```
    /// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
    /// // On the host (a build script, say): the frequencies of D = 4.
    /// let cfg = SinusoidalConfig::transformer();
    /// let mut storage = [0u64; 2];
    /// let host = Sinusoidal::try_new(cfg, 4, &mut storage)?;
    /// let turns: [u64; 2] = [host.turns()[0], host.turns()[1]];
    /// // On the device: the same plan, no frequency arithmetic.
    /// let device = Sinusoidal::from_turns(cfg, 4, &turns)?;
    /// assert_eq!(device, host);
    /// assert!(Sinusoidal::from_turns(cfg, 6, &turns).is_err()); // D = 6 needs 3
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidShape`] for `dim == 0`, [`Error::Unsupported`] for an
    /// odd `dim` with [`OddWidth::Reject`], [`Error::LengthMismatch`] unless
    /// `turns.len()` is [`turns_len`](Self::turns_len)`(&cfg, dim)`.
    pub fn from_turns(cfg: SinusoidalConfig, dim: usize, turns: &'t [u64]) -> Result<Self, Error> {
        cfg.validate_shape(dim)?;
        let n = cfg.pairs(dim);
        if turns.len() != n {
            return Err(short("turns", n, turns.len()));
        }
        Ok(Self {
            cfg,
            shape: Shape::new(&cfg, dim),
            turns,
            kernel: TableKernel::Rotation,
        })
    }

    /// The same plan with another kernel for runs of 32 rows or more
    /// ([`TableKernel::PerRow`]: no f64 code, for single-precision FPUs).
    ///
    /// ```
    /// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig, TableKernel};
    /// let mut t = [0u64; 4];
    /// let pe = Sinusoidal::try_new(SinusoidalConfig::transformer(), 8, &mut t)?;
    /// let per_row = pe.with_table_kernel(TableKernel::PerRow);
    /// let (mut a, mut b) = ([0.0f32; 8 * 40], [0.0f32; 8]);
    /// per_row.rows(100, &mut a)?;
    /// per_row.row(139, &mut b)?;
    /// assert_eq!(a[39 * 8..], b); // every row by the one-row kernel
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    #[must_use]
    pub const fn with_table_kernel(mut self, kernel: TableKernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The kernel used for runs of 32 rows or more.
    #[must_use]
    pub const fn table_kernel(&self) -> TableKernel {
        self.kernel
    }

    /// The frequencies as 64-bit fixed-point turns per position, one per
    /// sine column: what [`from_turns`](Self::from_turns) takes back (a
    /// build script can write them into the firmware's source).
    #[must_use]
    pub const fn turns(&self) -> &'t [u64] {
        self.turns
    }

    /// The width.
    #[must_use]
    pub const fn dim(&self) -> usize {
        self.shape.dim
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &SinusoidalConfig {
        &self.cfg
    }

    /// Writes the encoding of position `pos` into `out` (`out.len() == dim`).
    ///
    /// ```
    /// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
    /// let mut t = [0u64; 2];
    /// let pe = Sinusoidal::try_new(SinusoidalConfig::transformer(), 4, &mut t)?;
    /// let mut row = [9.0f32; 4];
    /// pe.row(0, &mut row)?;
    /// assert_eq!(row, [0.0, 1.0, 0.0, 1.0]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != dim`; `out` is then unchanged.
    pub fn row(&self, pos: u32, out: &mut [f32]) -> Result<(), Error> {
        if out.len() != self.shape.dim {
            return Err(short("out", self.shape.dim, out.len()));
        }
        self.write_row::<false>(pos, out);
        Ok(())
    }

    /// Writes the encodings of positions `start, start+1, …` into the rows
    /// of `out` (dense, `out.len()` a multiple of `dim`).
    ///
    /// ```
    /// use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
    /// let mut t = [0u64; 2];
    /// let pe = Sinusoidal::try_new(SinusoidalConfig::tensor2tensor(), 4, &mut t)?;
    /// let mut rows = [0.0f32; 3 * 4];
    /// pe.rows(10, &mut rows)?; // positions 10, 11, 12
    /// assert!((rows[0] - 10f32.sin()).abs() < 1e-6); // [sin | cos] halves
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NotWholeRows`] if `out.len()` is not a multiple of `dim`,
    /// [`Error::PositionOutOfRange`] if a position would pass `u32::MAX`.
    /// On error `out` is unchanged.
    pub fn rows(&self, start: u32, out: &mut [f32]) -> Result<(), Error> {
        let dim = self.shape.dim;
        let t = whole_rows(out.len(), dim)?;
        check_positions(start, t)?;
        if t == 1 && crate::simd::SIMD_REGISTERS {
            // One row (a decode step): the phases need no stepping, and
            // they are formed in registers. (Without SIMD registers the
            // general path takes it too: one copy of the kernel.)
            self.write_row::<false>(start, out);
            return Ok(());
        }
        if crate::arch::sinusoidal_body().is_some()
            && (t < ROTATE_MIN_ROWS || self.kernel == TableKernel::PerRow)
        {
            // The one-row kernel's AVX-512, AVX2 or SSE2 body, row by row,
            // instead of the lanes' multi-row kernel: the same arithmetic, so
            // the same bits. (SSE2, this CPU with AVX2 turned off, 2 to 31
            // rows: 1.46–1.79 → 2.0–2.05 G values/s at D = 384 and 4096.)
            // (From 32 rows on, the angle addition stays, on every machine,
            // although these rows beat it up to about 100 rows at D = 384
            // (native build) and 250 at D = 4096: which kernel runs must not
            // depend on the CPU, or neither would the bits.)
            for (k, row) in out.chunks_exact_mut(dim.max(1)).enumerate() {
                self.write_row::<false>(start.wrapping_add(k as u32), row);
            }
            return Ok(());
        }
        row_edges::<false>(&self.shape, start, out);
        for (b, turns) in self.turns.chunks(BLOCK).enumerate() {
            block_rows(self.kernel, &self.shape, turns, b * BLOCK, start, out);
        }
        Ok(())
    }

    /// Adds the encodings of positions `start, start+1, …` to the rows of
    /// `out` with the table kernel (the fused input layer's prefill over
    /// decoded tables, after the gather of the scaled token rows; native
    /// rows are added onto [`rows`](Self::rows) instead). The caller has
    /// validated `out`
    /// (whole rows of `dim`) and the positions.
    pub(crate) fn add_rows(&self, start: u32, out: &mut [f32]) {
        row_edges::<true>(&self.shape, start, out);
        for (b, turns) in self.turns.chunks(BLOCK).enumerate() {
            rotate_rows::<true>(&self.shape, turns, b * BLOCK, start, out);
        }
    }

    /// Adds the encoding of position `pos` to `row` (`row.len() == dim`,
    /// checked by the caller).
    #[inline]
    pub(crate) fn add_row(&self, pos: u32, row: &mut [f32]) {
        self.write_row::<true>(pos, row);
    }

    /// Writes the encoding of position `pos` into `row` (`row.len() ==
    /// dim`, checked by the caller).
    #[inline]
    pub(crate) fn set_row(&self, pos: u32, row: &mut [f32]) {
        self.write_row::<false>(pos, row);
    }

    #[inline]
    fn write_row<const ADD: bool>(&self, pos: u32, row: &mut [f32]) {
        if fill_row_edges::<ADD>(&self.shape, pos, row) {
            emit::<ADD>(&self.shape, self.turns, pos, row);
        }
    }
}

/// Writes sinusoidal encodings of positions `start..start + out.len()` into
/// fixed-shape rows, computing the frequencies in this call (for repeated
/// decode steps, cache them with [`Sinusoidal`]).
///
/// ```
/// use inlayer::sinusoidal::{SinusoidalConfig, sinusoidal_rows};
/// let mut pe = [[0.0f32; 6]; 4];
/// sinusoidal_rows(&SinusoidalConfig::transformer(), 0, &mut pe)?;
/// assert_eq!(pe[0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
/// // A bad configuration is an error, not NaNs:
/// let bad = SinusoidalConfig::transformer().with_base(-1.0);
/// assert!(sinusoidal_rows(&bad, 0, &mut pe).is_err());
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`Sinusoidal::try_new`] and [`Sinusoidal::rows`]; `out` is unchanged on error.
pub fn sinusoidal_rows<const D: usize>(
    cfg: &SinusoidalConfig,
    start: u32,
    out: &mut [[f32; D]],
) -> Result<(), Error> {
    sinusoidal_rows_dyn(cfg, D, start, out.as_flattened_mut())
}

/// Runtime-shape twin of [`sinusoidal_rows`]: `out` is dense rows of width
/// `dim`.
///
/// ```
/// use inlayer::sinusoidal::{SinusoidalConfig, sinusoidal_rows_dyn};
/// let mut pe = [0.0f32; 2 * 5];
/// sinusoidal_rows_dyn(&SinusoidalConfig::fairseq(1), 5, 1, &mut pe)?; // rows 1 and 2
/// assert_eq!(pe[..5], [0.0; 5]); // the padding row is zero
/// assert_eq!(pe[9], 0.0); // odd width: zero column appended
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`Sinusoidal::try_new`] and [`Sinusoidal::rows`]; `out` is unchanged on error.
pub fn sinusoidal_rows_dyn(
    cfg: &SinusoidalConfig,
    dim: usize,
    start: u32,
    out: &mut [f32],
) -> Result<(), Error> {
    cfg.validate(dim)?;
    let t = whole_rows(out.len(), dim)?;
    check_positions(start, t)?;
    if t == 0 {
        return Ok(());
    }
    let shape = Shape::new(cfg, dim);
    row_edges::<false>(&shape, start, out);
    let mut turns = [0u64; BLOCK];
    let mut i0 = 0;
    while i0 < shape.n_sin {
        let n = BLOCK.min(shape.n_sin - i0);
        for (k, t) in turns[..n].iter_mut().enumerate() {
            *t = turns_per_pos(cfg.omega(i0 + k, dim));
        }
        block_rows(TableKernel::Rotation, &shape, &turns[..n], i0, start, out);
        i0 += n;
    }
    Ok(())
}

/// Rows in a dense buffer of `len` values and width `dim`.
fn whole_rows(len: usize, dim: usize) -> Result<usize, Error> {
    if dim == 0 {
        return Err(Error::InvalidShape {
            what: "dim",
            value: 0,
        });
    }
    if !len.is_multiple_of(dim) {
        return Err(not_whole(len, dim));
    }
    Ok(len / dim)
}

/// Positions `start..start + t` must all be `<= u32::MAX`.
fn check_positions(start: u32, t: usize) -> Result<(), Error> {
    if t > 0 {
        let last = u64::from(start) + (t as u64 - 1);
        if last > u64::from(u32::MAX) {
            // The first token past the end sits at position 2^32.
            return Err(past_end((1 << 32) - u64::from(start)));
        }
    }
    Ok(())
}

#[cold]
fn short(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        actual,
    }
}

#[cold]
fn not_whole(len: usize, dim: usize) -> Error {
    Error::NotWholeRows {
        len,
        row_bytes: dim,
    }
}

#[cold]
fn past_end(index: u64) -> Error {
    Error::PositionOutOfRange {
        index: index as usize,
        position: 1 << 32,
        limit: 1 << 32,
    }
}
