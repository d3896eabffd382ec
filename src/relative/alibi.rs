//! ALiBi (Press et al. 2022): per-head slopes and the linear attention bias.
//!
//! Slopes, `n` heads, `c = 2^⌊log2 n⌋`: `m_h = 2^(−8(h+1)/c)` for `h < c`,
//! then `2^(−4(2j+1)/c)` for `j < n − c` (the odd powers of the next power of
//! two) — Press's `get_slopes`, BLOOM's `build_alibi_tensor`, MPT's
//! `build_mpt_alibi_tensor` and ggml's `max_bias` form all give this set in
//! this order. [`alibi_slopes`] evaluates it as one `f64` `exp2` of an exact
//! dyadic exponent, rounded once to `f32` (what Press/MPT's Python floats
//! give); [`alibi_slopes_ggml`] replays the `f32` `powf` chain of ggml and
//! BLOOM (`m0^(h+1)` with `m0 = powf(2, −max_bias/c)` in f32), which differs
//! from the exact value in the last bits for non-power-of-two exponents.
//!
//! Bias: `slope · (j − i)` in f32, the integer offset converted exactly
//! (below 2^24).

use crate::Error;

/// Where the zero of each bias row sits (all are softmax-equivalent per
/// row; they differ in raw magnitude).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlibiOffset {
    /// `−m·(i − j)`, `i` the query's absolute position: the paper's form,
    /// zero on the diagonal, magnitude bounded by the distance (fp16-safe
    /// for the causal part).
    Relative,
    /// `m·j` (Press's code; BLOOM without padding): grows with the key
    /// index (65536 at `m = 0.5`, `j = 131072`: over the fp16 maximum).
    KeyIndex,
    /// `m·(j − (k_len − 1))` (MPT): zero at the last key.
    LastKey,
}

/// Writes the ALiBi slopes of `out.len()` heads, each the correctly rounded
/// `f32` of its exact value.
///
/// ```
/// let mut m = [0.0f32; 8];
/// inlayer::relative::alibi_slopes(&mut m)?;
/// assert_eq!(m, [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]);
/// let mut m = [0.0f32; 12]; // not a power of two: 8 + the odd powers of 16
/// inlayer::relative::alibi_slopes(&mut m)?;
/// assert_eq!(m[8], 2f32.powf(-0.5));
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `out` is empty.
pub fn alibi_slopes(out: &mut [f32]) -> Result<(), Error> {
    let n = out.len();
    if n == 0 {
        return Err(shape_err("heads", 0));
    }
    let c = 1usize << n.ilog2();
    for (h, o) in out.iter_mut().enumerate() {
        // Exponent −8(h+1)/c or −4(2j+1)/c: a dyadic rational, exact in f64.
        let e = if h < c {
            -8.0 * (h + 1) as f64 / c as f64
        } else {
            -4.0 * (2 * (h - c) + 1) as f64 / c as f64
        };
        *o = libm::exp2(e) as f32;
    }
    Ok(())
}

/// Writes ALiBi slopes as ggml computes them (`ggml_compute_forward_soft_max`
/// with `max_bias`; BLOOM's `torch.pow(base, powers)` for `max_bias = 8`):
/// `m0 = powf(2, −max_bias / c)`, `m1 = powf(2, −max_bias / 2 / c)`,
/// slope `m0^(h+1)` for `h < c`, `m1^(2(h−c)+1)` after.
///
/// ```
/// let mut m = [0.0f32; 4];
/// inlayer::relative::alibi_slopes_ggml(8.0, &mut m)?;
/// assert_eq!(m, [0.25, 0.0625, 0.015625, 0.00390625]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `out` is empty; [`Error::InvalidConfig`] if
/// `max_bias` is not finite and `> 0`.
pub fn alibi_slopes_ggml(max_bias: f32, out: &mut [f32]) -> Result<(), Error> {
    let n = out.len();
    if n == 0 {
        return Err(shape_err("heads", 0));
    }
    if !(max_bias.is_finite() && max_bias > 0.0) {
        return Err(Error::InvalidConfig {
            what: "max_bias",
            value: f64::from(max_bias),
            bound: "finite and > 0",
        });
    }
    let c = 1u32 << n.ilog2();
    let m0 = libm::powf(2.0, -max_bias / c as f32);
    let m1 = libm::powf(2.0, -(max_bias / 2.0) / c as f32);
    for (h, o) in out.iter_mut().enumerate() {
        *o = if h < c as usize {
            libm::powf(m0, (h + 1) as f32)
        } else {
            libm::powf(m1, (2 * (h - c as usize) + 1) as f32)
        };
    }
    Ok(())
}

/// Fills `out` (`[heads][q_len][k_len]`, `heads = slopes.len()`) with the
/// ALiBi bias for queries at absolute positions `q_start..q_start + q_len`
/// and keys `0..k_len`.
///
/// ```
/// use inlayer::relative::{alibi_bias, AlibiOffset};
/// let mut b = [0.0f32; 3];
/// // One head, slope 0.5, the query at position 2 (decode), three keys:
/// alibi_bias(&[0.5], 2, 1, 3, AlibiOffset::Relative, &mut b)?;
/// assert_eq!(b, [-1.0, -0.5, 0.0]);
/// alibi_bias(&[0.5], 2, 1, 3, AlibiOffset::KeyIndex, &mut b)?;
/// assert_eq!(b, [0.0, 0.5, 1.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `slopes` is empty or a position or length
/// reaches 2^24 (where `f32` stops holding integers exactly);
/// [`Error::LengthMismatch`] if `out` is not `heads · q_len · k_len` long.
/// On error `out` is unchanged.
pub fn alibi_bias(
    slopes: &[f32],
    q_start: u32,
    q_len: usize,
    k_len: usize,
    offset: AlibiOffset,
    out: &mut [f32],
) -> Result<(), Error> {
    const EXACT: u64 = 1 << 24;
    if slopes.is_empty() {
        return Err(shape_err("heads", 0));
    }
    if u64::from(q_start) + q_len as u64 > EXACT {
        return Err(shape_err(
            "q_start + q_len",
            (q_start as usize).saturating_add(q_len),
        ));
    }
    if k_len as u64 > EXACT {
        return Err(shape_err("k_len", k_len));
    }
    let need = slopes
        .len()
        .checked_mul(q_len)
        .and_then(|x| x.checked_mul(k_len))
        .ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: need,
            actual: out.len(),
        });
    }
    if need == 0 {
        return Ok(());
    }
    let last = k_len as i64 - 1;
    for (&m, head) in slopes
        .iter()
        .zip(out.chunks_exact_mut((q_len * k_len).max(1)))
    {
        for (qi, row) in head.chunks_exact_mut(k_len.max(1)).enumerate() {
            let i = i64::from(q_start) + qi as i64;
            let zero = match offset {
                AlibiOffset::Relative => i,
                AlibiOffset::KeyIndex => 0,
                AlibiOffset::LastKey => last,
            };
            for (j, o) in row.iter_mut().enumerate() {
                *o = m * (j as i64 - zero) as f32;
            }
        }
    }
    Ok(())
}

#[cold]
fn shape_err(what: &'static str, value: usize) -> Error {
    Error::InvalidShape { what, value }
}
