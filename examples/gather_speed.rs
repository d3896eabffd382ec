//! The f32 gather against the per-row `memcpy` of the same output, timed as
//! the best of many alternating short runs (steadier than criterion's medians
//! on a shared machine, where the `memcpy` baseline itself moves by ±20 %
//! between runs): the hot cases of `benches/gather.rs` (vocab 32 000, random
//! ids), plain and with the fused `× scale + add` epilogue, next to the same
//! three streams as a bare Rust loop; and the plain copy through the
//! fixed-shape `gather::<D>` and the run-time-shape `gather_dyn` (on the raw
//! slice, validated every call) besides `gather_view` on a view made once.
//! Each result is checked against the reference first.
//!
//! `cargo run --release --example gather_speed`; `COLD=1` for the cold
//! 512 MiB table instead (see `cold`). `ALIGN=64` starts the table, the add
//! rows and the output on a 64-byte boundary (as a runtime's aligned
//! activation buffers are), `ALIGN=16` 16 bytes past one; unset, they lie
//! where `Vec` puts them (16 bytes past a line, for these sizes, with
//! glibc).

use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference;
use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/gather_baselines.rs"]
mod gather_baselines;

const VOCAB: usize = 32_000;

/// Each contender is its own function, as in a caller's code (the gather's
/// native path inlines into its caller).
#[inline(never)]
fn memcpy_rows(table: &[f32], dim: usize, ids: &[u32], out: &mut [f32]) {
    gather_baselines::memcpy_rows(table, dim, ids, out);
}

#[inline(never)]
fn naive_scale_add(table: &[f32], dim: usize, ids: &[u32], s: f32, add: &[f32], out: &mut [f32]) {
    gather_baselines::naive_scale_add(table, dim, ids, s, add, out);
}

#[inline(never)]
fn gather(view: &F32Table<'_>, dim: usize, ids: &[u32], out: &mut [f32]) {
    gather_view(view, ids, &Epilogue::new(), out, dim).expect("valid");
}

/// The fixed-shape API, `inlayer::gather::<D>`, as a caller with a
/// compile-time width writes it.
#[inline(never)]
fn gather_fixed<const D: usize>(table: &[f32], ids: &[u32], out: &mut [f32]) {
    let (table, out) = (table.as_chunks::<D>().0, out.as_chunks_mut::<D>().0);
    inlayer::gather::<D>(table, ids, out).expect("valid");
}

/// [`gather_fixed`] for the widths measured.
fn gather_fixed_dim(dim: usize, table: &[f32], ids: &[u32], out: &mut [f32]) {
    match dim {
        64 => gather_fixed::<64>(table, ids, out),
        384 => gather_fixed::<384>(table, ids, out),
        768 => gather_fixed::<768>(table, ids, out),
        4096 => gather_fixed::<4096>(table, ids, out),
        d => panic!("no fixed-shape instance for D = {d}"),
    }
}

/// The run-time-shape API on the raw slice, `inlayer::gather_dyn`.
#[inline(never)]
fn gather_dyn(table: &[f32], dim: usize, ids: &[u32], out: &mut [f32]) {
    inlayer::gather_dyn(table, dim, ids, out).expect("valid");
}

#[inline(never)]
fn gather_fused(
    view: &F32Table<'_>,
    dim: usize,
    ids: &[u32],
    s: f32,
    add: &[f32],
    out: &mut [f32],
) {
    gather_view(view, ids, &Epilogue::new().scale(s).add(add), out, dim).expect("valid");
}

