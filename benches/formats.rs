//! Decode-gather throughput per table format, in f32 output elements/s,
//! against the f32 per-row `memcpy` limit for the same output, a scalar
//! per-element decode (the reference dequantizer, row by row) and, for
//! f16/bf16, `half`'s slice conversion.
//!
//! `cargo bench --bench formats -- --warm-up-time 1 --measurement-time 2`
//! (filter e.g. `-- 'q8_0/4096/512'`). Tables: "cache" = a few hundred KiB
//! of f32-equivalent rows; "dram" = 512 MiB of f32-equivalent rows, with the
//! token ids changing every iteration so rows come from DRAM (2^18 ids
//! cycled: the one-token decode step reads a fresh row every call too).
//! Under `--test` (CI's smoke run: each benchmark once, checked against the
//! reference) the "dram" tables are 8 MiB: with the 512 MiB ones for three
//! widths the run took 16.7 s, now 1.5 s (the build is the rest of the step).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
use inlayer::formats::Format;
use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference::formats::dequantize_row;
use std::hint::black_box;

#[path = "common/format_tables.rs"]
mod format_tables;
use format_tables::{FORMATS, Rng, table_bytes, token_sets};

/// Scalar per-element decode of the gathered rows (the reference decoder).
fn scalar(format: Format, b: &[u8], dim: usize, scales: &[f32], tokens: &[u32], out: &mut [f32]) {
    let row = format.row_bytes(dim).unwrap();
    for (&t, o) in tokens.iter().zip(out.chunks_exact_mut(dim)) {
        let t = t as usize;
        let s = scales.get(t).copied().unwrap_or(1.0);
        dequantize_row(format, &b[t * row..(t + 1) * row], s, o).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let dram_bytes = if std::env::args().any(|a| a == "--test") {
        8 << 20
    } else {
        512 << 20
    };
    // D = 384 (cache) for the 32-block formats, 512 for the 256-block ones.
    for dim in [384usize, 512, 4096] {
        for (res, rows) in [
            ("cache", (1 << 18) / (4 * dim)),
            ("dram", dram_bytes / (4 * dim)),
        ] {
            let f32_table: Vec<f32> = (0..rows * dim).map(|i| i as f32).collect();
            for (name, format) in FORMATS {
                let k_quant = format.block_elems() == 256;
                if format.row_bytes(dim).is_err() || (dim == 512 && !k_quant) {
                    continue; // Q4_K/Q6_K need whole 256-blocks: 512 for 384
                }
                let bytes = table_bytes(format, rows, dim, &mut rng);
                let scales: Vec<f32> = (0..rows).map(|i| 1.0 / (1 + i % 7) as f32).collect();
                // The concrete view type, as a caller holds it.
                with_view!(format, &bytes, dim, &scales, |table| {
                    for t in [1usize, 512] {
                        // Token sets, cycled, so DRAM rows are not re-read
                        // from cache by a later iteration.
                        let (ids, n_sets) = token_sets(&mut rng, rows, t, res == "dram");
                        let sets: Vec<&[u32]> = ids.chunks(t).collect();
                        let mut out = vec![0.0f32; t * dim];
                        let mut check = vec![0.0f32; t * dim];
                        gather_view(table, sets[0], &Epilogue::new(), &mut out, dim).unwrap();
                        scalar(format, &bytes, dim, &scales, sets[0], &mut check);
                        assert!(
                            out.iter()
                                .zip(&check)
                                .all(|(a, b)| a.to_bits() == b.to_bits())
                        );

                        let mut g = c.benchmark_group(format!("{name}/{dim}/{t}/{res}"));
                        g.throughput(Throughput::Elements((t * dim) as u64));
                        let mut k = 0;
                        g.bench_function(BenchmarkId::from_parameter("inlayer"), |b| {
                            b.iter(|| {
                                k = (k + 1) % n_sets;
                                gather_view(table, sets[k], &Epilogue::new(), &mut out, dim)
                                    .unwrap();
                                black_box(&out);
                            });
                        });
                        g.bench_function(BenchmarkId::from_parameter("f32_memcpy"), |b| {
                            b.iter(|| {
                                k = (k + 1) % n_sets;
                                for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                                    let r = id as usize * dim;
                                    o.copy_from_slice(&f32_table[r..r + dim]);
                                }
                                black_box(&out);
                            });
                        });
                        g.bench_function(BenchmarkId::from_parameter("scalar"), |b| {
                            b.iter(|| {
                                k = (k + 1) % n_sets;
                                scalar(format, &bytes, dim, &scales, sets[k], &mut out);
                                black_box(&out);
                            });
                        });
                        if matches!(format, Format::F16 | Format::Bf16) {
                            let bits: Vec<u16> = bytes
                                .chunks_exact(2)
                                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                                .collect();
                            g.bench_function(BenchmarkId::from_parameter("half"), |b| {
                                b.iter(|| {
                                    k = (k + 1) % n_sets;
                                    for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                                        let r = &bits[id as usize * dim..(id as usize + 1) * dim];
                                        if format == Format::F16 {
                                            r.reinterpret_cast::<half::f16>()
                                                .convert_to_f32_slice(o);
                                        } else {
                                            r.reinterpret_cast::<half::bf16>()
                                                .convert_to_f32_slice(o);
                                        }
                                    }
                                    black_box(&out);
                                });
                            });
                        }
                        g.finish();
                    }
                });
            }
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
