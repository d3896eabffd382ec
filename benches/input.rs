//! The fused input layer against the same work in separate passes (gather,
//! positions into a temporary, add, norm), and GPT-2 style (learned
//! positions) against a plain gather of the token rows.
//!
//! Run: `cargo bench --bench input -- --warm-up-time 1 --measurement-time 2`
//! (and with `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view};
use inlayer::input::{InputLayer, LayerNorm, Positions, input_layer};
use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use std::hint::black_box;

const T: usize = 512;
const VOCAB: usize = 2048;

fn vals(n: usize, seed: u64) -> Vec<f32> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Sum in eight lanes (vectorizes; the same scheme as the fused layer's).
fn sum8(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    for c in x.chunks_exact(8) {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(x.chunks_exact(8).remainder()) {
        *a += f(v);
    }
    acc.iter().sum()
}

/// A separate LayerNorm pass, as fast as the fused one's arithmetic.
fn layer_norm(row: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let d = row.len() as f32;
    let mean = sum8(row, |v| v) / d;
    let var = sum8(row, |v| (v - mean) * (v - mean)) / d;
    let r = 1.0 / (var + eps).sqrt();
    for ((o, &g), &b) in row.iter_mut().zip(g).zip(b) {
        *o = (*o - mean) * r * g + b;
    }
}

/// Separate passes: gather·scale → positions into `tmp` → add → (norm).
#[allow(clippy::too_many_arguments)]
fn separate(
    table: &F32Table<'_>,
    tokens: &[u32],
    scale: f32,
    pe: &Sinusoidal<'_>,
    norm: Option<(&[f32], &[f32])>,
    tmp: &mut [f32],
    out: &mut [f32],
    dim: usize,
) {
    gather_view(table, tokens, &Epilogue::new().scale(scale), out, dim).unwrap();
    pe.rows(0, tmp).unwrap();
    for (o, &p) in out.iter_mut().zip(tmp.iter()) {
        *o += p;
    }
    if let Some((g, b)) = norm {
        for row in out.chunks_exact_mut(dim) {
            layer_norm(row, g, b, 1e-5);
        }
    }
}

fn bench_dim(c: &mut Criterion, dim: usize) {
    let wte = vals(VOCAB * dim, 1);
    let table = F32Table::new(&wte, dim).unwrap();
    let tokens: Vec<u32> = vals(T, 7)
        .iter()
        .map(|v| ((v + 1.0) * 1000.0) as u32 % VOCAB as u32)
        .collect();
    let (g, b) = (vals(dim, 3), vals(dim, 4));
    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let transformer = InputLayer::transformer(&pe);
    let scale = transformer.scale.unwrap();
    let with_norm = InputLayer {
        norm: Some(LayerNorm {
            gamma: &g,
            beta: &b,
            eps: 1e-5,
        }),
        ..transformer
    };
    let wpe = vals(T * dim, 5);
    let gpt2 = InputLayer::gpt2(&wpe);
    let mut out = vec![0.0f32; T * dim];
    let mut out2 = vec![0.0f32; T * dim];
    let mut tmp = vec![0.0f32; T * dim];

    // Check once against the reference / each other.
    for (layer, norm) in [(&transformer, None), (&with_norm, Some((&g[..], &b[..])))] {
        input_layer(layer, &table, &tokens, None, 0, &mut out).unwrap();
        inlayer::reference::input::input_layer(layer, &wte, dim, &tokens, None, 0, &mut out2)
            .unwrap();
        assert!(
            out.iter()
                .zip(&out2)
                .all(|(x, y)| (x - y).abs() <= 1e-3 * (1.0 + y.abs()))
        );
        separate(&table, &tokens, scale, &pe, norm, &mut tmp, &mut out2, dim);
        assert!(
            out.iter()
                .zip(&out2)
                .all(|(x, y)| (x - y).abs() <= 1e-3 * (1.0 + y.abs()))
        );
    }
    input_layer(&gpt2, &table, &tokens, None, 0, &mut out).unwrap();
    inlayer::reference::input::input_layer(&gpt2, &wte, dim, &tokens, None, 0, &mut out2).unwrap();
    assert_eq!(out, out2);
    assert!(matches!(gpt2.positions, Positions::Learned { .. }));

    let mut grp = c.benchmark_group(format!("input_T{T}_D{dim}"));
    grp.throughput(Throughput::Elements((T * dim) as u64));
    grp.bench_function(BenchmarkId::new("fused_scale_sin", dim), |bch| {
        bch.iter(|| {
            input_layer(&transformer, &table, black_box(&tokens), None, 0, &mut out).unwrap()
        });
    });
    grp.bench_function(BenchmarkId::new("separate_scale_sin", dim), |bch| {
        bch.iter(|| {
            separate(
                &table,
                black_box(&tokens),
                scale,
                &pe,
                None,
                &mut tmp,
                &mut out,
                dim,
            )
        });
    });
    grp.bench_function(BenchmarkId::new("fused_scale_sin_norm", dim), |bch| {
        bch.iter(|| {
            input_layer(&with_norm, &table, black_box(&tokens), None, 0, &mut out).unwrap()
        });
    });
    grp.bench_function(BenchmarkId::new("separate_scale_sin_norm", dim), |bch| {
        bch.iter(|| {
            separate(
                &table,
                black_box(&tokens),
                scale,
                &pe,
                Some((&g, &b)),
                &mut tmp,
                &mut out,
                dim,
            )
        });
    });
    grp.bench_function(BenchmarkId::new("gpt2_fused_learned", dim), |bch| {
        bch.iter(|| input_layer(&gpt2, &table, black_box(&tokens), None, 0, &mut out).unwrap());
    });
    grp.bench_function(BenchmarkId::new("plain_gather", dim), |bch| {
        bch.iter(|| {
            gather_view(&table, black_box(&tokens), &Epilogue::new(), &mut out, dim).unwrap()
        });
    });
    grp.finish();
}

fn benches(c: &mut Criterion) {
    for dim in [384, 768, 4096] {
        bench_dim(c, dim);
    }
}

criterion_group!(input, benches);
criterion_main!(input);
