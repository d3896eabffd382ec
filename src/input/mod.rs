//! The fused input layer, one pass over the output:
//! `out[t] = table[tokens[t]] · scale + position(first + start_pos + t)
//! [+ type_table[types[t]]]`, then optionally LayerNorm(gamma, beta, eps).
//!
//! Each row is built in the caller's buffer and finished while it is in L1:
//! the token row is read (or decoded, for any [`Table`] format) and scaled
//! into `out`, the token-type row and the position are added, and the row is
//! normalised, before the next row starts. No temporary buffers.
//!
//! Positions ([`Positions`]): sinusoidal (any variant, through a
//! [`Sinusoidal`] plan), a learned table (BERT, GPT-2: bound-checked), or
//! none (models whose positions live in attention: RoPE, ALiBi, T5).
//!
//! Model presets ([`InputLayer`] constructors): BERT, GPT-2, the
//! Transformer paper, Gemma (with either scale convention), BLOOM.
//! Reference: [`reference::input`](crate::reference::input).
//!
//! Accuracy: without a sinusoidal position and without LayerNorm the result
//! is bit-identical to the reference (same IEEE operations in the same
//! order); the sinusoidal term carries its [`MAX_ABS_ERR`](crate::sinusoidal::MAX_ABS_ERR);
//! LayerNorm sums in f32 lanes (relative error ~`D · 2^-24` on the
//! statistics).

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
mod kernel;
#[cfg(all(test, target_arch = "x86_64"))]
pub(crate) use kernel::{combine_k, norm_apply, norm_stats};

pub(crate) use kernel::validate;

use crate::Error;
use crate::formats::Table;
use crate::gather::{Epilogue, gather_view};
use crate::sinusoidal::{Sinusoidal, TableKernel};

/// Where the position term comes from.
#[derive(Clone, Copy, Debug)]
pub enum Positions<'a> {
    /// No position term (RoPE, ALiBi, T5 relative buckets, Gemma, BLOOM).
    None,
    /// A sinusoidal encoding; positions start at its config's
    /// `first_position` (fairseq: `padding_idx + 1`).
    Sinusoidal(&'a Sinusoidal<'a>),
    /// A learned position table (BERT `position_embeddings`, GPT-2 `wpe`):
    /// dense rows of the model width; position `first + start_pos + t` must
    /// be a row of it.
    Learned {
        /// The table, `rows · dim` values.
        table: &'a [f32],
        /// Position of the first token (0 for BERT/GPT-2; RoBERTa uses
        /// `padding_idx + 1 = 2`).
        first: u32,
    },
}

/// From this many tokens on, a sinusoidal position is written by the
/// multi-row kernel (the angle addition of the plan's table kernel).
const PE_TABLE_MIN_ROWS: usize = crate::sinusoidal::ROTATE_MIN_ROWS;

/// LayerNorm parameters: `y = (x − mean) / sqrt(var + eps) · gamma + beta`
/// (biased variance, as PyTorch).
#[derive(Clone, Copy, Debug)]
pub struct LayerNorm<'a> {
    /// Scale, one per column.
    pub gamma: &'a [f32],
    /// Shift, one per column.
    pub beta: &'a [f32],
    /// Added to the variance (finite and `>= 0`).
    pub eps: f32,
}

/// A fused input layer: what to add to the scaled token rows, and the
/// optional norm.
///
/// ```
/// use inlayer::input::{InputLayer, Positions};
/// let wpe = [0.5f32; 4 * 8]; // 8 learned positions of width 4
/// let layer = InputLayer::gpt2(&wpe);
/// assert!(matches!(layer.positions, Positions::Learned { first: 0, .. }));
/// assert_eq!(layer.scale, None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct InputLayer<'a> {
    /// Multiplies each token row (`None`: 1, no multiply).
    pub scale: Option<f32>,
    /// The position term.
    pub positions: Positions<'a>,
    /// Token-type (segment) table, dense rows of the model width (BERT).
    pub token_types: Option<&'a [f32]>,
    /// Optional LayerNorm after the sum (BERT, BLOOM).
    pub norm: Option<LayerNorm<'a>>,
}

