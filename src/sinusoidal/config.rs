//! Sinusoidal encoding configurations: frequency schedule, layout, odd-width
//! rule, first position and padding row; named presets for the frameworks
//! real checkpoints were trained with; validation.
//!
//! The frequencies are defined in f64 by the formulas below, evaluated with
//! the `libm` crate (pure software, so the same bits on every target); the
//! "exact definition" the accuracy contract refers to is `sin`/`cos` of
//! `p · ω_i` computed exactly from these f64 `ω_i`.

use crate::Error;

/// How the angular frequency `ω_i` (radians per position) of pair `i`
/// depends on `i` and the width `D`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `ω_i = base^(-2i/D)`, in f64 as `libm::pow(base, -(2i)/D)`: the
    /// Transformer paper, HF DistilBERT/XLM, HF Marian/Pegasus, burn,
    /// keras-hub, the PyTorch tutorial. `base` must be finite and `> 0`.
    Base(f64),
    /// `ω_i = min · exp(-i · ln(max/min) / max(H-1, 1))`, `H = ⌊D/2⌋`
    /// (tensor2tensor `get_timing_signal_1d`; with `min = 1`, `max = 10000`
    /// also fairseq, Whisper, HF M2M100/Speech2Text/FSMT, which divide by
    /// `H-1` and so produce NaN for `H = 1`; we use tensor2tensor's guard).
    /// `min`, `max` must be finite and `> 0`.
    Timescales {
        /// The shortest timescale (tensor2tensor `min_timescale`, default 1).
        min: f64,
        /// The longest timescale (`max_timescale`, default 10000).
        max: f64,
    },
}

/// Which kernel a [`Sinusoidal`](super::Sinusoidal) plan uses for runs of
/// 32 rows or more ([`Sinusoidal::rows`](super::Sinusoidal::rows), and the
/// prefill of the fused input layer). The choice, not the target, decides
/// the bits: each kernel gives the same bits on every target and backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableKernel {
    /// f32 angle addition to f64 anchors (every 8 rows, set from the exact
    /// phase every 1024 rows; bound
    /// [`TABLE_MAX_ABS_ERR`](super::TABLE_MAX_ABS_ERR)): the fastest where
    /// f64 arithmetic is hardware (x86, aarch64, wasm32).
    #[default]
    Rotation,
    /// The one-row f32 kernel on every row (bound `2^-23` + 7.4e-10, within
    /// [`MAX_ABS_ERR`](super::MAX_ABS_ERR)): no f64 arithmetic at all, so no
    /// soft-float code on targets whose FPU is single precision (Cortex-M4F,
    /// M33) or absent. Where the optimiser sees this constant in the plan
    /// (built in the function that runs the kernel, with everything inlined),
    /// the rotation kernel is not linked at all; a plan that reaches the
    /// kernel through code it cannot see through still works, and may keep
    /// the f64 code linked.
    PerRow,
}

/// Where the sines and cosines go in a row of width `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `row[2i] = sin(p·ω_i)`, `row[2i+1] = cos(p·ω_i)`.
    Interleaved,
    /// `[sin(p·ω_0) … sin(p·ω_{S-1}) | cos(p·ω_0) … cos(p·ω_{C-1})]` with
    /// `S = C = ⌊D/2⌋` for even `D`; see [`OddWidth`] for odd `D` (Marian's
    /// `⌈D/2⌉` split is `Halves` with [`OddWidth::ExtraSin`]).
    Halves,
}

/// What an odd width `D` does (each framework has its own rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OddWidth {
    /// `⌊D/2⌋` pairs, then one zero column at the end (tensor2tensor,
    /// fairseq, HF M2M100/Speech2Text/FSMT).
    ZeroColumn,
    /// `⌈D/2⌉` sines and `⌊D/2⌋` cosines: the last column is the sine of
    /// pair `(D-1)/2` (interleaved: HF DistilBERT/XLM, keras-hub; halves:
    /// HF Marian/Pegasus, whose sine block has `⌈D/2⌉` columns).
    ExtraSin,
    /// An odd width is an [`Error::Unsupported`] (Whisper and burn assert an
    /// even width; the PyTorch tutorial fails with a shape error).
    Reject,
}

/// A sinusoidal positional-encoding variant.
///
/// Build one from a preset and adjust it with the `with_*` methods; it is
/// checked against a width by [`Sinusoidal::try_new`](super::Sinusoidal::try_new).
///
/// ```
/// use inlayer::sinusoidal::{Layout, SinusoidalConfig};
/// let cfg = SinusoidalConfig::fairseq(1); // padding_idx = 1
/// assert_eq!(cfg.first_position, 2);
/// assert_eq!(cfg.padding_row, Some(1));
/// assert_eq!(cfg.layout, Layout::Halves);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SinusoidalConfig {
    /// The frequency schedule.
    pub schedule: Schedule,
    /// The row layout.
    pub layout: Layout,
    /// The odd-width rule.
    pub odd: OddWidth,
    /// Position of the first token of a sequence (0; a `start_index`;
    /// fairseq's `padding_idx + 1`). The kernels take absolute positions;
    /// the fused input layer adds this to the token index.
    pub first_position: u32,
    /// A position whose row is all zeros (fairseq's `padding_idx` row).
    pub padding_row: Option<u32>,
}

impl SinusoidalConfig {
    /// Vaswani et al. 2017 (and the Annotated Transformer, the PyTorch
    /// tutorial, burn): `base = 10000`, interleaved, odd `D` rejected,
    /// positions from 0.
    #[must_use]
    pub const fn transformer() -> Self {
        Self {
            schedule: Schedule::Base(10_000.0),
            layout: Layout::Interleaved,
            odd: OddWidth::Reject,
            first_position: 0,
            padding_row: None,
        }
    }

