//! Reference RoPE: frequencies straight from the published formulas, the
//! exact angle `p·ω mod 2π` in double-double arithmetic, `f64` sin/cos
//! rounded once to `f32`, and the rotation one pair at a time.
//!
//! Sources: HF `transformers` `modeling_rope_utils.py` (default, linear,
//! dynamic, yarn, longrope, llama3), ggml `ops.cpp` `rope_yarn` and
//! `ggml_rope_yarn_corr_dims`, HF `apply_rotary_pos_emb` / GPT-J
//! `rotate_every_two` for the layouts.
//!
//! Error bound of [`angle`]: below 1e-14 rad for every `p < 2^53 / ω`
//! (the product `p·ω` is formed exactly with `fma`, and 2π is subtracted
//! with a two-part constant); [`cos_sin`] is thus within 0.5 ulp + 1e-14
//! of the exact value.

use crate::rope::{Layout, RopeConfig, Scaling};

/// `p·ω` reduced to `(-π, π]` (up to 1e-14), computed without rounding the
/// product: `p·ω = hi + lo` exactly (`fma`), then `hi − k·2π` with
/// `2π = HI + LO` and `k·HI` also split exactly.
///
/// ```
/// use inlayer::reference::rope::angle;
/// // 10^6 rad ≡ 10^6 − 159155·2π = −0.357564167085735044...
/// let a = angle(1_000_000, 1.0);
/// assert!((a - (-0.357_564_167_085_735_04)).abs() < 1e-14, "{a}");
/// ```
#[must_use]
pub fn angle(p: u64, omega: f64) -> f64 {
    const HI: f64 = core::f64::consts::TAU;
    const LO: f64 = 2.449_293_598_294_706_4e-16; // 2π − HI
    let pf = p as f64;
    let hi = pf * omega;
    let lo = libm::fma(pf, omega, -hi);
    let k = libm::round(hi / HI);
    let kh = k * HI;
    let kl = libm::fma(k, HI, -kh);
    (((hi - kh) - kl) + lo) - k * LO
}

/// `(cos, sin)` of `p·ω`, each rounded once to `f32`.
///
/// ```
/// let (c, s) = inlayer::reference::rope::cos_sin(3, 0.5);
/// assert_eq!((c, s), (libm::cos(1.5) as f32, libm::sin(1.5) as f32));
/// ```
#[must_use]
pub fn cos_sin(p: u64, omega: f64) -> (f32, f32) {
    let a = angle(p, omega);
    (libm::cos(a) as f32, libm::sin(a) as f32)
}