impl<'a> InputLayer<'a> {
    /// Token rows only (scale 1, no positions, no norm).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            scale: None,
            positions: Positions::None,
            token_types: None,
            norm: None,
        }
    }

    /// BERT: word + learned position + token type, then LayerNorm
    /// (`eps = 1e-12`).
    #[must_use]
    pub const fn bert(
        position_embeddings: &'a [f32],
        token_type_embeddings: &'a [f32],
        gamma: &'a [f32],
        beta: &'a [f32],
    ) -> Self {
        Self {
            scale: None,
            positions: Positions::Learned {
                table: position_embeddings,
                first: 0,
            },
            token_types: Some(token_type_embeddings),
            norm: Some(LayerNorm {
                gamma,
                beta,
                eps: 1e-12,
            }),
        }
    }

    /// GPT-2: `wte[token] + wpe[position]`.
    #[must_use]
    pub const fn gpt2(wpe: &'a [f32]) -> Self {
        Self {
            positions: Positions::Learned {
                table: wpe,
                first: 0,
            },
            ..Self::new()
        }
    }

    /// The Transformer paper: `embedding · √d_model + sinusoidal(position)`.
    #[must_use]
    pub fn transformer(pe: &'a Sinusoidal<'a>) -> Self {
        Self {
            scale: Some(libm::sqrtf(pe.dim() as f32)),
            positions: Positions::Sinusoidal(pe),
            ..Self::new()
        }
    }

    /// Gemma: `embedding · √d_model`, no position term (RoPE is applied in
    /// attention). `bf16_scale = true` matches Hugging Face, which rounds
    /// `√d` to the activation dtype (bf16: 55.5 instead of 55.4256 for
    /// `d = 3072`); `false` matches llama.cpp (f32 `√d`).
    ///
    /// ```
    /// use inlayer::input::InputLayer;
    /// assert_eq!(InputLayer::gemma(3072, true).scale, Some(55.5));
    /// assert_eq!(InputLayer::gemma(3072, false).scale, Some(55.425_626));
    /// ```
    #[must_use]
    pub fn gemma(d_model: usize, bf16_scale: bool) -> Self {
        let s = libm::sqrtf(d_model as f32);
        Self {
            scale: Some(if bf16_scale { round_to_bf16(s) } else { s }),
            ..Self::new()
        }
    }

    /// BLOOM: word embeddings, then `word_embeddings_layernorm`
    /// (`eps = 1e-5`); ALiBi positions live in attention.
    #[must_use]
    pub const fn bloom(gamma: &'a [f32], beta: &'a [f32]) -> Self {
        Self {
            norm: Some(LayerNorm {
                gamma,
                beta,
                eps: 1e-5,
            }),
            ..Self::new()
        }
    }
}

impl Default for InputLayer<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// `x` rounded to the nearest bfloat16 (ties to even), back in f32.
#[must_use]
pub const fn round_to_bf16(x: f32) -> f32 {
    let b = x.to_bits();
    let r = b.wrapping_add(0x7FFF + ((b >> 16) & 1)) & 0xFFFF_0000;
    f32::from_bits(r)
}

