//! The RoPE configuration: rotary width, base, and every scaling scheme of
//! Hugging Face `transformers` (`rope_scaling` / `rope_parameters`) and of
//! ggml / llama.cpp, with the per-dimension angular frequencies ω_j
//! (radians per position) and the attention factor computed from it.
//!
//! Algorithm: closed forms in `f64`, one frequency index at a time (no
//! allocation), following `transformers/modeling_rope_utils.py`
//! (`_compute_*_parameters`) and ggml `ggml_rope_yarn_corr_dims` /
//! `rope_yarn`; see `pe-anchors.md` (b) for the formulas as read from source.
//! Error bound: a few `f64` ulps per frequency (`powf`, `ln`, `exp` from
//! `libm`), i.e. ~1e-16 relative — far below what an `f32` pipeline sees.
//!
//! The `hf_f32_*` functions instead replay the float32 arithmetic of the
//! PyTorch code step by step (f32 `pow`, f32 reciprocal, f32 product), for
//! callers who must match a transformers model bit for bit.

use crate::Error;

/// How the two halves of each rotated pair sit in a head vector.
///
/// ```
/// use inlayer::rope::Layout;
/// // LLaMA checkpoints converted to HF use half-split; Meta's originals and
/// // GGUF's "NORMAL" mode are interleaved.
/// assert_ne!(Layout::HalfSplit, Layout::Interleaved);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Pair `j` is `(x[j], x[j + d/2])`: GPT-NeoX, HF `rotate_half`, ggml NEOX.
    HalfSplit,
    /// Pair `j` is `(x[2j], x[2j + 1])`: GPT-J, Meta LLaMA, ggml NORMAL.
    Interleaved,
}

/// YaRN parameters (HF `rope_type = "yarn"`).
///
/// ```
/// let y = inlayer::rope::Yarn::new(4.0, 32_768);
/// assert_eq!((y.beta_fast, y.beta_slow, y.truncate), (32.0, 1.0, true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Yarn {
    /// Context extension factor `s` (HF `factor`).
    pub factor: f64,
    /// The pre-training context (HF `original_max_position_embeddings`).
    pub original_max_position: u32,
    /// Rotations above which dimensions extrapolate (HF default 32).
    pub beta_fast: f64,
    /// Rotations below which dimensions interpolate (HF default 1).
    pub beta_slow: f64,
    /// Round the correction range outward to integers (HF default `true`;
    /// gpt-oss sets `false`; ggml always truncates).
    pub truncate: bool,
    /// HF `mscale` (DeepSeek-V2/V3 style attention factor), with
    /// `mscale_all_dim`.
    pub mscale: Option<f64>,
    /// HF `mscale_all_dim`.
    pub mscale_all_dim: Option<f64>,
    /// An explicit attention factor; overrides the `mscale` rules.
    pub attention_factor: Option<f64>,
}

impl Yarn {
    /// YaRN with HF's defaults: β_fast 32, β_slow 1, `truncate`, attention
    /// factor `0.1 ln s + 1`.
    #[must_use]
    pub const fn new(factor: f64, original_max_position: u32) -> Self {
        Self {
            factor,
            original_max_position,
            beta_fast: 32.0,
            beta_slow: 1.0,
            truncate: true,
            mscale: None,
            mscale_all_dim: None,
            attention_factor: None,
        }
    }
}

/// LongRoPE parameters (HF `rope_type = "longrope"`, Phi-3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongRope<'a> {
    /// Per-frequency divisors used while `seq_len <= original_max_position`
    /// (`rotary_dim / 2` values).
    pub short_factor: &'a [f32],
    /// Per-frequency divisors used when `seq_len > original_max_position`.
    pub long_factor: &'a [f32],
    /// The pre-training context (HF `original_max_position_embeddings`).
    pub original_max_position: u32,
    /// `max_position_embeddings / original_max_position_embeddings` (what HF
    /// uses when the config has `original_max_position_embeddings`), or the
    /// config's `factor`.
    pub factor: f64,
    /// An explicit attention factor; else `sqrt(1 + ln f / ln L_orig)` (1 if
    /// `f <= 1`).
    pub attention_factor: Option<f64>,
}