fn main() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    if std::env::var("COLD").is_ok() {
        cold(&mut next);
        return;
    }
    println!(
        "{} build, vocab {VOCAB}, ratio to the per-row memcpy (best of 100 alternating runs)",
        inlayer::BACKEND
    );
    let align = std::env::var("ALIGN").ok().map(|a| match a.as_str() {
        "64" => 0,
        "16" => 16,
        _ => panic!("ALIGN is 64 or 16"),
    });
    if let Some(past) = align {
        println!("buffers {past} bytes past a 64-byte boundary");
    }
    for dim in [64, 384, 768, 4096] {
        let mut table = Placed::new(VOCAB * dim, align);
        for (i, x) in table.get_mut().iter_mut().enumerate() {
            *x = (i % 1021) as f32 * 0.5;
        }
        let table = table.get();
        let view = F32Table::new(table, dim).expect("whole rows");
        for t in [1usize, 512] {
            let ids: Vec<u32> = (0..t).map(|_| (next() % VOCAB as u64) as u32).collect();
            let mut add = Placed::new(t * dim, align);
            for (i, x) in add.get_mut().iter_mut().enumerate() {
                *x = (i % 7) as f32;
            }
            let add = add.get();
            let s = (dim as f32).sqrt();
            let mut out = Placed::new(t * dim, align);
            let out = out.get_mut();
            let mut want = vec![0.0f32; t * dim];
            reference::gather::gather(table, dim, &ids, Some(s), Some(add), None, &mut want)
                .expect("valid");
            gather_fused(&view, dim, &ids, s, add, out);
            assert!(
                out.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            // The plain gathers: the rows, bit for bit.
            let mut rows = vec![0.0f32; t * dim];
            reference::gather::gather(table, dim, &ids, None, None, None, &mut rows)
                .expect("valid");
            for k in 0..3 {
                out.fill(f32::NAN);
                match k {
                    0 => gather(&view, dim, &ids, out),
                    1 => gather_fixed_dim(dim, table, &ids, out),
                    _ => gather_dyn(table, dim, &ids, out),
                }
                assert!(
                    out.iter()
                        .zip(&rows)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
                );
            }
            // About 2 M values a timed run, at least one call.
            let reps = (2_000_000 / (t * dim)).max(1);
            let mut best = [f64::MAX; 6];
            for _ in 0..100 {
                for (k, best) in best.iter_mut().enumerate() {
                    let t0 = Instant::now();
                    for _ in 0..reps {
                        let ids = black_box(&ids[..]);
                        match k {
                            0 => memcpy_rows(table, dim, ids, out),
                            1 => gather(&view, dim, ids, out),
                            2 => gather_fused(&view, dim, ids, s, add, out),
                            3 => naive_scale_add(table, dim, ids, s, add, out),
                            4 => gather_fixed_dim(dim, table, ids, out),
                            _ => gather_dyn(table, dim, ids, out),
                        }
                        black_box(&mut *out);
                    }
                    *best = best.min(t0.elapsed().as_secs_f64() / reps as f64);
                }
            }
            println!(
                "D = {dim:4}, T = {t:3}: gather {:.2}, gather + scale + add {:.2}, plain loop scale + add {:.2}; gather::<D> {:.2}, gather_dyn {:.2}  (memcpy {:.1} GB/s)",
                best[0] / best[1],
                best[0] / best[2],
                best[0] / best[3],
                best[0] / best[4],
                best[0] / best[5],
                (t * dim * 4) as f64 / best[0] / 1e9
            );
        }
    }
}

/// `len` values placed `past` bytes after a 64-byte boundary (`Some`), or
/// where `Vec` puts them (`None`).
struct Placed {
    buf: Vec<f32>,
    start: usize,
    len: usize,
}

impl Placed {
    fn new(len: usize, past: Option<usize>) -> Self {
        let buf = vec![0.0f32; len + 32];
        let start = match past {
            Some(past) => {
                let to_line = (64 - buf.as_ptr().addr() % 64) % 64;
                (to_line + past) / 4
            }
            None => 0,
        };
        Self { buf, start, len }
    }

    fn get(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.len]
    }

    fn get_mut(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

/// `COLD=1`: the cold cases of `benches/gather.rs` (a 512 MiB table, so rows
/// come from DRAM; 512 random ids a call, or `T` of them, a fresh window of
/// ids each call). DRAM time is not a minimum worth keeping, so this sums
/// alternating calls of each contender (400 each at T = 512, as many more
/// as T is shorter) instead of taking the best.
fn cold(next: &mut impl FnMut() -> u64) {
    let table: Vec<f32> = (0..(512usize << 20) / 4).map(|i| i as f32).collect();
    let t: usize = std::env::var("T")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&t| (1..=512).contains(&t))
        .unwrap_or(512);
    let calls = 400 * (512 / t);
    println!(
        "{} build, 512 MiB table, T = {t}, ratio to the per-row memcpy (sum of {calls} alternating runs)",
        inlayer::BACKEND
    );
    for dim in [64usize, 256, 384, 1024, 4096] {
        let vocab = table.len() / dim;
        let pool: Vec<u32> = (0..512 * 4096)
            .map(|_| (next() % vocab as u64) as u32)
            .collect();
        let rows = &table[..vocab * dim];
        let view = F32Table::new(rows, dim).expect("whole rows");
        let mut out = vec![0.0f32; t * dim];
        let mut want = vec![0.0f32; t * dim];
        let ids = &pool[..t];
        gather(&view, dim, ids, &mut out);
        reference::gather::gather(rows, dim, ids, None, None, None, &mut want).expect("valid");
        assert!(
            out.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        let mut total = [0.0f64; 2];
        for (w, ids) in pool.chunks_exact(t).cycle().take(2 * calls).enumerate() {
            let t0 = Instant::now();
            if w % 2 == 0 {
                memcpy_rows(&table, dim, black_box(ids), &mut out);
            } else {
                gather(&view, dim, black_box(ids), &mut out);
            }
            black_box(&mut out);
            total[w % 2] += t0.elapsed().as_secs_f64();
        }
        println!(
            "D = {dim:4}: gather {:.2}  (memcpy {:.2} GB/s)",
            total[0] / total[1],
            (calls * t * dim * 4) as f64 / total[0] / 1e9
        );
    }
}
