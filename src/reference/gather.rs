//! Reference gather and its backward: one element at a time, straight from
//! the definition `out[t][j] = table[tokens[t]][j] * scale + add[t][j]`.
//!
//! Validation order and error values are the same as the fast kernels', so
//! the two can be compared on bad input too.

use crate::Error;

/// Reference for [`gather_view`](crate::gather::gather_view) on a dense f32
/// table (`table.len() == vocab * dim`) with a dense output
/// (`out.len() == tokens.len() * dim`).
///
/// `scale`, `add` and `padding_id` mean what they mean in
/// [`Epilogue`](crate::gather::Epilogue).
///
/// ```
/// let table = [1.0f32, 2.0, 3.0, 4.0];
/// let mut out = [0.0f32; 2];
/// inlayer::reference::gather::gather(&table, 2, &[1], Some(2.0), None, None, &mut out)?;
/// assert_eq!(out, [6.0, 8.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// The same as the fast kernels: bad shape, length or id.
pub fn gather(
    table: &[f32],
    dim: usize,
    tokens: &[u32],
    scale: Option<f32>,
    add: Option<&[f32]>,
    padding_id: Option<u32>,
    out: &mut [f32],
) -> Result<(), Error> {
    let vocab = rows_of(table.len(), dim)?;
    check_rows_out(tokens, dim, vocab, add, padding_id, out.len())?;
    for t in 0..tokens.len() {
        let tok = tokens[t];
        for j in 0..dim {
            let mut x;
            if Some(tok) == padding_id {
                // A padding token contributes a zero embedding: no scale.
                x = 0.0;
            } else {
                x = table[tok as usize * dim + j];
                if let Some(s) = scale {
                    x *= s;
                }
            }
            if let Some(a) = add {
                x += a[t * dim + j];
            }
            out[t * dim + j] = x;
        }
    }
    Ok(())
}

/// Reference for [`gather_backward_dyn`](crate::gather::gather_backward_dyn):
/// `grad_table[tokens[t]][j] += grad_out[t][j]`, in token order, padding
/// skipped.
///
/// ```
/// let mut g = [0.0f32; 2];
/// inlayer::reference::gather::gather_backward(&[1.0, 2.0], &[0, 0], 1, None, &mut g)?;
/// assert_eq!(g, [3.0, 0.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// The same as the fast kernel.
pub fn gather_backward(
    grad_out: &[f32],
    tokens: &[u32],
    dim: usize,
    padding_id: Option<u32>,
    grad_table: &mut [f32],
) -> Result<(), Error> {
    let vocab = rows_of(grad_table.len(), dim)?;
    let need = tokens.len().checked_mul(dim).ok_or(Error::Overflow)?;
    if grad_out.len() != need {
        return Err(Error::LengthMismatch {
            what: "grad_out",
            expected: need,
            actual: grad_out.len(),
        });
    }
    check_ids(tokens, vocab, padding_id)?;
    for t in 0..tokens.len() {
        let tok = tokens[t];
        if Some(tok) == padding_id {
            continue;
        }
        for j in 0..dim {
            grad_table[tok as usize * dim + j] += grad_out[t * dim + j];
        }
    }
    Ok(())
}

fn rows_of(len: usize, dim: usize) -> Result<usize, Error> {
    if dim == 0 {
        return Err(Error::InvalidShape {
            what: "dim",
            value: 0,
        });
    }
    if !len.is_multiple_of(dim) {
        return Err(Error::NotWholeRows {
            len: len * 4,
            row_bytes: dim * 4,
        });
    }
    Ok(len / dim)
}

/// The checks every reference gather makes after the table's shape, in the
/// fast kernels' order: `out` and the add rows hold `tokens.len() * width`
/// values, then every id is a row or the padding id.
pub(crate) fn check_rows_out(
    tokens: &[u32],
    width: usize,
    vocab: usize,
    add: Option<&[f32]>,
    padding_id: Option<u32>,
    out_len: usize,
) -> Result<(), Error> {
    let need = tokens.len().checked_mul(width).ok_or(Error::Overflow)?;
    if out_len != need {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: need,
            actual: out_len,
        });
    }
    if let Some(a) = add
        && a.len() != need
    {
        return Err(Error::LengthMismatch {
            what: "add",
            expected: need,
            actual: a.len(),
        });
    }
    check_ids(tokens, vocab, padding_id)
}

fn check_ids(tokens: &[u32], vocab: usize, padding_id: Option<u32>) -> Result<(), Error> {
    for (index, &token) in tokens.iter().enumerate() {
        if Some(token) != padding_id && token as usize >= vocab {
            return Err(Error::TokenOutOfRange {
                index,
                token,
                vocab,
            });
        }
    }
    Ok(())
}