/// Llama 3.1 frequency-band scaling (HF `rope_type = "llama3"`).
///
/// ```
/// let l = inlayer::rope::Llama3::META;
/// assert_eq!((l.factor, l.original_max_position), (8.0, 8192));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Llama3 {
    /// Divisor for the low-frequency band.
    pub factor: f64,
    /// Wavelengths above `L_orig / low_freq_factor` are divided by `factor`.
    pub low_freq_factor: f64,
    /// Wavelengths below `L_orig / high_freq_factor` are kept.
    pub high_freq_factor: f64,
    /// The pre-training context.
    pub original_max_position: u32,
}

impl Llama3 {
    /// Meta's Llama 3.1 values: factor 8, low 1, high 4, original 8192.
    pub const META: Self = Self {
        factor: 8.0,
        low_freq_factor: 1.0,
        high_freq_factor: 4.0,
        original_max_position: 8192,
    };
}

/// ggml / llama.cpp rope parameters (`ggml_rope_ext`), the vocabulary of
/// GGUF runtimes. `freq_base` is [`RopeConfig::base`] and `n_dims` is
/// [`RopeConfig::rotary_dim`].
///
/// ```
/// let g = inlayer::rope::Ggml::OFF;
/// assert_eq!((g.freq_scale, g.ext_factor, g.attn_factor), (1.0, 0.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ggml<'a> {
    /// Interpolation scale, `1 / factor` (`freq_scale`).
    pub freq_scale: f64,
    /// YaRN extrapolation mix, 0 disables YaRN (`ext_factor`).
    pub ext_factor: f64,
    /// Attention magnitude factor (`attn_factor`).
    pub attn_factor: f64,
    /// YaRN β_fast (`beta_fast`).
    pub beta_fast: f64,
    /// YaRN β_slow (`beta_slow`).
    pub beta_slow: f64,
    /// Original training context (`n_ctx_orig`).
    pub n_ctx_orig: u32,
    /// Per-frequency divisors (`freq_factors`, e.g. LongRoPE "rope factors"
    /// or Llama 3.1's precomputed table), `rotary_dim / 2` values.
    pub freq_factors: Option<&'a [f32]>,
}

impl Ggml<'_> {
    /// The values that disable every scaling: plain RoPE.
    pub const OFF: Ggml<'static> = Ggml {
        freq_scale: 1.0,
        ext_factor: 0.0,
        attn_factor: 1.0,
        beta_fast: 32.0,
        beta_slow: 1.0,
        n_ctx_orig: 0,
        freq_factors: None,
    };
}

/// The frequency scaling scheme.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scaling<'a> {
    /// ω_j = base^(-2j/d) (HF `"default"`).
    Default,
    /// ω_j / factor (HF `"linear"`, position interpolation).
    Linear {
        /// The divisor.
        factor: f64,
    },
    /// Dynamic NTK (HF `"dynamic"`): the base grows with the current
    /// sequence length, which every call takes explicitly (no hidden state).
    Dynamic {
        /// The NTK factor.
        factor: f64,
        /// HF `max_position_embeddings` (the length up to which plain RoPE is
        /// used).
        original_max_position: u32,
    },
    /// YaRN (HF `"yarn"`).
    Yarn(Yarn),
    /// LongRoPE (HF `"longrope"`).
    LongRope(LongRope<'a>),
    /// Llama 3.1 (HF `"llama3"`).
    Llama3(Llama3),
    /// ggml's parameters (which include YaRN and per-frequency factors).
    Ggml(Ggml<'a>),
}

/// A validated-on-use RoPE configuration.
///
/// ```
/// use inlayer::rope::{Llama3, RopeConfig, Scaling};
/// // Llama 3.1 8B: head_dim 128, rope_theta 500000, llama3 scaling.
/// let cfg = RopeConfig::new(128, 500_000.0).scaling(Scaling::Llama3(Llama3::META));
/// let mut w = [0.0f64; 64];
/// let attn = cfg.inv_freqs(1, &mut w)?;
/// assert_eq!((w[0], attn), (1.0, 1.0));
/// assert!((w[63] - 500_000f64.powf(-126.0 / 128.0) / 8.0).abs() < 1e-20);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RopeConfig<'a> {
    /// Width of one attention head.
    pub head_dim: usize,
    /// Channels of each head that rotate (even, `<= head_dim`); the rest pass
    /// through. HF: `int(head_dim * partial_rotary_factor)`.
    pub rotary_dim: usize,
    /// `rope_theta` / `freq_base`.
    pub base: f64,
    /// The scaling scheme.
    pub scaling: Scaling<'a>,
}

