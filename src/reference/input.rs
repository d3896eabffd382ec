//! Oracle for the fused input layer, composed from the other oracles:
//! [`gather`](super::gather::gather) for the scaled token rows, the token-type
//! and learned-position rows added element by element, the exact sinusoidal
//! value ([`sinusoidal::value`](super::sinusoidal::value), rounded once to
//! f32), and LayerNorm computed in f64 (rounded once).
//!
//! It shares only the input validation with the fast layer (so both reject
//! the same inputs with the same error); no kernel code.

use crate::Error;
use crate::formats::F32Table;
use crate::input::{InputLayer, Positions};

/// Reference for [`input_layer`](crate::input::input_layer) on a dense f32
/// token table (`table.len() == vocab · dim`).
///
/// ```
/// use inlayer::input::InputLayer;
/// let wte = [1.0f32; 4 * 3];
/// let wpe = [0.5f32; 4 * 2];
/// let mut out = [0.0f32; 4];
/// inlayer::reference::input::input_layer(&InputLayer::gpt2(&wpe), &wte, 4, &[2], None, 1, &mut out)?;
/// assert_eq!(out, [1.5; 4]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// The same as the fast layer.
pub fn input_layer(
    layer: &InputLayer<'_>,
    table: &[f32],
    dim: usize,
    tokens: &[u32],
    types: Option<&[u32]>,
    start_pos: u32,
    out: &mut [f32],
) -> Result<(), Error> {
    let view = F32Table::new(table, dim)?;
    crate::input::validate(layer, &view, tokens, types, start_pos, out)?;
    super::gather::gather(table, dim, tokens, layer.scale, None, None, out)?;
    for (t, row) in out.chunks_exact_mut(dim).enumerate() {
        if let (Some(tt), Some(ty)) = (layer.token_types, types) {
            let src = &tt[ty[t] as usize * dim..][..dim];
            for (o, &x) in row.iter_mut().zip(src) {
                *o += x;
            }
        }
        let p = start_pos + t as u32;
        match layer.positions {
            Positions::None => {}
            Positions::Sinusoidal(pe) => {
                let cfg = pe.config();
                for (col, o) in row.iter_mut().enumerate() {
                    *o += super::sinusoidal::value(cfg, dim, cfg.first_position + p, col) as f32;
                }
            }
            Positions::Learned { table: wpe, first } => {
                let src = &wpe[(first + p) as usize * dim..][..dim];
                for (o, &x) in row.iter_mut().zip(src) {
                    *o += x;
                }
            }
        }
        if let Some(n) = layer.norm {
            let d = dim as f64;
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / d;
            let var = row
                .iter()
                .map(|&v| (f64::from(v) - mean) * (f64::from(v) - mean))
                .sum::<f64>()
                / d;
            let rstd = 1.0 / libm::sqrt(var + f64::from(n.eps));
            for ((o, &g), &b) in row.iter_mut().zip(n.gamma).zip(n.beta) {
                *o = ((f64::from(*o) - mean) * rstd * f64::from(g) + f64::from(b)) as f32;
            }
        }
    }
    Ok(())
}