/// Runs the fused input layer for `tokens` at positions
/// `start_pos, start_pos + 1, …` (prefill: many tokens; decode: one), into
/// dense rows of `out` (`out.len() == tokens.len() · table.dim()`).
///
/// ```
/// use inlayer::formats::F32Table;
/// use inlayer::input::{InputLayer, input_layer};
/// let wte = [[1.0f32; 4]; 10];
/// let wpe = [[0.25f32; 4]; 8];
/// let layer = InputLayer::gpt2(wpe.as_flattened());
/// let mut out = [0.0f32; 2 * 4];
/// input_layer(&layer, &F32Table::from_rows(&wte), &[3, 9], None, 5, &mut out)?;
/// assert_eq!(out, [1.25; 8]);
/// // Position 8 is past the 8-row table: an error, and `out` is untouched.
/// assert!(input_layer(&layer, &F32Table::from_rows(&wte), &[3], None, 8, &mut out[..4]).is_err());
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] for a buffer of the wrong length (`out`,
/// `types`, `gamma`, `beta`, or a sinusoidal plan of another width),
/// [`Error::NotWholeRows`] for a position or type table that is not whole
/// rows, [`Error::TokenOutOfRange`] for a bad token or type id,
/// [`Error::PositionOutOfRange`] for a position past a learned table or
/// `u32::MAX`, [`Error::InvalidConfig`] for a bad `eps`. On error `out`
/// is unchanged.
pub fn input_layer<T: Table + ?Sized>(
    layer: &InputLayer<'_>,
    table: &T,
    tokens: &[u32],
    types: Option<&[u32]>,
    start_pos: u32,
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = table.dim();
    kernel::validate(layer, table, tokens, types, start_pos, out)?;
    // Learned positions without token types (GPT-2): the position rows of
    // consecutive tokens are consecutive rows of the table, so this is the
    // gather with its fused `× scale + add` epilogue, in one pass.
    if let Positions::Learned { table: wpe, first } = layer.positions
        && layer.token_types.is_none()
    {
        // Validated: positions `first + start_pos ..` are rows of `wpe`
        // (with no tokens nothing is checked, and the sum may not even fit
        // a 32-bit `usize`: then there are no rows to add).
        let p0 = usize::try_from(u64::from(first) + u64::from(start_pos)).ok();
        let rows = p0
            .and_then(|p| p.checked_mul(dim))
            .and_then(|p0| wpe.get(p0..p0.checked_add(tokens.len() * dim)?))
            .unwrap_or(&[]);
        let epilogue = Epilogue {
            scale: layer.scale,
            add: Some(rows),
            padding_id: None,
        };
        gather_view(table, tokens, &epilogue, out, dim)?;
        normalize(layer, out, dim);
        return Ok(());
    }
    // Prefill with a sinusoidal position (no token types): two passes over
    // `out`, no temporary. Native rows: the table kernel writes the
    // encodings, then the gather adds the scaled token rows onto them (a
    // store-only table pass, and one sequential read of `out`: [512][384]
    // 1.16 → 1.26× the separate passes). Decoded rows: the gather writes the
    // scaled rows, then the table kernel adds the encodings in place.
    if let Positions::Sinusoidal(pe) = layer.positions
        && pe.table_kernel() == TableKernel::Rotation
        && tokens.len() >= PE_TABLE_MIN_ROWS
        && layer.token_types.is_none()
    {
        let start = pe.config().first_position + start_pos;
        if let Some(rows) = table.f32_rows() {
            pe.rows(start, out)?;
            // LayerNorm on each row as soon as it is summed, while in L1
            // (a separate pass re-read `out`: [512][384] and [512][768],
            // default build, 1.60–1.62 → 1.65 and 1.72–1.78 → 1.81 G
            // elem/s in `benches/input.rs`).
            use crate::gather::accumulate_rows;
            match layer.norm {
                Some(n) => accumulate_rows(rows, dim, tokens, layer.scale, out, |r| {
                    kernel::layer_norm(r, &n);
                }),
                None => accumulate_rows(rows, dim, tokens, layer.scale, out, |_| {}),
            }
            return Ok(());
        }
        let scale = Epilogue {
            scale: layer.scale,
            ..Epilogue::new()
        };
        gather_view(table, tokens, &scale, out, dim)?;
        pe.add_rows(start, out);
        normalize(layer, out, dim);
        return Ok(());
    }
    // Other prefills with a sinusoidal position: the table kernel writes all
    // encodings first, then each row adds its token part and is normalised
    // while in cache. Short runs, decode and plans with
    // `TableKernel::PerRow` add the one-row kernel's encoding to each row
    // (the same bits as writing it first: `(x · s) + pe` either way).
    let pe_in_row = match layer.positions {
        Positions::Sinusoidal(pe)
            if pe.table_kernel() == TableKernel::Rotation && tokens.len() >= PE_TABLE_MIN_ROWS =>
        {
            pe.rows(pe.config().first_position + start_pos, out)?;
            true
        }
        _ => false,
    };
    // Validated above: `dim > 0` and one row per token (and per type), so
    // `max(1)`, `zip` and `get` change nothing but leave no panic path.
    for ((t, row), &token) in out.chunks_exact_mut(dim.max(1)).enumerate().zip(tokens) {
        let ty = types.and_then(|ty| ty.get(t).copied());
        kernel::row(
            layer,
            table,
            token,
            ty,
            start_pos + t as u32,
            pe_in_row,
            row,
        );
    }
    Ok(())
}

/// The layer's LayerNorm, if any, on every row of `out` (validated: `dim > 0`;
/// `max(1)` only removes a panic path).
fn normalize(layer: &InputLayer<'_>, out: &mut [f32], dim: usize) {
    if let Some(n) = layer.norm {
        for row in out.chunks_exact_mut(dim.max(1)) {
            kernel::layer_norm(row, &n);
        }
    }
}

/// Fixed-shape twin of [`input_layer`]: `out` is `[[f32; D]]` rows.
///
/// ```
/// use inlayer::formats::F32Table;
/// use inlayer::input::{InputLayer, input_layer_rows};
/// let wte = [[2.0f32; 4]; 3];
/// let mut out = [[0.0f32; 4]; 1];
/// input_layer_rows(&InputLayer::gemma(4, false), &F32Table::from_rows(&wte), &[1], None, 0, &mut out)?;
/// assert_eq!(out, [[4.0; 4]]); // 2 · √4
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`input_layer`], plus [`Error::LengthMismatch`] if `table.dim() != D`.
pub fn input_layer_rows<T: Table + ?Sized, const D: usize>(
    layer: &InputLayer<'_>,
    table: &T,
    tokens: &[u32],
    types: Option<&[u32]>,
    start_pos: u32,
    out: &mut [[f32; D]],
) -> Result<(), Error> {
    if table.dim() != D {
        return Err(Error::LengthMismatch {
            what: "table.dim()",
            expected: D,
            actual: table.dim(),
        });
    }
    input_layer(
        layer,
        table,
        tokens,
        types,
        start_pos,
        out.as_flattened_mut(),
    )
}