impl<'a> RopeConfig<'a> {
    /// Plain RoPE over the whole head.
    #[must_use]
    pub const fn new(head_dim: usize, base: f64) -> Self {
        Self {
            head_dim,
            rotary_dim: head_dim,
            base,
            scaling: Scaling::Default,
        }
    }

    /// Sets the scaling scheme.
    #[must_use]
    pub const fn scaling(mut self, scaling: Scaling<'a>) -> Self {
        self.scaling = scaling;
        self
    }

    /// Sets the rotary width directly (ggml `n_dims`).
    #[must_use]
    pub const fn rotary_dim(mut self, rotary_dim: usize) -> Self {
        self.rotary_dim = rotary_dim;
        self
    }

    /// Sets the rotary width as HF does: `int(head_dim * factor)`.
    ///
    /// ```
    /// // Phi-2: head_dim 80, partial_rotary_factor 0.4.
    /// let cfg = inlayer::rope::RopeConfig::new(80, 10_000.0).partial_rotary_factor(0.4);
    /// assert_eq!(cfg.rotary_dim, 32);
    /// ```
    #[must_use]
    pub fn partial_rotary_factor(mut self, factor: f64) -> Self {
        let d = self.head_dim as f64 * factor;
        // `as` saturates NaN to 0 and huge values to usize::MAX, which
        // `validate` then rejects.
        self.rotary_dim = d as usize;
        self
    }

    /// Number of rotated pairs, `rotary_dim / 2`.
    #[must_use]
    pub const fn half(&self) -> usize {
        self.rotary_dim / 2
    }