    /// HF DistilBERT / XLM (`create_sinusoidal_embeddings`) and keras-hub
    /// `SinePositionEncoding`: as [`transformer`](Self::transformer) but an
    /// odd `D` gets an extra sine column.
    #[must_use]
    pub const fn distilbert() -> Self {
        Self {
            odd: OddWidth::ExtraSin,
            ..Self::transformer()
        }
    }

    /// HF Marian / Pegasus: `base = 10000`, halves with a `⌈D/2⌉` sine block.
    #[must_use]
    pub const fn marian() -> Self {
        Self {
            layout: Layout::Halves,
            odd: OddWidth::ExtraSin,
            ..Self::transformer()
        }
    }

    /// tensor2tensor `get_timing_signal_1d`: timescales 1..10000, halves,
    /// zero column for odd `D`, positions from 0 (set `first_position` for
    /// its `start_index`).
    #[must_use]
    pub const fn tensor2tensor() -> Self {
        Self {
            schedule: Schedule::Timescales {
                min: 1.0,
                max: 10_000.0,
            },
            layout: Layout::Halves,
            odd: OddWidth::ZeroColumn,
            first_position: 0,
            padding_row: None,
        }
    }

    /// fairseq `SinusoidalPositionalEmbedding` (and HF M2M100, Speech2Text,
    /// FSMT): tensor2tensor's frequencies and layout, the first real token at
    /// `padding_idx + 1`, and the `padding_idx` row zeroed.
    #[must_use]
    pub const fn fairseq(padding_idx: u32) -> Self {
        Self {
            first_position: padding_idx.saturating_add(1),
            padding_row: Some(padding_idx),
            ..Self::tensor2tensor()
        }
    }

    /// OpenAI Whisper `sinusoids` (audio encoder): timescales 1..10000,
    /// halves, odd `D` rejected.
    #[must_use]
    pub const fn whisper() -> Self {
        Self {
            odd: OddWidth::Reject,
            ..Self::tensor2tensor()
        }
    }

    /// The same variant with another `base` (for [`Schedule::Base`]) or
    /// `max` timescale (for [`Schedule::Timescales`]).
    #[must_use]
    pub const fn with_base(mut self, base: f64) -> Self {
        self.schedule = match self.schedule {
            Schedule::Base(_) => Schedule::Base(base),
            Schedule::Timescales { min, .. } => Schedule::Timescales { min, max: base },
        };
        self
    }

    /// The same variant with another first position (`start_index`,
    /// `past_kv_len` offset, …).
    #[must_use]
    pub const fn with_first_position(mut self, first: u32) -> Self {
        self.first_position = first;
        self
    }

    /// Checks the width alone: `dim > 0`, and an odd `dim` only if the
    /// odd-width rule allows it (no frequency is evaluated).
    pub(crate) fn validate_shape(&self, dim: usize) -> Result<(), Error> {
        if dim == 0 {
            return Err(bad_shape("dim", dim));
        }
        if dim % 2 == 1 && self.odd == OddWidth::Reject {
            return Err(unsupported("odd width with OddWidth::Reject", dim));
        }
        Ok(())
    }

    /// Checks the configuration for width `dim`: the shape
    /// ([`validate_shape`](Self::validate_shape)), a positive finite base or
    /// timescales, and every frequency finite and at most [`MAX_OMEGA`].
    pub(crate) fn validate(&self, dim: usize) -> Result<(), Error> {
        self.validate_shape(dim)?;
        let positive = |what, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(bad_param(what, v, "finite and > 0"))
            }
        };
        match self.schedule {
            Schedule::Base(b) => positive("base", b)?,
            Schedule::Timescales { min, max } => {
                positive("min timescale", min)?;
                positive("max timescale", max)?;
            }
        }
        // Every ω must be finite and at most `MAX_OMEGA` (ω is monotone in
        // i: check both ends).
        let n = self.pairs(dim);
        for i in [0, n.saturating_sub(1)] {
            let w = self.omega(i, dim);
            if !(w.is_finite() && w <= MAX_OMEGA) {
                return Err(bad_param(
                    "frequency (from base/timescales)",
                    w,
                    "finite and <= 65536 rad/position",
                ));
            }
        }
        Ok(())
    }

    /// Number of sine columns (= number of frequencies).
    pub(crate) fn pairs(&self, dim: usize) -> usize {
        if dim % 2 == 1 && self.odd == OddWidth::ExtraSin {
            dim / 2 + 1
        } else {
            dim / 2
        }
    }

    /// `ω_i` in f64, as defined in [`Schedule`].
    pub(crate) fn omega(&self, i: usize, dim: usize) -> f64 {
        match self.schedule {
            Schedule::Base(b) => libm::pow(b, -((2 * i) as f64) / dim as f64),
            Schedule::Timescales { min, max } => {
                let h = (dim / 2).saturating_sub(1).max(1);
                min * libm::exp(-(i as f64) * (libm::log(max / min) / h as f64))
            }
        }
    }
}

/// The largest frequency a configuration may produce, in radians per
/// position (2^16). Real schedules stay at or below 1 rad/position; a larger
/// frequency only aliases (positions are integers), and beyond it the f64
/// oracle's angle reduction (`p * w` up to 2^48) would stop being exact.
pub const MAX_OMEGA: f64 = 65536.0;

#[cold]
fn bad_shape(what: &'static str, value: usize) -> Error {
    Error::InvalidShape { what, value }
}

#[cold]
fn unsupported(what: &'static str, value: usize) -> Error {
    Error::Unsupported {
        what,
        value: value as u64,
    }
}

#[cold]
fn bad_param(what: &'static str, v: f64, expected: &'static str) -> Error {
    Error::InvalidConfig {
        what,
        value: v,
        bound: expected,
    }
}
