//! The fused input layer's validation and row kernel.
//!
//! Algorithm per row: token row · scale (read in place when the table holds
//! f32, else decoded into the row and scaled), `+ type row`, `+ position`
//! (sinusoidal: the one-row f32 kernel adding into the row; learned: a
//! row add), then LayerNorm with statistics summed in 32 f32 lanes in a
//! fixed order (so every backend gives the same bits). Element-wise steps are
//! plain IEEE adds and multiplies in the reference's order.
//!
//! Prefills of 32 tokens or more with a sinusoidal position are not done row
//! by row (see `input_layer`): the sinusoidal table kernel writes the
//! encodings and the gather adds the scaled token rows in place (decoded
//! tables: the gather first, then the table kernel adds the encodings; with
//! token types, the table kernel writes the encodings first and each row adds
//! the rest).

use super::{InputLayer, LayerNorm, Positions};
use crate::Error;
use crate::formats::Table;
use crate::simd::F32x8;

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
        let p0 = u64::from(first) + u64::from(start_pos);
        if p0 + t_last >= limit {
            // Positions increase by one per token: the first bad one is at
            // `limit` (or the first token, if it is already past).
            let index = limit.saturating_sub(p0);
            return Err(Error::PositionOutOfRange {
                index: index as usize,
                position: p0 + index,
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
            return Err(Error::InvalidConfig {
                what: "eps",
                value: f64::from(eps),
                bound: "finite and >= 0",
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
/// position before the layer's first-position offset. With `pe_in_row`,
/// the row already holds the sinusoidal encoding of the position (written by
/// the table kernel for the whole prefill) and the token part is added to it.
#[inline]
pub(super) fn row<T: Table + ?Sized>(
    layer: &InputLayer<'_>,
    table: &T,
    token: u32,
    ty: Option<u32>,
    p: u32,
    pe_in_row: bool,
    row: &mut [f32],
) {
    let dim = row.len();
    let tok = token as usize;
    let types = match (layer.token_types, ty) {
        (Some(tt), Some(ty)) => Some(&tt[ty as usize * dim..][..dim]),
        _ => None,
    };
    let learned = match layer.positions {
        Positions::Learned { table: wpe, first } => Some(&wpe[(first + p) as usize * dim..][..dim]),
        _ => None,
    };
    // `f32_row` gives `dim` values: `get` only removes a panic path.
    let mut pe_in_row = pe_in_row;
    if let Some(src) = table.f32_row(tok).and_then(|r| r.get(..dim)) {
        // From a table larger than the caches (on x86_64, whose hint this
        // is): the encoding first, then the token part onto it (the same
        // bits: `(x · s) + pe` either way), with the token row hinted
        // before, so its first lines come from DRAM while the encoding is
        // computed (see `prefetch::read_head`). Elsewhere the row first, as
        // the decoded rows do: one row kernel in the firmware, not two.
        if let (Positions::Sinusoidal(pe), false) = (layer.positions, pe_in_row)
            && cfg!(target_arch = "x86_64")
            && table
                .f32_rows()
                .is_some_and(|d| d.len() >= crate::prefetch::MIN_TABLE_LEN)
        {
            crate::prefetch::read_head(src);
            pe.set_row(pe.config().first_position + p, row);
            pe_in_row = true;
        }
        combine(row, src, 0, layer.scale, types, learned, pe_in_row);
    } else if pe_in_row {
        // Decode in small pieces, so the encoding already in `row` stays.
        let mut buf = [0.0f32; 64];
        for (k, o) in row.chunks_mut(64).enumerate() {
            let b = &mut buf[..o.len()];
            table.decode_into(tok, k * 64, b);
            combine(o, b, k * 64, layer.scale, types, learned, true);
        }
    } else if crate::simd::SIMD_REGISTERS {
        // The scale and the first add row applied by the decoder, before
        // its stores; a second add row (token types, then positions) after.
        let (first, second) = match types {
            Some(t) => (Some(t), learned),
            None => (learned, None),
        };
        table.decode_fused_into(tok, 0, layer.scale, first, row);
        combine_in_place(row, second, None);
    } else {
        // MCUs: in place after the decode (see `gather::decode_row`).
        table.decode_into(tok, 0, row);
        if let Some(s) = layer.scale {
            row.iter_mut().for_each(|o| *o *= s);
        }
        combine_in_place(row, types, learned);
    }
    if let (Positions::Sinusoidal(pe), false) = (layer.positions, pe_in_row) {
        pe.add_row(pe.config().first_position + p, row);
    }
    if let Some(n) = layer.norm {
        layer_norm(row, &n);
    }
}

/// `o = ((x · s) + a) + b [+ o]` over columns `c0 ..` of the add rows, one
/// pass, the reference's order (absent terms skipped).
#[inline(always)]
fn combine(
    o: &mut [f32],
    x: &[f32],
    c0: usize,
    s: Option<f32>,
    a: Option<&[f32]>,
    b: Option<&[f32]>,
    acc: bool,
) {
    let n = o.len();
    let x = &x[..n];
    let a = a.map(|a| &a[c0..c0 + n]);
    let b = b.map(|b| &b[c0..c0 + n]);
    let sv = s.unwrap_or(1.0);
    macro_rules! dispatch {
        ($($S:literal $A:literal $B:literal $C:literal),*) => {
            match (s.is_some(), a.is_some(), b.is_some(), acc) {
                $(($S, $A, $B, $C) => combine_any::<$S, $A, $B, $C>(o, x, sv, a.unwrap_or(x), b.unwrap_or(x)),)*
            }
        };
    }
    dispatch!(
        false false false false, false false false true, false false true false, false false true true,
        false true false false, false true false true, false true true false, false true true true,
        true false false false, true false false true, true false true false, true false true true,
        true true false false, true true false true, true true true false, true true true true
    );
}

/// [`combine_k`] by the AVX2 body where that runs and the build's lanes
/// are narrower (`crate::arch::input_combine`: the same loop on 32-byte
/// vectors, the same bits), else here.
#[inline(always)]
fn combine_any<const S: bool, const A: bool, const B: bool, const ACC: bool>(
    o: &mut [f32],
    x: &[f32],
    s: f32,
    a: &[f32],
    b: &[f32],
) {
    if !crate::arch::input_combine::<S, A, B, ACC>(o, x, s, a, b) {
        combine_k::<S, A, B, ACC>(o, x, s, a, b);
    }
}

/// The loop of [`combine`] for one combination of present terms (absent
/// slices are passed as `x` and never read).
#[inline(always)]
pub(crate) fn combine_k<const S: bool, const A: bool, const B: bool, const ACC: bool>(
    o: &mut [f32],
    x: &[f32],
    s: f32,
    a: &[f32],
    b: &[f32],
) {
    for (((o, &x), &a), &b) in o.iter_mut().zip(x).zip(a).zip(b) {
        let mut v = x;
        if S {
            v *= s;
        }
        if A {
            v += a;
        }
        if B {
            v += b;
        }
        if ACC {
            v += *o;
        }
        *o = v;
    }
}

/// `o = (o + a) + b` (absent terms skipped).
#[inline(always)]
fn combine_in_place(o: &mut [f32], a: Option<&[f32]>, b: Option<&[f32]>) {
    for add in [a, b].into_iter().flatten() {
        for (o, &x) in o.iter_mut().zip(add) {
            *o += x;
        }
    }
}

/// Sum in four [`F32x8`] accumulators (independent chains of adds, so they
/// do not wait on each other's latency), then the four lane by lane and the
/// eight lanes pairwise: a fixed order, the same bits on every target. `f`
/// maps eight values before they are summed; the tail is padded with `pad`,
/// whose image must be `+0.0` (adding it changes no sum that starts at
/// `+0.0`). (Eight scalar lanes, one chain per 16-byte half on SSE2, waited
/// on the add latency: a LayerNorm of a 384-wide row spent most of its time
/// there.)
#[inline(always)]
fn sum32(x: &[f32], pad: f32, f: impl Fn(F32x8) -> F32x8) -> f32 {
    let mut acc = [F32x8::splat(0.0); 4];
    let (whole, rest) = x.as_chunks::<32>();
    let mut tail = [pad; 32];
    for (t, &v) in tail.iter_mut().zip(rest) {
        *t = v;
    }
    for c in whole.iter().chain([&tail]) {
        for (a, c) in acc.iter_mut().zip(c.as_chunks::<8>().0) {
            *a = *a + f(F32x8::load(c));
        }
    }
    let mut l = [0.0f32; 8];
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).store(&mut l);
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// LayerNorm of `row`: the statistics and the normalisation by the AVX2
/// bodies where those run and the build's lanes are narrower
/// (`crate::arch::layer_norm_stats` and `layer_norm_apply`, the same bits),
/// else by [`norm_stats`] and [`norm_apply`].
#[inline]
pub(super) fn layer_norm(row: &mut [f32], n: &LayerNorm<'_>) {
    let (mean, var) = crate::arch::layer_norm_stats(row).unwrap_or_else(|| norm_stats(row));
    let rstd = 1.0 / libm::sqrtf(var + n.eps);
    if !crate::arch::layer_norm_apply(row, mean, rstd, n.gamma, n.beta) {
        norm_apply(row, mean, rstd, n.gamma, n.beta);
    }
}

/// The mean and the variance of `row`, each by [`sum32`].
#[inline]
pub(crate) fn norm_stats(row: &[f32]) -> (f32, f32) {
    let d = row.len() as f32;
    let mean = sum32(row, 0.0, |v| v) / d;
    let m = F32x8::splat(mean);
    (mean, sum32(row, mean, |v| (v - m) * (v - m)) / d)
}

/// `row = ((row - mean) · rstd) · gamma + beta`.
#[inline]
pub(crate) fn norm_apply(row: &mut [f32], mean: f32, rstd: f32, gamma: &[f32], beta: &[f32]) {
    for ((o, &g), &b) in row.iter_mut().zip(gamma).zip(beta) {
        *o = (*o - mean) * rstd * g + b;
    }
}