    /// Checks every parameter.
    ///
    /// ```
    /// use inlayer::rope::RopeConfig;
    /// assert!(RopeConfig::new(64, 10_000.0).validate().is_ok());
    /// assert!(RopeConfig::new(64, 1.0).validate().is_err()); // base must be > 1
    /// assert!(RopeConfig::new(64, 1e4).rotary_dim(33).validate().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidShape`] for a rotary width that is zero, odd or wider
    /// than the head; [`Error::InvalidConfig`] for a non-finite or
    /// out-of-range base or scaling parameter;
    /// [`Error::LengthMismatch`] for factor slices that are not
    /// `rotary_dim / 2` long.
    pub fn validate(&self) -> Result<(), Error> {
        let d = self.rotary_dim;
        if d == 0 || !d.is_multiple_of(2) || d > self.head_dim {
            return Err(shape_err("rotary_dim", d));
        }
        check(
            "base",
            self.base,
            self.base.is_finite() && self.base > 1.0,
            "finite and > 1",
        )?;
        match self.scaling {
            Scaling::Default => Ok(()),
            Scaling::Linear { factor } => positive("factor", factor),
            Scaling::Dynamic {
                factor,
                original_max_position,
            } => {
                positive("factor", factor)?;
                if d <= 2 {
                    return Err(shape_err("rotary_dim", d));
                }
                at_least_one("original_max_position", original_max_position)
            }
            Scaling::Yarn(y) => {
                positive("factor", y.factor)?;
                at_least_one("original_max_position", y.original_max_position)?;
                positive("beta_fast", y.beta_fast)?;
                positive("beta_slow", y.beta_slow)?;
                for (what, v) in [
                    ("mscale", y.mscale),
                    ("mscale_all_dim", y.mscale_all_dim),
                    ("attention_factor", y.attention_factor),
                ] {
                    if let Some(v) = v {
                        check(what, v, v.is_finite(), "finite")?;
                    }
                }
                Ok(())
            }
            Scaling::LongRope(l) => {
                positive("factor", l.factor)?;
                at_least_one("original_max_position", l.original_max_position)?;
                factors("short_factor", l.short_factor, self.half())?;
                factors("long_factor", l.long_factor, self.half())?;
                if let Some(a) = l.attention_factor {
                    check("attention_factor", a, a.is_finite(), "finite")?;
                }
                Ok(())
            }
            Scaling::Llama3(l) => {
                positive("factor", l.factor)?;
                positive("low_freq_factor", l.low_freq_factor)?;
                positive("high_freq_factor", l.high_freq_factor)?;
                check(
                    "high_freq_factor",
                    l.high_freq_factor,
                    l.high_freq_factor > l.low_freq_factor,
                    "> low_freq_factor",
                )?;
                at_least_one("original_max_position", l.original_max_position)
            }
            Scaling::Ggml(g) => {
                positive("freq_scale", g.freq_scale)?;
                check(
                    "ext_factor",
                    g.ext_factor,
                    g.ext_factor.is_finite(),
                    "finite",
                )?;
                check(
                    "attn_factor",
                    g.attn_factor,
                    g.attn_factor.is_finite(),
                    "finite",
                )?;
                if g.ext_factor != 0.0 {
                    positive("beta_fast", g.beta_fast)?;
                    positive("beta_slow", g.beta_slow)?;
                    at_least_one("n_ctx_orig", g.n_ctx_orig)?;
                }
                if let Some(f) = g.freq_factors {
                    factors("freq_factors", f, self.half())?;
                }
                Ok(())
            }
        }
    }

    /// Writes ω_j (radians per position, `f64`) for `j < rotary_dim / 2`
    /// into `out` and returns the attention factor.
    ///
    /// `seq_len` is the current sequence length (HF: `max(position_ids) + 1`);
    /// only `Dynamic` and `LongRope` depend on it.
    ///
    /// The **attention factor** is what HF multiplies into cos and sin (YaRN,
    /// LongRoPE; ggml: `mscale`). Either fold it into the query scale
    /// (multiply the softmax scale by its square, since both q and k are
    /// rotated), or ask the cache/streaming kernels to apply it to cos/sin as
    /// HF does ([`Rope::fold_attention_factor`](crate::rope::Rope::fold_attention_factor)).
    ///
    /// ```
    /// use inlayer::rope::{RopeConfig, Scaling, Yarn};
    /// let cfg = RopeConfig::new(64, 10_000.0).scaling(Scaling::Yarn(Yarn::new(4.0, 4096)));
    /// let mut w = [0.0f64; 32];
    /// let attn = cfg.inv_freqs(4096, &mut w)?;
    /// assert!((attn - (0.1 * 4f64.ln() + 1.0)).abs() < 1e-15);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`validate`](Self::validate); [`Error::LengthMismatch`] if
    /// `out.len() != rotary_dim / 2`; [`Error::InvalidConfig`] if a frequency
    /// or the attention factor comes out non-finite. On error `out` is
    /// unchanged.
    pub fn inv_freqs(&self, seq_len: u64, out: &mut [f64]) -> Result<f64, Error> {
        self.validate()?;
        if out.len() != self.half() {
            return Err(Error::LengthMismatch {
                what: "out",
                expected: self.half(),
                actual: out.len(),
            });
        }
        let plan = Plan::new(self, seq_len);
        for j in 0..self.half() {
            let w = plan.omega(self, j);
            check("inv_freq", w, w.is_finite() && w >= 0.0, "finite and >= 0")?;
        }
        let attn = plan.attention;
        check("attention_factor", attn, attn.is_finite(), "finite")?;
        for (j, o) in out.iter_mut().enumerate() {
            *o = plan.omega(self, j);
        }
        Ok(attn)
    }

