//! The RoPE decode step against a `memcpy` of the same 16 KiB, timed as best
//! of many alternating short runs (steadier than criterion's medians for a
//! few hundred nanoseconds on a shared machine): `[32 heads][1][128]` at
//! position 70 000, both layouts, from a cos/sin cache and streaming. Each
//! kernel's result is checked against the other first.
//!
//! `cargo run --release --example rope_decode_speed`

use inlayer::rope::{Layout, Positions, Rope, RopeConfig, Shape, apply_cached};
use std::hint::black_box;
use std::time::Instant;

const H: usize = 32;
const DH: usize = 128;
const P: usize = 70_000;

fn main() {
    let rope: Rope = Rope::try_new(&RopeConfig::new(DH, 10_000.0), 1).expect("valid config");
    let mut cache = vec![0.0f32; (P + 1) * DH];
    rope.fill_cache(&mut cache).expect("whole rows");
    let x0: Vec<f32> = (0..H * DH).map(|i| (i % 13) as f32 * 0.1).collect();
    let mut dst = vec![0.0f32; x0.len()];
    let pos = Positions::From(P as u32);
    for layout in [Layout::HalfSplit, Layout::Interleaved] {
        let shape = Shape::new(layout, H, DH);
        let (mut a, mut b) = (x0.clone(), x0.clone());
        apply_cached(&mut a, &shape, pos, &cache).expect("valid shape");
        rope.apply(&mut b, &shape, pos).expect("valid shape");
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        let mut x = x0.clone();
        let mut best = [f64::MAX; 3];
        for _ in 0..2000 {
            for (k, best) in best.iter_mut().enumerate() {
                let t0 = Instant::now();
                for _ in 0..50 {
                    match k {
                        0 => dst.copy_from_slice(black_box(&x0)),
                        1 => apply_cached(black_box(&mut x), &shape, pos, &cache).expect("valid"),
                        _ => rope.apply(black_box(&mut x), &shape, pos).expect("valid"),
                    }
                    black_box(&mut dst);
                }
                *best = best.min(t0.elapsed().as_secs_f64() / 50.0);
            }
        }
        println!(
            "{layout:?}: memcpy of 16 KiB {:.0} ns; cached {:.2}x memcpy, streaming {:.2}x",
            best[0] * 1e9,
            best[0] / best[1],
            best[0] / best[2]
        );
    }
}
