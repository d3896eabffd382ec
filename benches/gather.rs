//! Gather benchmarks: inlayer against the physical limit (one `memcpy` per
//! row) and the scalar reference, on hot tables (vocab 32000) and on a cold,
//! DRAM-resident table (512 MiB), with `Throughput::Bytes` of output.
//!
//! Every kernel's result is checked once against the reference before it is
//! timed, so a broken kernel cannot post a fast number.
//!
//! `cargo bench --bench gather` (add `RUSTFLAGS="-C target-cpu=native"` for
//! AVX2/AVX-512).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference;
use std::hint::black_box;

#[path = "common/gather_baselines.rs"]
mod gather_baselines;
use gather_baselines::{memcpy_rows, naive_scale_add};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn f32(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

fn assert_same(a: &[f32], b: &[f32], what: &str) {
    assert!(
        a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
        "{what}: differs from the reference"
    );
}

/// Cycles through windows of `t` ids of a pool: each timed call gathers the
/// next window, so a large pool keeps the rows it touches out of cache.
struct Windows<'a> {
    pool: &'a [u32],
    t: usize,
    next: usize,
}

impl<'a> Windows<'a> {
    fn next(&mut self) -> &'a [u32] {
        let w = &self.pool[self.next * self.t..(self.next + 1) * self.t];
        self.next = (self.next + 1) % (self.pool.len() / self.t);
        w
    }
}

/// One group per (table, D, T): the limit, the reference, and inlayer.
/// `pool` holds one or more windows of `t` ids.
fn bench_case(
    c: &mut Criterion,
    group: &str,
    table: &[f32],
    dim: usize,
    pool: &[u32],
    t: usize,
    rng: &mut Rng,
) {
    let ids = &pool[..t];
    let add: Vec<f32> = (0..t * dim).map(|_| rng.f32()).collect();
    let scale = (dim as f32).sqrt();
    let view = F32Table::new(table, dim).unwrap();
    let fused = Epilogue::new().scale(scale).add(&add);
    let mut out = vec![0.0f32; t * dim];
    let mut want = vec![0.0f32; t * dim];

    // Check once.
    reference::gather::gather(table, dim, ids, None, None, None, &mut want).unwrap();
    memcpy_rows(table, dim, ids, &mut out);
    assert_same(&out, &want, "memcpy");
    gather_view(&view, ids, &Epilogue::new(), &mut out, dim).unwrap();
    assert_same(&out, &want, "gather");
    reference::gather::gather(table, dim, ids, Some(scale), Some(&add), None, &mut want).unwrap();
    gather_view(&view, ids, &fused, &mut out, dim).unwrap();
    assert_same(&out, &want, "fused gather");
    naive_scale_add(table, dim, ids, scale, &add, &mut out);
    assert_same(&out, &want, "naive scale+add loop");

    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes((t * dim * 4) as u64));
    let p = format!("D={dim}/T={t}");
    g.bench_function(BenchmarkId::new("memcpy_per_row", &p), |b| {
        let mut w = Windows { pool, t, next: 0 };
        b.iter(|| {
            let ids = w.next();
            memcpy_rows(table, dim, black_box(ids), &mut out)
        })
    });
    g.bench_function(BenchmarkId::new("reference", &p), |b| {
        let mut w = Windows { pool, t, next: 0 };
        b.iter(|| {
            let ids = w.next();
            reference::gather::gather(table, dim, black_box(ids), None, None, None, &mut out)
        })
    });
    g.bench_function(BenchmarkId::new("gather", &p), |b| {
        let mut w = Windows { pool, t, next: 0 };
        b.iter(|| {
            let ids = w.next();
            gather_view(&view, black_box(ids), &Epilogue::new(), &mut out, dim)
        })
    });
    g.bench_function(BenchmarkId::new("gather_scale_add", &p), |b| {
        let mut w = Windows { pool, t, next: 0 };
        b.iter(|| {
            let ids = w.next();
            gather_view(&view, black_box(ids), &fused, &mut out, dim)
        })
    });
    g.bench_function(BenchmarkId::new("naive_scale_add", &p), |b| {
        let mut w = Windows { pool, t, next: 0 };
        b.iter(|| {
            let ids = w.next();
            naive_scale_add(table, dim, black_box(ids), scale, &add, &mut out)
        })
    });
    g.finish();
}

fn hot(c: &mut Criterion) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const VOCAB: usize = 32_000;
    for dim in [64, 384, 768, 4096] {
        let table: Vec<f32> = (0..VOCAB * dim).map(|_| rng.f32()).collect();
        for t in [1, 512] {
            let ids: Vec<u32> = (0..t).map(|_| (rng.next() % VOCAB as u64) as u32).collect();
            bench_case(c, "gather_hot", &table, dim, &ids, t, &mut rng);
        }
    }
}

/// A 512 MiB table: rows come from DRAM, not cache.
fn cold(c: &mut Criterion) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    const BYTES: usize = 512 << 20;
    let table: Vec<f32> = (0..BYTES / 4).map(|_| rng.f32()).collect();
    for dim in [64, 256, 384, 1024, 4096] {
        let vocab = table.len() / dim;
        // 4096 windows of 512 ids: every call touches rows not seen for a long time.
        let pool: Vec<u32> = (0..512 * 4096)
            .map(|_| (rng.next() % vocab as u64) as u32)
            .collect();
        bench_case(
            c,
            "gather_cold",
            &table[..vocab * dim],
            dim,
            &pool,
            512,
            &mut rng,
        );
    }
}

criterion_group!(benches, hot, cold);
criterion_main!(benches);