    /// The attention factor alone (see [`inv_freqs`](Self::inv_freqs)).
    ///
    /// ```
    /// use inlayer::rope::RopeConfig;
    /// assert_eq!(RopeConfig::new(64, 1e4).attention_factor(1)?, 1.0);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`validate`](Self::validate), or a non-finite factor.
    pub fn attention_factor(&self, seq_len: u64) -> Result<f64, Error> {
        self.validate()?;
        let a = Plan::new(self, seq_len).attention;
        check("attention_factor", a, a.is_finite(), "finite")?;
        Ok(a)
    }
}

/// The per-call constants of a scheme (dynamic base, YaRN ramp, ...).
struct Plan {
    /// Base actually used (dynamic NTK changes it).
    base: f64,
    /// YaRN / ggml ramp: `(low, high)` correction dims.
    ramp: (f64, f64),
    /// Long or short LongRoPE factors.
    long: bool,
    attention: f64,
}

impl Plan {
    fn new(cfg: &RopeConfig<'_>, seq_len: u64) -> Self {
        let d = cfg.rotary_dim as f64;
        let mut p = Plan {
            base: cfg.base,
            ramp: (0.0, 0.0),
            long: false,
            attention: 1.0,
        };
        match cfg.scaling {
            Scaling::Default | Scaling::Linear { .. } | Scaling::Llama3(_) => {}
            Scaling::Dynamic {
                factor,
                original_max_position,
            } => {
                let lmax = f64::from(original_max_position);
                let l = (seq_len as f64).max(lmax);
                let grow = factor * l / lmax - (factor - 1.0);
                p.base = cfg.base * libm::pow(grow, d / (d - 2.0));
            }
            Scaling::Yarn(y) => {
                let orig = f64::from(y.original_max_position);
                let (mut lo, mut hi) = (
                    corr_dim(y.beta_fast, d, cfg.base, orig),
                    corr_dim(y.beta_slow, d, cfg.base, orig),
                );
                if y.truncate {
                    lo = libm::floor(lo);
                    hi = libm::ceil(hi);
                }
                p.ramp = (lo.max(0.0), hi.min(d - 1.0));
                p.attention = match (y.attention_factor, y.mscale, y.mscale_all_dim) {
                    (Some(a), _, _) => a,
                    (None, Some(m), Some(ma)) if m != 0.0 && ma != 0.0 => {
                        yarn_mscale(y.factor, m) / yarn_mscale(y.factor, ma)
                    }
                    _ => yarn_mscale(y.factor, 1.0),
                };
            }
            Scaling::LongRope(l) => {
                p.long = seq_len > u64::from(l.original_max_position);
                p.attention = match l.attention_factor {
                    Some(a) => a,
                    None if l.factor <= 1.0 => 1.0,
                    None => libm::sqrt(
                        1.0 + libm::log(l.factor) / libm::log(f64::from(l.original_max_position)),
                    ),
                };
            }
            Scaling::Ggml(g) => {
                p.attention = g.attn_factor;
                if g.ext_factor != 0.0 {
                    let orig = f64::from(g.n_ctx_orig);
                    let lo = libm::floor(corr_dim(g.beta_fast, d, cfg.base, orig));
                    let hi = libm::ceil(corr_dim(g.beta_slow, d, cfg.base, orig));
                    p.ramp = (lo.max(0.0), hi.min(d - 1.0));
                    p.attention *= 1.0 + 0.1 * libm::log(1.0 / g.freq_scale);
                }
            }
        }
        p
    }

