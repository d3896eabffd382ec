//! The fused input layer against the same work in separate passes, timed as
//! the best of many alternating runs (steadier than criterion's medians on a
//! shared machine): the cases of `benches/input.rs` (T = 512, vocabulary
//! 2048), the Transformer layer (`× √d + sinusoidal`) and GPT-2's
//! (`wte + wpe`) next to a plain gather of the token rows. The fused results
//! are checked against the separate passes first.
//!
//! `cargo run --release --example input_speed`; `DECODE=1` times the
//! decode step instead (see `decode`).

use inlayer::formats::{F32Table, Table};
use inlayer::gather::{Epilogue, gather_view};
use inlayer::input::{InputLayer, input_layer};
use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use std::hint::black_box;
use std::time::Instant;

const T: usize = 512;
const VOCAB: usize = 2048;

/// Separate passes: gather·scale → positions into `tmp` → add.
fn separate(
    table: &F32Table<'_>,
    tokens: &[u32],
    scale: f32,
    pe: &Sinusoidal<'_>,
    tmp: &mut [f32],
    out: &mut [f32],
) {
    gather_view(
        table,
        tokens,
        &Epilogue::new().scale(scale),
        out,
        table.dim(),
    )
    .expect("valid");
    pe.rows(0, tmp).expect("whole rows");
    for (o, &p) in out.iter_mut().zip(tmp.iter()) {
        *o += p;
    }
}

/// GPT-2's `wte[token] + wpe[t]` as the bare loop LLVM vectorizes (no
/// validation, no prefetch): the speed of the three streams themselves.
fn bare_sum(wte: &[f32], wpe: &[f32], tokens: &[u32], dim: usize, out: &mut [f32]) {
    for ((o, &tok), p) in out
        .chunks_exact_mut(dim)
        .zip(tokens)
        .zip(wpe.chunks_exact(dim))
    {
        let r = &wte[tok as usize * dim..][..dim];
        for ((o, &a), &b) in o.iter_mut().zip(r).zip(p) {
            *o = a + b;
        }
    }
}

/// `DECODE=1`: the Transformer layer's decode step (`× √d + sinusoidal`,
/// one token at position 77) against the `memcpy` of its token row, from a
/// table the caches hold (64 rows) and from a 512 MiB one (a fresh random
/// row each call), as the sum of 19 × 2000 alternating calls of each.
fn decode() {
    println!(
        "{} build, decode step (T = 1): input layer against the row's memcpy, ns a call",
        inlayer::BACKEND
    );
    for (name, bytes) in [("cache", 0usize), ("DRAM", 512 << 20)] {
        for dim in [512usize, 1024, 4096] {
            let vocab = (bytes / 4 / dim).max(64);
            let wte: Vec<f32> = (0..vocab * dim).map(|i| (i % 977) as f32 * 1e-3).collect();
            let table = F32Table::new(&wte, dim).expect("whole rows");
            let cfg = SinusoidalConfig::transformer();
            let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
            let pe = Sinusoidal::try_new(cfg, dim, &mut turns).expect("valid config");
            let layer = InputLayer::transformer(&pe);
            let mut x = 0x2545_f491_4f6c_dd1d_u64;
            let ids: Vec<u32> = (0..1 << 18)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % vocab as u64) as u32
                })
                .collect();
            let (mut out, mut row) = (vec![0.0f32; dim], vec![0.0f32; dim]);
            let (mut k, mut total) = (0, [0.0f64; 2]);
            for rep in 0..20 {
                for (w, total) in total.iter_mut().enumerate() {
                    let t0 = Instant::now();
                    for _ in 0..2000 {
                        k = (k + 1) % ids.len();
                        let tokens = black_box(&ids[k..k + 1]);
                        if w == 0 {
                            input_layer(&layer, &table, tokens, None, 77, &mut out).expect("valid");
                        } else {
                            let r = tokens[0] as usize * dim;
                            row.copy_from_slice(&wte[r..r + dim]);
                        }
                        black_box((&mut out, &mut row));
                    }
                    // The first round warms up.
                    if rep > 0 {
                        *total += t0.elapsed().as_secs_f64();
                    }
                }
            }
            let ns = |t: f64| t / (19.0 * 2000.0) * 1e9;
            println!(
                "{name:5} D = {dim:4}: input layer {:6.0} ns, row memcpy {:6.0} ns, ratio {:.2}",
                ns(total[0]),
                ns(total[1]),
                total[0] / total[1]
            );
        }
    }
}

fn main() {
    if std::env::var("DECODE").is_ok() {
        decode();
        return;
    }
    println!(
        "{} build, T = {T}, vocabulary {VOCAB} (best of 300 alternating runs)",
        inlayer::BACKEND
    );
    for dim in [384, 768, 4096] {
        let wte: Vec<f32> = (0..VOCAB * dim).map(|i| (i % 977) as f32 * 1e-3).collect();
        let table = F32Table::new(&wte, dim).expect("whole rows");
        let tokens: Vec<u32> = (0..T).map(|i| (i * 7919 % VOCAB) as u32).collect();
        let cfg = SinusoidalConfig::transformer();
        let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
        let pe = Sinusoidal::try_new(cfg, dim, &mut turns).expect("valid config");
        let transformer = InputLayer::transformer(&pe);
        let scale = transformer.scale.expect("the Transformer scales by √d");
        let wpe: Vec<f32> = (0..T * dim).map(|i| (i % 13) as f32 * 1e-2).collect();
        let gpt2 = InputLayer::gpt2(&wpe);
        let (mut out, mut out2, mut tmp) = (
            vec![0.0f32; T * dim],
            vec![0.0f32; T * dim],
            vec![0.0f32; T * dim],
        );

        input_layer(&transformer, &table, &tokens, None, 0, &mut out).expect("valid");
        separate(&table, &tokens, scale, &pe, &mut tmp, &mut out2);
        assert!(
            out.iter()
                .zip(&out2)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );

        let mut best = [f64::MAX; 5];
        for _ in 0..300 {
            for (k, best) in best.iter_mut().enumerate() {
                let t0 = Instant::now();
                let tokens = black_box(&tokens[..]);
                match k {
                    0 => {
                        input_layer(&transformer, &table, tokens, None, 0, &mut out).expect("valid")
                    }
                    1 => separate(&table, tokens, scale, &pe, &mut tmp, &mut out),
                    2 => input_layer(&gpt2, &table, tokens, None, 0, &mut out).expect("valid"),
                    3 => {
                        gather_view(&table, tokens, &Epilogue::new(), &mut out, dim).expect("valid")
                    }
                    _ => bare_sum(&wte, &wpe, tokens, dim, &mut out),
                }
                black_box(&mut out);
                *best = best.min(t0.elapsed().as_secs_f64());
            }
        }
        let g = |k: usize| (T * dim) as f64 / best[k] / 1e9;
        println!(
            "D = {dim:4}: fused {:.2} G/s, separate {:.2} G/s: fused / separate {:.2}x; GPT-2 fused {:.2} G/s, plain gather {:.2} G/s: {:.2}x (bare loop wte + wpe {:.2}x)",
            g(0),
            g(1),
            best[1] / best[0],
            g(2),
            g(3),
            best[3] / best[2],
            best[3] / best[4]
        );
    }
}
