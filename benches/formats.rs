//! Decode-gather throughput per table format, in f32 output elements/s,
//! against the f32 per-row `memcpy` limit for the same output, a scalar
//! per-element decode (the reference dequantizer, row by row) and, for
//! f16/bf16, `half`'s slice conversion.
//!
//! `cargo bench --bench formats -- --warm-up-time 1 --measurement-time 2`
//! (filter e.g. `-- 'q8_0/4096/512'`). Tables: "cache" = a few hundred KiB
//! of f32-equivalent rows; "dram" = 512 MiB of f32-equivalent rows, with the
//! token ids changing every iteration so rows come from DRAM.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
use inlayer::formats::{
    Bf16Table, F16Table, Fbgemm4Table, Fbgemm8Table, Format, I8Table, Q4_0Table, Q4_1Table,
    Q4KTable, Q5_0Table, Q5_1Table, Q6KTable, Q8_0Table, Table,
};
use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference::formats::dequantize_row;
use std::hint::black_box;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const FORMATS: [(&str, Format); 12] = [
    ("bf16", Format::Bf16),
    ("f16", Format::F16),
    ("i8", Format::I8),
    ("fbgemm8", Format::Fbgemm8),
    ("fbgemm4", Format::Fbgemm4LowFirst),
    ("q8_0", Format::Q8_0),
    ("q4_0", Format::Q4_0Split),
    ("q4_1", Format::Q4_1Split),
    ("q5_0", Format::Q5_0Split),
    ("q5_1", Format::Q5_1Split),
    ("q4_k", Format::Q4KSplit),
    ("q6_k", Format::Q6KSplit),
];

/// Random bytes with every scale field set to a moderate `f16`/`f32` (so no
/// subnormal arithmetic skews the timing); f16/bf16 values stay finite.
fn table_bytes(format: Format, rows: usize, dim: usize, rng: &mut Rng) -> Vec<u8> {
    let row = format.row_bytes(dim).unwrap();
    let mut b: Vec<u8> = (0..rows * row).map(|_| rng.next() as u8).collect();
    let h = 0x2c00u16.to_le_bytes(); // 1/16
    let (e, n) = (format.block_elems(), format.block_bytes());
    let fields: &[usize] = match format {
        Format::Q8_0 | Format::Q4_0Split | Format::Q5_0Split => &[0],
        Format::Q4_1Split | Format::Q5_1Split | Format::Q4KSplit => &[0, 2],
        Format::Q6KSplit => &[208],
        _ => &[],
    };
    match format {
        Format::F16 | Format::Bf16 => {
            for c in b.chunks_exact_mut(2) {
                c[1] &= 0x3f; // |x| < 2, never inf/NaN
            }
        }
        Format::Fbgemm8 => {
            for r in b.chunks_exact_mut(row) {
                r[dim..dim + 4].copy_from_slice(&0.01f32.to_le_bytes());
                r[dim + 4..].copy_from_slice(&(-1.0f32).to_le_bytes());
            }
        }
        Format::Fbgemm4LowFirst => {
            for r in b.chunks_exact_mut(row) {
                let p = dim.div_ceil(2);
                r[p..p + 2].copy_from_slice(&h);
                r[p + 2..].copy_from_slice(&h);
            }
        }
        _ => {
            for blk in b.chunks_exact_mut(n) {
                for &f in fields {
                    blk[f..f + 2].copy_from_slice(&h);
                }
            }
        }
    }
    let _ = e;
    b
}

fn view<'a>(format: Format, b: &'a [u8], dim: usize, scales: &'a [f32]) -> Box<dyn Table + 'a> {
    match format {
        Format::Bf16 => Box::new(Bf16Table::from_bytes(b, dim).unwrap()),
        Format::F16 => Box::new(F16Table::from_bytes(b, dim).unwrap()),
        Format::I8 => Box::new(I8Table::per_row(b, dim, scales).unwrap()),
        Format::Fbgemm8 => Box::new(Fbgemm8Table::from_bytes(b, dim).unwrap()),
        Format::Fbgemm4LowFirst => Box::new(Fbgemm4Table::from_bytes(b, dim).unwrap()),
        Format::Q8_0 => Box::new(Q8_0Table::from_bytes(b, dim).unwrap()),
        Format::Q4_0Split => Box::new(Q4_0Table::from_bytes(b, dim).unwrap()),
        Format::Q4_1Split => Box::new(Q4_1Table::from_bytes(b, dim).unwrap()),
        Format::Q5_0Split => Box::new(Q5_0Table::from_bytes(b, dim).unwrap()),
        Format::Q5_1Split => Box::new(Q5_1Table::from_bytes(b, dim).unwrap()),
        Format::Q4KSplit => Box::new(Q4KTable::from_bytes(b, dim).unwrap()),
        _ => Box::new(Q6KTable::from_bytes(b, dim).unwrap()),
    }
}

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
    // D = 384 (cache) for the 32-block formats, 512 for the 256-block ones.
    for dim in [384usize, 512, 4096] {
        for (res, rows) in [
            ("cache", (1 << 18) / (4 * dim)),
            ("dram", (512 << 20) / (4 * dim)),
        ] {
            let f32_table: Vec<f32> = (0..rows * dim).map(|i| i as f32).collect();
            for (name, format) in FORMATS {
                let k_quant = format.block_elems() == 256;
                if format.row_bytes(dim).is_err() || (dim == 512 && !k_quant) {
                    continue; // Q4_K/Q6_K need whole 256-blocks: 512 for 384
                }
                let bytes = table_bytes(format, rows, dim, &mut rng);
                let scales: Vec<f32> = (0..rows).map(|i| 1.0 / (1 + i % 7) as f32).collect();
                let table = view(format, &bytes, dim, &scales);
                for t in [1usize, 512] {
                    // 16 token sets, cycled, so DRAM rows are not re-read
                    // from cache by the next iteration.
                    let sets: Vec<Vec<u32>> = (0..16)
                        .map(|_| (0..t).map(|_| (rng.next() % rows as u64) as u32).collect())
                        .collect();
                    let mut out = vec![0.0f32; t * dim];
                    let mut check = vec![0.0f32; t * dim];
                    gather_view(&*table, &sets[0], &Epilogue::new(), &mut out, dim).unwrap();
                    scalar(format, &bytes, dim, &scales, &sets[0], &mut check);
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
                            k = (k + 1) % 16;
                            gather_view(&*table, &sets[k], &Epilogue::new(), &mut out, dim)
                                .unwrap();
                            black_box(&out);
                        });
                    });
                    g.bench_function(BenchmarkId::from_parameter("f32_memcpy"), |b| {
                        b.iter(|| {
                            k = (k + 1) % 16;
                            for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                                let r = id as usize * dim;
                                o.copy_from_slice(&f32_table[r..r + dim]);
                            }
                            black_box(&out);
                        });
                    });
                    g.bench_function(BenchmarkId::from_parameter("scalar"), |b| {
                        b.iter(|| {
                            k = (k + 1) % 16;
                            scalar(format, &bytes, dim, &scales, &sets[k], &mut out);
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
                                k = (k + 1) % 16;
                                for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                                    let r = &bits[id as usize * dim..(id as usize + 1) * dim];
                                    if format == Format::F16 {
                                        r.reinterpret_cast::<half::f16>().convert_to_f32_slice(o);
                                    } else {
                                        r.reinterpret_cast::<half::bf16>().convert_to_f32_slice(o);
                                    }
                                }
                                black_box(&out);
                            });
                        });
                    }
                    g.finish();
                }
            }
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
