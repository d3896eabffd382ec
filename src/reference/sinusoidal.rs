//! Oracle for [`sinusoidal`](crate::sinusoidal): the exact definition,
//! written for obviousness.
//!
//! `ω_i` is the f64 frequency of [`Schedule`] (same formula, evaluated here
//! independently). The angle `p · ω_i` is formed exactly as a double-double
//! (`libm::fma`), reduced modulo 2π against a three-part 2π (each product
//! exact by `fma`), and passed to `libm::sin`/`libm::cos`. Error of the f64
//! value: below 1e-15 absolute for every `p < 2^32` and `ω_i < 2^20`; the f32
//! output is rounded once. No code of the fast kernels is used (only the
//! config's validation, so that both reject the same configs).

use crate::Error;
use crate::sinusoidal::{Layout, OddWidth, Schedule, SinusoidalConfig};

/// `2π = TAU1 + TAU2 + TAU3` to about 160 bits.
const TAU1: f64 = core::f64::consts::TAU;
const TAU2: f64 = 2.449_293_598_294_706_4e-16;
const TAU3: f64 = -5.989_539_619_436_679e-33;

/// The f64 frequency `ω_i` of `cfg` at width `dim`.
///
/// ```
/// use inlayer::sinusoidal::SinusoidalConfig;
/// let w = inlayer::reference::sinusoidal::omega(&SinusoidalConfig::transformer(), 512, 0);
/// assert_eq!(w, 1.0);
/// ```
#[must_use]
pub fn omega(cfg: &SinusoidalConfig, dim: usize, i: usize) -> f64 {
    match cfg.schedule {
        Schedule::Base(b) => libm::pow(b, -((2 * i) as f64) / dim as f64),
        Schedule::Timescales { min, max } => {
            let h = if dim / 2 > 1 { dim / 2 - 1 } else { 1 };
            min * libm::exp(-(i as f64) * (libm::log(max / min) / h as f64))
        }
    }
}

/// `p · w` reduced to `[-π, π]` (about), as a double-double `(hi, lo)`.
fn reduce(p: u32, w: f64) -> (f64, f64) {
    let p = f64::from(p);
    let hi = p * w;
    let lo = libm::fma(p, w, -hi);
    let k = libm::round(hi / TAU1);
    let a = k * TAU1;
    let b = libm::fma(k, TAU1, -a);
    let c = k * TAU2;
    let d = libm::fma(k, TAU2, -c);
    let e = k * TAU3;
    let r = hi - a;
    let r_lo = lo - b - c - d - e;
    let s = r + r_lo;
    (s, r_lo - (s - r))
}

/// `(sin, cos)` of the exact angle `p · w` (f64, error < 1e-15).
///
/// ```
/// let (s, c) = inlayer::reference::sinusoidal::sincos_exact(1_000_000, 1.0);
/// assert!((s - (-0.34999350217129294f64)).abs() < 1e-15);
/// assert!((c - 0.9367521275331447f64).abs() < 1e-15);
/// ```
#[must_use]
pub fn sincos_exact(p: u32, w: f64) -> (f64, f64) {
    let (r, r_lo) = reduce(p, w);
    let (s, c) = (libm::sin(r), libm::cos(r));
    (s + r_lo * c, c - r_lo * s)
}

/// The exact value (f64) of column `col` of the encoding of position `p`.
///
/// ```
/// use inlayer::sinusoidal::SinusoidalConfig;
/// let v = inlayer::reference::sinusoidal::value(&SinusoidalConfig::transformer(), 4, 0, 1);
/// assert_eq!(v, 1.0); // cos(0)
/// ```
#[must_use]
pub fn value(cfg: &SinusoidalConfig, dim: usize, p: u32, col: usize) -> f64 {
    if cfg.padding_row == Some(p) {
        return 0.0;
    }
    let n_cos = dim / 2;
    let n_sin = if dim % 2 == 1 && cfg.odd == OddWidth::ExtraSin {
        n_cos + 1
    } else {
        n_cos
    };
    // (frequency index, is_sin) of the column, or None for a zero column.
    let which = match cfg.layout {
        Layout::Interleaved => {
            let i = col / 2;
            if col.is_multiple_of(2) && i < n_sin {
                Some((i, true))
            } else if col % 2 == 1 && i < n_cos {
                Some((i, false))
            } else {
                None
            }
        }
        Layout::Halves => {
            if col < n_sin {
                Some((col, true))
            } else if col < n_sin + n_cos {
                Some((col - n_sin, false))
            } else {
                None
            }
        }
    };
    match which {
        None => 0.0,
        Some((i, is_sin)) => {
            let (s, c) = sincos_exact(p, omega(cfg, dim, i));
            if is_sin { s } else { c }
        }
    }
}

/// Reference for [`sinusoidal_rows_dyn`](crate::sinusoidal::sinusoidal_rows_dyn):
/// every value from [`value`], rounded once to f32.
///
/// ```
/// use inlayer::sinusoidal::SinusoidalConfig;
/// let mut out = [0.0f32; 8];
/// inlayer::reference::sinusoidal::sinusoidal_rows(&SinusoidalConfig::transformer(), 4, 0, &mut out)?;
/// assert_eq!(out[..4], [0.0, 1.0, 0.0, 1.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// The same as the fast kernel: bad config, ragged `out`, positions past `u32::MAX`.
pub fn sinusoidal_rows(
    cfg: &SinusoidalConfig,
    dim: usize,
    start: u32,
    out: &mut [f32],
) -> Result<(), Error> {
    cfg.validate(dim)?;
    if !out.len().is_multiple_of(dim) {
        return Err(Error::NotWholeRows {
            len: out.len(),
            row_bytes: dim,
        });
    }
    let rows = out.len() / dim;
    if rows > 0 && u64::from(start) + rows as u64 - 1 > u64::from(u32::MAX) {
        return Err(Error::PositionOutOfRange {
            index: ((1u64 << 32) - u64::from(start)) as usize,
            position: 1 << 32,
            limit: 1 << 32,
        });
    }
    for (t, row) in out.chunks_exact_mut(dim).enumerate() {
        for (col, v) in row.iter_mut().enumerate() {
            *v = value(cfg, dim, start + t as u32, col) as f32;
        }
    }
    Ok(())
}