    /// ω_j under this plan.
    fn omega(&self, cfg: &RopeConfig<'_>, j: usize) -> f64 {
        let d = cfg.rotary_dim as f64;
        // Every expression below is evaluated in the order HF (and the
        // reference) writes it, so ω is the same f64, bit for bit.
        let pos_freq = libm::pow(self.base, (2 * j) as f64 / d);
        let w = 1.0 / pos_freq;
        match cfg.scaling {
            Scaling::Default | Scaling::Dynamic { .. } => w,
            Scaling::Linear { factor } => w / factor,
            Scaling::Yarn(y) => {
                // HF: interp * (1 - extrap_w) + extrap * extrap_w, extrap_w =
                // 1 - ramp.
                let interpolation = 1.0 / (y.factor * pos_freq);
                let extrapolation_factor = 1.0 - ramp(self.ramp, j);
                interpolation * (1.0 - extrapolation_factor) + w * extrapolation_factor
            }
            Scaling::LongRope(l) => {
                let e = if self.long {
                    l.long_factor
                } else {
                    l.short_factor
                };
                1.0 / (f64::from(e.get(j).copied().unwrap_or(1.0)) * pos_freq)
            }
            Scaling::Llama3(l) => llama3(w, &l),
            Scaling::Ggml(g) => {
                let ff = g
                    .freq_factors
                    .and_then(|f| f.get(j).copied())
                    .map_or(1.0, f64::from);
                let extrap = w / ff;
                if g.ext_factor == 0.0 {
                    extrap * g.freq_scale
                } else {
                    // ggml `rope_yarn_ramp`: denominator max(0.001, high - low).
                    let (lo, hi) = self.ramp;
                    let y = ((j as f64 - lo) / (hi - lo).max(0.001)).clamp(0.0, 1.0);
                    let mix = (1.0 - y) * g.ext_factor;
                    extrap * g.freq_scale * (1.0 - mix) + extrap * mix
                }
            }
        }
    }
}

/// HF `find_correction_dim` / ggml `ggml_rope_yarn_corr_dim`: the dimension
/// index whose wavelength makes `rotations` turns over `orig` positions.
fn corr_dim(rotations: f64, d: f64, base: f64, orig: f64) -> f64 {
    d * libm::log(orig / (rotations * 2.0 * core::f64::consts::PI)) / (2.0 * libm::log(base))
}

/// HF `linear_ramp_factor` at index `j`: `clamp((j - lo) / (hi - lo), 0, 1)`,
/// with `hi` nudged by 0.001 when equal.
fn ramp((lo, hi): (f64, f64), j: usize) -> f64 {
    let hi = if hi == lo { hi + 0.001 } else { hi };
    ((j as f64 - lo) / (hi - lo)).clamp(0.0, 1.0)
}

/// HF `get_mscale`.
fn yarn_mscale(scale: f64, m: f64) -> f64 {
    if scale <= 1.0 {
        1.0
    } else {
        0.1 * m * libm::log(scale) + 1.0
    }
}

/// HF `_compute_llama3_parameters` for one frequency.
fn llama3(w: f64, l: &Llama3) -> f64 {
    let orig = f64::from(l.original_max_position);
    let lambda = 2.0 * core::f64::consts::PI / w;
    let lambda_lo = orig / l.low_freq_factor;
    let lambda_hi = orig / l.high_freq_factor;
    if lambda < lambda_hi {
        w
    } else if lambda > lambda_lo {
        w / l.factor
    } else {
        let s = (orig / lambda - l.low_freq_factor) / (l.high_freq_factor - l.low_freq_factor);
        (1.0 - s) * w / l.factor + s * w
    }
}

