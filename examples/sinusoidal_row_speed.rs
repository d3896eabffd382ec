//! The one-row sinusoidal kernel (`Sinusoidal::row`, a decode step) at
//! D = 4096 over 32 output placements 256 bytes apart (two 4 KiB pages'
//! worth), as the best of many calls at each: where the row lands against
//! the frequencies it loads decides whether loads wait on pending stores
//! with the same low 12 address bits ("4K aliasing"), so one placement
//! measures the allocator's luck. Prints each placement's speed (keyed by
//! the row's offset past the frequencies modulo 4 KiB), their mean and
//! their worst.
//!
//! `cargo run --release --example sinusoidal_row_speed` (and with
//! `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native`).

use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use std::hint::black_box;
use std::time::Instant;

const DIM: usize = 4096;
const PLACEMENTS: usize = 32;
/// Placements are this many `f32`s (256 bytes) apart.
const STEP: usize = 64;

fn main() {
    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, DIM)];
    let at = turns.as_ptr().addr();
    let pe = Sinusoidal::try_new(cfg, DIM, &mut turns).expect("valid config");
    let mut buf = vec![0.0f32; DIM + PLACEMENTS * STEP];
    println!(
        "{} build, sinusoidal row: {}; D = {DIM}, G values/s (best of 1000 × 10 calls) by the row's offset past the frequencies mod 4 KiB:",
        inlayer::BACKEND,
        inlayer::sinusoidal::row_kernel()
    );
    let mut speeds = Vec::new();
    for k in 0..PLACEMENTS {
        let out = &mut buf[k * STEP..][..DIM];
        let gap = out.as_ptr().addr().wrapping_sub(at) % 4096;
        let mut best = f64::MAX;
        for _ in 0..1000 {
            let t = Instant::now();
            for _ in 0..10 {
                pe.row(black_box(1000), &mut *out).expect("a row of DIM");
            }
            best = best.min(t.elapsed().as_secs_f64() / 10.0);
        }
        let g = DIM as f64 / best / 1e9;
        print!("{gap}: {g:.2}  ");
        speeds.push(g);
    }
    let mean = speeds.iter().sum::<f64>() / speeds.len() as f64;
    let worst = speeds.iter().copied().fold(f64::MAX, f64::min);
    println!("\nmean {mean:.2}, worst {worst:.2}");
}
