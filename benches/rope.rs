//! RoPE apply throughput against `memcpy` of the same buffer.
//!
//! `cargo bench --bench rope -- --warm-up-time 1 --measurement-time 2`
//! (add `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native`
//! for the native build). Each kernel is checked once against the
//! reference before it is timed.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inlayer::reference::rope as r;
use inlayer::rope::{Layout, Positions, Rope, RopeConfig, Shape, apply_cached};
use std::hint::black_box;

const T: usize = 512;
const H: usize = 32;
const DH: usize = 128;

fn data(n: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// Reference application (one pair at a time) for the one-time check.
fn reference(x: &mut [f32], layout: Layout, heads: usize, start: usize, cache: &[f32]) {
    // Run-time head width, as in any runtime (a constant lets LLVM unroll).
    let dh = black_box(DH);
    for (t, tok) in x.chunks_exact_mut(heads * dh).enumerate() {
        let row = &cache[(start + t) * dh..][..dh];
        for v in tok.chunks_exact_mut(dh) {
            r::rotate(layout, v, &row[..dh / 2], &row[dh / 2..]);
        }
    }
}

fn check(name: &str, got: &[f32], want: &[f32]) {
    assert!(
        got.iter()
            .zip(want)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "{name} differs from the reference"
    );
}

fn bench_apply(c: &mut Criterion) {
    let rope: Rope = Rope::try_new(&RopeConfig::new(DH, 10_000.0), 1).unwrap();
    let mut cache = vec![0.0f32; T * DH];
    rope.fill_cache(&mut cache).unwrap();
    let x0 = data(T * H * DH);
    let bytes = (x0.len() * 4) as u64;

    let mut g = c.benchmark_group(format!("rope_apply_T{T}_H{H}_D{DH}"));
    g.throughput(Throughput::Bytes(bytes));
    let mut dst = vec![0.0f32; x0.len()];
    g.bench_function("memcpy", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&x0)));
    });
    for layout in [Layout::HalfSplit, Layout::Interleaved] {
        let shape = Shape::new(layout, H, DH);
        let mut want = x0.clone();
        reference(&mut want, layout, H, 0, &cache);

        let mut x = x0.clone();
        apply_cached(&mut x, &shape, Positions::From(0), &cache).unwrap();
        check("cached", &x, &want);
        g.bench_function(BenchmarkId::new("cached", format!("{layout:?}")), |b| {
            b.iter(|| apply_cached(black_box(&mut x), &shape, Positions::From(0), &cache).unwrap());
        });

        let mut x = x0.clone();
        rope.apply(&mut x, &shape, Positions::From(0)).unwrap();
        check("streaming", &x, &want);
        g.bench_function(BenchmarkId::new("streaming", format!("{layout:?}")), |b| {
            b.iter(|| {
                rope.apply(black_box(&mut x), &shape, Positions::From(0))
                    .unwrap()
            });
        });

        let mut x = x0.clone();
        g.bench_function(BenchmarkId::new("reference", format!("{layout:?}")), |b| {
            b.iter(|| reference(black_box(&mut x), layout, H, 0, &cache));
        });
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let rope: Rope = Rope::try_new(&RopeConfig::new(DH, 10_000.0), 1).unwrap();
    let p = 70_000usize;
    let mut cache = vec![0.0f32; (p + 1) * DH];
    rope.fill_cache(&mut cache).unwrap();
    let x0 = data(H * DH);
    let mut g = c.benchmark_group(format!("rope_decode_H{H}_D{DH}"));
    g.throughput(Throughput::Bytes((x0.len() * 4) as u64));
    let mut dst = vec![0.0f32; x0.len()];
    g.bench_function("memcpy", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&x0)));
    });
    for layout in [Layout::HalfSplit, Layout::Interleaved] {
        let shape = Shape::new(layout, H, DH);
        let mut want = x0.clone();
        reference(&mut want, layout, H, p, &cache);
        let pos = Positions::From(p as u32);

        let mut x = x0.clone();
        apply_cached(&mut x, &shape, pos, &cache).unwrap();
        check("cached decode", &x, &want);
        g.bench_function(BenchmarkId::new("cached", format!("{layout:?}")), |b| {
            b.iter(|| apply_cached(black_box(&mut x), &shape, pos, &cache).unwrap());
        });

        let mut x = x0.clone();
        rope.apply(&mut x, &shape, pos).unwrap();
        check("streaming decode", &x, &want);
        g.bench_function(BenchmarkId::new("streaming", format!("{layout:?}")), |b| {
            b.iter(|| rope.apply(black_box(&mut x), &shape, pos).unwrap());
        });
    }
    g.finish();
}

criterion_group!(benches, bench_apply, bench_decode);
criterion_main!(benches);
