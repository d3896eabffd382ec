//! The fused input layer's validation and row kernel.
//!
//! Algorithm per row: token row · scale (read in place when the table holds
//! f32, else decoded into the row and scaled), `+ type row`, `+ position`
//! (sinusoidal: the f32-polynomial kernel adding into the row; learned: a
//! row add), then LayerNorm with statistics summed in eight f32 lanes in a
//! fixed order (so every backend gives the same bits). Element-wise steps are
//! plain IEEE adds and multiplies in the reference's order.

use super::{InputLayer, LayerNorm, Positions};
use crate::Error;
use crate::formats::Table;

/// Checks every length, id and position before anything is written.
pub(crate) fn validate<T: Table + ?Sized>(
    layer: &InputLayer<'_>,
    table: &T,
    tokens: &[u32],
    types: Option<&[u32]>,
    start_pos: u32,
    out: &[f32],
) -> Result<(), Error> {
    let dim = table.dim();
    if dim == 0 {
        return Err(Error::InvalidShape {
            what: "dim",
            value: 0,
        });
    }
    let need = tokens.len().checked_mul(dim).ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(len_err("out", need, out.len()));
    }
    let vocab = table.rows();
    if let Some((index, &token)) = tokens
        .iter()
        .enumerate()
        .find(|&(_, &t)| t as usize >= vocab)
    {
        return Err(Error::TokenOutOfRange {
            index,
            token,
            vocab,
        });
    }
    match (layer.token_types, types) {
        (Some(tt), Some(ty)) => {
            if ty.len() != tokens.len() {
                return Err(len_err("types", tokens.len(), ty.len()));
            }
            let n = whole(tt.len(), dim)?;
            if let Some((index, &token)) = ty.iter().enumerate().find(|&(_, &t)| t as usize >= n) {
                return Err(Error::TokenOutOfRange {
                    index,
                    token,
                    vocab: n,
                });
            }
        }
        (Some(_), None) => return Err(len_err("types", tokens.len(), 0)),
        (None, Some(ty)) => return Err(len_err("types", 0, ty.len())),
        (None, None) => {}
    }
    // The last position, in u64 (no overflow).
    let t_last = tokens.len().saturating_sub(1) as u64;
    let (first, limit) = match layer.positions {
        Positions::None => (0, 1u64 << 32),
        Positions::Sinusoidal(pe) => {
            if pe.dim() != dim {
                return Err(len_err("sinusoidal dim", dim, pe.dim()));
            }
            (pe.config().first_position, 1 << 32)
        }
        Positions::Learned { table: wpe, first } => (first, whole(wpe.len(), dim)? as u64),
    };
    if !tokens.is_empty() {
        let last = u64::from(first) + u64::from(start_pos) + t_last;
        if last >= limit {
            return Err(Error::PositionOutOfRange {
                position: last,
                limit,
            });
        }
    }
    if let Some(LayerNorm { gamma, beta, eps }) = layer.norm {
        if gamma.len() != dim {
            return Err(len_err("gamma", dim, gamma.len()));
        }
        if beta.len() != dim {
            return Err(len_err("beta", dim, beta.len()));
        }
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::InvalidParameter {
                what: "eps",
                value_bits: f64::from(eps).to_bits(),
                expected: "finite and >= 0",
            });
        }
    }
    Ok(())
}

#[cold]
fn len_err(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        actual,
    }
}

fn whole(len: usize, dim: usize) -> Result<usize, Error> {
    if len.is_multiple_of(dim) {
        Ok(len / dim)
    } else {
        Err(Error::NotWholeRows {
            len,
            row_bytes: dim,
        })
    }
}

/// Builds one output row (all inputs validated). `p` is the token's
/// position before the layer's first-position offset.
#[inline]
pub(super) fn row<T: Table + ?Sized>(
    layer: &InputLayer<'_>,
    table: &T,
    token: u32,
    ty: Option<u32>,
    p: u32,
    row: &mut [f32],
) {
    let dim = row.len();
    let tok = token as usize;
    match (table.f32_row(tok), layer.scale) {
        (Some(src), Some(s)) => {
            for (o, &x) in row.iter_mut().zip(src) {
                *o = x * s;
            }
        }
        (Some(src), None) => row.copy_from_slice(&src[..dim]),
        (None, scale) => {
            table.decode_into(tok, 0, row);
            if let Some(s) = scale {
                for o in row.iter_mut() {
                    *o *= s;
                }
            }
        }
    }
    if let (Some(tt), Some(ty)) = (layer.token_types, ty) {
        add(row, &tt[ty as usize * dim..][..dim]);
    }
    match layer.positions {
        Positions::None => {}
        Positions::Sinusoidal(pe) => pe.add_row(pe.config().first_position + p, row),
        Positions::Learned { table: wpe, first } => {
            add(row, &wpe[(first + p) as usize * dim..][..dim]);
        }
    }
    if let Some(n) = layer.norm {
        layer_norm(row, &n);
    }
}

#[inline(always)]
fn add(row: &mut [f32], src: &[f32]) {
    for (o, &x) in row.iter_mut().zip(src) {
        *o += x;
    }
}

/// Sum in eight lanes, then the lanes pairwise: a fixed order.
#[inline(always)]
fn sum8(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(v);
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

#[inline]
fn layer_norm(row: &mut [f32], n: &LayerNorm<'_>) {
    let d = row.len() as f32;
    let mean = sum8(row, |v| v) / d;
    let var = sum8(row, |v| (v - mean) * (v - mean)) / d;
    let rstd = 1.0 / libm::sqrtf(var + n.eps);
    for ((o, &g), &b) in row.iter_mut().zip(n.gamma).zip(n.beta) {
        *o = (*o - mean) * rstd * g + b;
    }
}
