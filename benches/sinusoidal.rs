//! Sinusoidal encodings: inlayer (position-exact) against its baselines, in
//! one criterion group per shape: the store limit (`fill`), `wide`'s f32x8
//! and f32x16 `sin_cos` on f32 angles (inexact), a scalar `f32::sin_cos` loop, the
//! `libm` crate's `sinf`/`cosf`, and f64 `sin_cos` rounded to f32.
//! All produce the same interleaved (Transformer-paper) layout.
//!
//! Each call writes the next of eight output placements 512 bytes apart
//! (across a 4 KiB page), as `examples/formats_speed` does: where the
//! output falls against the inputs matters (a load whose address agrees
//! with a pending store's in the low 12 bits waits for it, "4K aliasing"),
//! and one placement would measure the luck of the allocator. Measured
//! for the inlayer D = 4096 row, native build (`Sinusoidal::row` over 16
//! placements 256 bytes apart): 4.5 G values/s at two, 5.0–5.3 elsewhere.
//!
//! Run: `cargo bench --bench sinusoidal -- --warm-up-time 1 --measurement-time 2`
//! (and with `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inlayer::reference::sinusoidal as oracle;
use inlayer::sinusoidal::{MAX_ABS_ERR, Sinusoidal, SinusoidalConfig, sinusoidal_rows_dyn};
use std::hint::black_box;
use wide::{f32x8, f32x16};

fn omegas(dim: usize) -> Vec<f64> {
    let cfg = SinusoidalConfig::transformer();
    (0..dim / 2).map(|i| oracle::omega(&cfg, dim, i)).collect()
}

/// `$name`: `wide`'s `sin_cos` on `$v` (`$n` lanes) of f32 angles, the
/// pairs interleaved.
macro_rules! wide_rows {
    ($name:ident, $v:ident, $n:expr) => {
        fn $name(w: &[f32], start: u32, out: &mut [f32], dim: usize) {
            for (k, row) in out.chunks_exact_mut(dim).enumerate() {
                let p = $v::splat((start + k as u32) as f32);
                for (ws, d) in w.chunks_exact($n).zip(row.chunks_exact_mut(2 * $n)) {
                    let a = p * $v::new(ws.try_into().unwrap());
                    let (s, c) = a.sin_cos();
                    let (s, c) = (s.to_array(), c.to_array());
                    for j in 0..$n {
                        d[2 * j] = s[j];
                        d[2 * j + 1] = c[j];
                    }
                }
            }
        }
    };
}

wide_rows!(wide_rows, f32x8, 8);
wide_rows!(wide16_rows, f32x16, 16);

fn scalar_rows(w: &[f32], start: u32, out: &mut [f32], dim: usize, f: impl Fn(f32) -> (f32, f32)) {
    for (k, row) in out.chunks_exact_mut(dim).enumerate() {
        let p = (start + k as u32) as f32;
        for (wi, d) in w.iter().zip(row.chunks_exact_mut(2)) {
            let (s, c) = f(p * wi);
            d[0] = s;
            d[1] = c;
        }
    }
}

fn f64_rows(w: &[f64], start: u32, out: &mut [f32], dim: usize) {
    for (k, row) in out.chunks_exact_mut(dim).enumerate() {
        let p = f64::from(start + k as u32);
        for (wi, d) in w.iter().zip(row.chunks_exact_mut(2)) {
            let (s, c) = (p * wi).sin_cos();
            d[0] = s as f32;
            d[1] = c as f32;
        }
    }
}

/// Checks `out` against the exact oracle within `tol`.
fn check(name: &str, out: &[f32], dim: usize, start: u32, tol: f64) {
    let cfg = SinusoidalConfig::transformer();
    for (k, row) in out.chunks_exact(dim).enumerate().step_by(7) {
        for (col, &v) in row.iter().enumerate() {
            let e = (f64::from(v) - oracle::value(&cfg, dim, start + k as u32, col)).abs();
            assert!(e <= tol, "{name}: row {k} col {col} err {e:e}");
        }
    }
}