/// HF float32 replay: see [`RopeConfig::hf_f32_inv_freqs`].
impl RopeConfig<'_> {
    /// Writes the inverse frequencies exactly as PyTorch computes them in
    /// float32 in `transformers` (`inv_freq` buffer), and returns the
    /// attention factor as the f32 HF multiplies cos/sin by.
    ///
    /// Replayed step by step: `exponent = f32(2j) / f32(d)`,
    /// `pw = powf(f32(base), exponent)`, `inv = 1 / pw`, then the scheme's
    /// f32 tensor operations (linear: `inv / f32(factor)`; llama3: f32
    /// wavelengths and smoothing, with torch's `scalar / tensor` as
    /// `reciprocal(tensor) · f32(scalar)`; yarn: f32 ramp and blend;
    /// longrope: `1 / (f32 factor * pw)`; dynamic: f32 grown base as in
    /// `dynamic_rope_update`, where `seq_len` is a tensor, with the
    /// `** (d / (d - 2))` in f64 as ATen does). `powf` is correctly rounded
    /// (the f64 `pow`, rounded once).
    ///
    /// **Checked against torch 2.15 / transformers 5.24** on the CPU
    /// (`tests/rope_hf_kat.rs`, data from `tests/kat/gen_rope_hf.py`) for
    /// default, linear, dynamic, yarn (± `truncate`, `mscale`), longrope
    /// (both regimes), llama3 and partial rotary: the attention factor is
    /// torch's bit for bit, `inv_freq` is bit for bit with ATen's scalar
    /// kernels (`ATEN_CPU_CAPABILITY=default`: glibc's `powf`) in 767 of 768
    /// values and 1 ulp off in one (glibc's `powf` is not correctly
    /// rounded there); ATen's AVX2/AVX-512 kernels use SLEEF's `powf`
    /// (≤ 1 ulp), 1 ulp off this at 3 of the 768. `ggml` configs are
    /// computed in f64 and rounded.
    ///
    /// ```
    /// use inlayer::rope::RopeConfig;
    /// let mut w = [0.0f32; 64];
    /// RopeConfig::new(128, 10_000.0).hf_f32_inv_freqs(1, &mut w)?;
    /// assert_eq!(w[0], 1.0);
    /// // j = 40: torch's 1 / 10000^(80/128) (correctly rounded pow).
    /// assert_eq!(w[40].to_bits(), 0x3b4f_3e38);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`inv_freqs`](Self::inv_freqs).
    pub fn hf_f32_inv_freqs(&self, seq_len: u64, out: &mut [f32]) -> Result<f32, Error> {
        self.validate()?;
        if out.len() != self.half() {
            return Err(Error::LengthMismatch {
                what: "out",
                expected: self.half(),
                actual: out.len(),
            });
        }
        let plan = Plan::new(self, seq_len);
        let attn = plan.attention as f32;
        check(
            "attention_factor",
            plan.attention,
            attn.is_finite(),
            "finite",
        )?;
        for j in 0..self.half() {
            let w = hf_f32_omega(self, &plan, seq_len, j);
            check(
                "inv_freq",
                f64::from(w),
                w.is_finite() && w >= 0.0,
                "finite and >= 0",
            )?;
        }
        for (j, o) in out.iter_mut().enumerate() {
            *o = hf_f32_omega(self, &plan, seq_len, j);
        }
        Ok(attn)
    }
}

/// `x^y` in f32, correctly rounded unless the exact power lies within one
/// f64 ulp of a midpoint between two f32 values (a chance of ~2^-28 per
/// value): the f64 `pow` (< 1 f64 ulp) rounded once. That is what glibc's
/// `powf` returns, hence PyTorch's scalar CPU kernel; `libm::powf`
/// (fdlibm's) is up to 2 ulps off, which made `inv_freq` differ from
/// torch's in the last bits (`tests/rope_hf_kat.rs`).
fn powf(x: f32, y: f32) -> f32 {
    libm::pow(f64::from(x), f64::from(y)) as f32
}