/// ω_j of `cfg` at sequence length `seq_len`, written as the HF formulas
/// read (for ggml configs, as `rope_yarn` reads). `cfg` must be valid.
///
/// ```
/// use inlayer::rope::{RopeConfig, Scaling};
/// let cfg = RopeConfig::new(64, 10_000.0).scaling(Scaling::Linear { factor: 2.0 });
/// assert_eq!(inlayer::reference::rope::inv_freq(&cfg, 0, 1), 0.5);
/// ```
#[must_use]
pub fn inv_freq(cfg: &RopeConfig<'_>, j: usize, seq_len: u64) -> f64 {
    let dim = cfg.rotary_dim as f64;
    let default = |base: f64| 1.0 / libm::pow(base, (2 * j) as f64 / dim);
    let pi = core::f64::consts::PI;
    let corr = |rot: f64, orig: u32| {
        dim * libm::log(f64::from(orig) / (rot * 2.0 * pi)) / (2.0 * libm::log(cfg.base))
    };
    let ramp = |low: f64, high: f64| {
        let high = if low == high { high + 0.001 } else { high };
        ((j as f64 - low) / (high - low)).clamp(0.0, 1.0)
    };
    match cfg.scaling {
        Scaling::Default => default(cfg.base),
        Scaling::Linear { factor } => default(cfg.base) / factor,
        Scaling::Dynamic {
            factor,
            original_max_position,
        } => {
            let max = f64::from(original_max_position);
            let seq = (seq_len as f64).max(max);
            let base = cfg.base * libm::pow(factor * seq / max - (factor - 1.0), dim / (dim - 2.0));
            default(base)
        }
        Scaling::Yarn(y) => {
            let (mut low, mut high) = (
                corr(y.beta_fast, y.original_max_position),
                corr(y.beta_slow, y.original_max_position),
            );
            if y.truncate {
                low = libm::floor(low);
                high = libm::ceil(high);
            }
            let (low, high) = (low.max(0.0), high.min(dim - 1.0));
            let pos_freq = libm::pow(cfg.base, (2 * j) as f64 / dim);
            let extrapolation = 1.0 / pos_freq;
            let interpolation = 1.0 / (y.factor * pos_freq);
            let extrapolation_factor = 1.0 - ramp(low, high);
            interpolation * (1.0 - extrapolation_factor) + extrapolation * extrapolation_factor
        }
        Scaling::LongRope(l) => {
            let f = if seq_len > u64::from(l.original_max_position) {
                l.long_factor
            } else {
                l.short_factor
            };
            let e = f.get(j).copied().map_or(1.0, f64::from);
            1.0 / (e * libm::pow(cfg.base, (2 * j) as f64 / dim))
        }
        Scaling::Llama3(l) => {
            let inv = default(cfg.base);
            let old = f64::from(l.original_max_position);
            let low_wavelen = old / l.low_freq_factor;
            let high_wavelen = old / l.high_freq_factor;
            let wavelen = 2.0 * pi / inv;
            if wavelen < high_wavelen {
                inv
            } else if wavelen > low_wavelen {
                inv / l.factor
            } else {
                let smooth =
                    (old / wavelen - l.low_freq_factor) / (l.high_freq_factor - l.low_freq_factor);
                (1.0 - smooth) * inv / l.factor + smooth * inv
            }
        }
        Scaling::Ggml(g) => {
            let ff = g
                .freq_factors
                .and_then(|f| f.get(j).copied())
                .map_or(1.0, f64::from);
            let theta_extrap = default(cfg.base) / ff;
            let theta_interp = g.freq_scale * theta_extrap;
            if g.ext_factor == 0.0 {
                theta_interp
            } else {
                let c0 = libm::floor(corr(g.beta_fast, g.n_ctx_orig)).max(0.0);
                let c1 = libm::ceil(corr(g.beta_slow, g.n_ctx_orig)).min(dim - 1.0);
                let y = (j as f64 - c0) / (c1 - c0).max(0.001);
                let ramp_mix = (1.0 - y.clamp(0.0, 1.0)) * g.ext_factor;
                theta_interp * (1.0 - ramp_mix) + theta_extrap * ramp_mix
            }
        }
    }
}

/// Rotates one head vector `v` (its first `2·c.len()` channels) by the
/// angles with cosines `c` and sines `s`, one pair at a time, in `f32`:
/// `(a, b) → (a·c − b·s, a·s + b·c)`.
///
/// ```
/// use inlayer::rope::Layout;
/// let mut v = [1.0f32, 2.0];
/// inlayer::reference::rope::rotate(Layout::Interleaved, &mut v, &[0.0], &[1.0]);
/// assert_eq!(v, [-2.0, 1.0]);
/// ```
pub fn rotate(layout: Layout, v: &mut [f32], c: &[f32], s: &[f32]) {
    let h = c.len();
    for j in 0..h {
        let (ia, ib) = match layout {
            Layout::HalfSplit => (j, j + h),
            Layout::Interleaved => (2 * j, 2 * j + 1),
        };
        let (a, b) = (v[ia], v[ib]);
        v[ia] = a * c[j] - b * s[j];
        v[ib] = a * s[j] + b * c[j];
    }
}

/// The exact rotation of `v` at position `p` by frequencies `omega`, in
/// `f64` (the target the fast kernels' error bound is measured against).
///
/// ```
/// use inlayer::rope::Layout;
/// let mut out = [0.0f64; 2];
/// inlayer::reference::rope::rotate_exact(Layout::HalfSplit, &[1.0, 0.0], 1, &[0.5], 1.0, &mut out);
/// assert!((out[0] - libm::cos(0.5)).abs() < 1e-15);
/// ```
pub fn rotate_exact(
    layout: Layout,
    v: &[f32],
    p: u64,
    omega: &[f64],
    attention: f64,
    out: &mut [f64],
) {
    let h = omega.len();
    for (o, &x) in out.iter_mut().zip(v) {
        *o = f64::from(x);
    }
    for (j, &w) in omega.iter().enumerate() {
        let (ia, ib) = match layout {
            Layout::HalfSplit => (j, j + h),
            Layout::Interleaved => (2 * j, 2 * j + 1),
        };
        let th = angle(p, w);
        let (c, s) = (libm::cos(th) * attention, libm::sin(th) * attention);
        let (a, b) = (f64::from(v[ia]), f64::from(v[ib]));
        out[ia] = a * c - b * s;
        out[ib] = a * s + b * c;
    }
}