fn group(c: &mut Criterion, name: &str, rows: usize, dim: usize, start: u32) {
    let cfg = SinusoidalConfig::transformer();
    let w64 = omegas(dim);
    let w32: Vec<f32> = w64.iter().map(|&w| w as f32).collect();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let mut out = vec![0.0f32; rows * dim];
    // f32 angles lose ~p·2^-24 rad: allow that for the inexact baselines.
    let loose = 4.0 * f64::from(start + rows as u32) * f64::from(f32::EPSILON) + 1e-5;

    pe.rows(start, &mut out).unwrap();
    check("inlayer", &out, dim, start, MAX_ABS_ERR);
    wide_rows(&w32, start, &mut out, dim);
    check("wide", &out, dim, start, loose);
    wide16_rows(&w32, start, &mut out, dim);
    check("wide f32x16", &out, dim, start, loose);
    scalar_rows(&w32, start, &mut out, dim, f32::sin_cos);
    check("f32::sin_cos", &out, dim, start, loose);
    scalar_rows(&w32, start, &mut out, dim, |a| {
        (libm::sinf(a), libm::cosf(a))
    });
    check("libm", &out, dim, start, loose);
    f64_rows(&w64, start, &mut out, dim);
    check("f64", &out, dim, start, 1e-6);

    let mut out = Placements::new(rows * dim);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements((rows * dim) as u64));
    g.bench_function(BenchmarkId::new("fill", dim), |b| {
        b.iter(|| black_box(out.next()).fill(black_box(0.5)));
    });
    g.bench_function(BenchmarkId::new("inlayer_plan", dim), |b| {
        b.iter(|| pe.rows(black_box(start), out.next()).unwrap());
    });
    g.bench_function(BenchmarkId::new("inlayer_planless", dim), |b| {
        b.iter(|| sinusoidal_rows_dyn(&cfg, dim, black_box(start), out.next()).unwrap());
    });
    g.bench_function(BenchmarkId::new("wide_sin_cos", dim), |b| {
        b.iter(|| wide_rows(&w32, black_box(start), out.next(), dim));
    });
    g.bench_function(BenchmarkId::new("wide_sin_cos_x16", dim), |b| {
        b.iter(|| wide16_rows(&w32, black_box(start), out.next(), dim));
    });
    g.bench_function(BenchmarkId::new("f32_sin_cos", dim), |b| {
        b.iter(|| scalar_rows(&w32, black_box(start), out.next(), dim, f32::sin_cos));
    });
    g.bench_function(BenchmarkId::new("libm_sinf_cosf", dim), |b| {
        b.iter(|| {
            scalar_rows(&w32, black_box(start), out.next(), dim, |a| {
                (libm::sinf(a), libm::cosf(a))
            })
        });
    });
    g.bench_function(BenchmarkId::new("f64_sin_cos", dim), |b| {
        b.iter(|| f64_rows(&w64, black_box(start), out.next(), dim));
    });
    g.finish();
}

/// An output of `len` values at eight placements 512 bytes apart, one
/// after the other (see the module docs).
struct Placements {
    buf: Vec<f32>,
    len: usize,
    k: usize,
}

impl Placements {
    const STRIDE: usize = 128;

    fn new(len: usize) -> Self {
        let buf = vec![0.0; len + 7 * Self::STRIDE];
        Self { buf, len, k: 0 }
    }

    /// The next placement.
    fn next(&mut self) -> &mut [f32] {
        self.k = (self.k + 1) % 8;
        &mut self.buf[self.k * Self::STRIDE..][..self.len]
    }
}

fn benches(c: &mut Criterion) {
    group(c, "sinusoidal_table_2048x512", 2048, 512, 0);
    group(c, "sinusoidal_row_4096", 1, 4096, 1000);
}

criterion_group!(sinusoidal, benches);
criterion_main!(sinusoidal);