/// One float32 inverse frequency as `transformers` computes it.
fn hf_f32_omega(cfg: &RopeConfig<'_>, plan: &Plan, seq_len: u64, j: usize) -> f32 {
    let d = cfg.rotary_dim as f32;
    let e = (2 * j) as f32 / d;
    let pw = |base: f32| powf(base, e);
    let base = cfg.base as f32;
    match cfg.scaling {
        Scaling::Default => 1.0 / pw(base),
        Scaling::Linear { factor } => 1.0 / pw(base) / factor as f32,
        Scaling::Dynamic {
            factor,
            original_max_position,
        } => {
            // Up to the original length HF keeps the original frequencies;
            // beyond, seq_len is a tensor (max(position_ids) + 1), so the
            // grown base is f32 arithmetic with f32-cast Python scalars,
            // except `** (dim / (dim - 2))`: ATen's tensor-to-scalar `pow`
            // keeps the exponent in f64 and rounds the f64 power once.
            if seq_len <= u64::from(original_max_position) {
                return 1.0 / pw(base);
            }
            let lmax = original_max_position as f32;
            let grow = factor as f32 * seq_len as f32 / lmax - (factor - 1.0) as f32;
            let ex = cfg.rotary_dim as f64 / (cfg.rotary_dim as f64 - 2.0);
            let b = base * libm::pow(f64::from(grow), ex) as f32;
            1.0 / pw(b)
        }
        Scaling::Yarn(y) => {
            let p = pw(base);
            let extrap = 1.0 / p;
            let interp = 1.0 / (y.factor as f32 * p);
            let (lo, hi) = plan.ramp;
            let hi = if hi == lo { hi + 0.001 } else { hi };
            let ramp = ((j as f32 - lo as f32) / (hi - lo) as f32).clamp(0.0, 1.0);
            let extrap_w = 1.0 - ramp;
            interp * (1.0 - extrap_w) + extrap * extrap_w
        }
        Scaling::LongRope(l) => {
            let f = if plan.long {
                l.long_factor
            } else {
                l.short_factor
            };
            1.0 / (f.get(j).copied().unwrap_or(1.0) * pw(base))
        }
        Scaling::Llama3(l) => {
            let inv = 1.0 / pw(base);
            let orig = l.original_max_position as f32;
            let factor = l.factor as f32;
            let low = l.low_freq_factor as f32;
            let lo_wl = (f64::from(l.original_max_position) / l.low_freq_factor) as f32;
            let hi_wl = (f64::from(l.original_max_position) / l.high_freq_factor) as f32;
            // Python `scalar / tensor` is `tensor.reciprocal() * scalar` in
            // torch (two roundings), `tensor / scalar` a true division.
            let wl = (1.0 / inv) * core::f32::consts::TAU;
            let scaled = if wl > lo_wl { inv / factor } else { inv };
            let smooth =
                ((1.0 / wl) * orig - low) / (l.high_freq_factor - l.low_freq_factor) as f32;
            let smoothed = (1.0 - smooth) * scaled / factor + smooth * scaled;
            if wl >= hi_wl && wl <= lo_wl {
                smoothed
            } else {
                scaled
            }
        }
        Scaling::Ggml(_) => plan.omega(cfg, j) as f32,
    }
}

#[cold]
fn shape_err(what: &'static str, value: usize) -> Error {
    Error::InvalidShape { what, value }
}

fn check(what: &'static str, value: f64, ok: bool, bound: &'static str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(config_err(what, value, bound))
    }
}

#[cold]
fn config_err(what: &'static str, value: f64, bound: &'static str) -> Error {
    Error::InvalidConfig { what, value, bound }
}

fn positive(what: &'static str, v: f64) -> Result<(), Error> {
    check(what, v, v.is_finite() && v > 0.0, "finite and > 0")
}

fn at_least_one(what: &'static str, v: u32) -> Result<(), Error> {
    check(what, f64::from(v), v >= 1, ">= 1")
}

fn factors(what: &'static str, f: &[f32], half: usize) -> Result<(), Error> {
    if f.len() != half {
        return Err(Error::LengthMismatch {
            what,
            expected: half,
            actual: f.len(),
        });
    }
    for &v in f {
        positive(what, f64::from(v))?;
    }
    Ok(())
}
