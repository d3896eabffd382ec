//! Tour part: rotary position embeddings (and ALiBi / T5 buckets).
//!
//! Rotates a LLaMA-3.1-style query at long positions with the
//! position-exact path and with the float32 angle pipeline of HF
//! `transformers`, and compares both with the exact f64 rotation; then
//! times the in-place rotation of a [512][32][128] buffer against `memcpy`.

use crate::util::{Rng, best_of};
use inlayer::reference::{relative as rrel, rope as rref};
use inlayer::relative::{T5Buckets, alibi_slopes};
use inlayer::rope::{
    Layout, Llama3, Positions, Rope, RopeConfig, Scaling, Shape, apply_cached, cos_sin_hf_f32,
};

pub fn run() {
    println!("== rope: rotary positions (LLaMA 3.1: head 128, theta 500000, llama3 scaling)");
    let cfg = RopeConfig::new(128, 500_000.0).scaling(Scaling::Llama3(Llama3::META));
    let rope: Rope = Rope::try_new(&cfg, 1).expect("valid config");
    let mut omega = [0.0f64; 64];
    cfg.inv_freqs(1, &mut omega).expect("valid config");
    let mut w32 = [0.0f32; 64];
    let a32 = cfg.hf_f32_inv_freqs(1, &mut w32).expect("valid config");

    let mut rng = Rng(5);
    let q: Vec<f32> = (0..128).map(|_| rng.f32()).collect();
    let shape = Shape::new(Layout::HalfSplit, 1, 128);
    println!("   position     max |error| vs exact: inlayer      HF float32 angles");
    let random = 100_000_000 + rng.below(4_000_000_000);
    for p in [4_096u32, 131_072, 1_048_576, 16_777_216, random] {
        let mut want = [0.0f64; 128];
        rref::rotate_exact(Layout::HalfSplit, &q, u64::from(p), &omega, 1.0, &mut want);

        let mut ours = q.clone();
        rope.apply(&mut ours, &shape, Positions::From(p))
            .expect("valid shape");

        let mut row = [0.0f32; 128];
        cos_sin_hf_f32(&w32, a32, p, &mut row).expect("valid row");
        let mut hf = q.clone();
        apply_cached(&mut hf, &shape, Positions::From(0), &row).expect("valid shape");

        let err = |v: &[f32]| {
            v.iter()
                .zip(&want)
                .map(|(a, b)| (f64::from(*a) - b).abs())
                .fold(0.0, f64::max)
        };
        let (e_ours, e_hf) = (err(&ours), err(&hf));
        assert!(
            e_ours < 5e-7,
            "position-exact bound broken at {p}: {e_ours}"
        );
        println!("   {p:>13}     {e_ours:>22.2e}   {e_hf:>18.2e}");
    }

    // Throughput: in place over [T=512][H=32][D=128] (8 MiB) vs memcpy.
    let (t, h, d) = (512usize, 32usize, 128usize);
    let mut cache = vec![0.0f32; t * d];
    rope.fill_cache(&mut cache).expect("whole rows");
    let x0: Vec<f32> = (0..t * h * d).map(|_| rng.f32()).collect();
    let gb = (x0.len() * 4) as f64 / 1e9;
    let mut dst = vec![0.0f32; x0.len()];
    let t_copy = best_of(7, 3, || {
        std::hint::black_box(&mut dst).copy_from_slice(std::hint::black_box(&x0));
    });
    println!(
        "   in-place rotation of [512][32][128] f32 (8 MiB), memcpy {:.1} GB/s:",
        gb / t_copy.as_secs_f64()
    );
    for layout in [Layout::HalfSplit, Layout::Interleaved] {
        let shape = Shape::new(layout, h, d);
        // Check once against the reference rotation from the same cache.
        let mut x = x0.clone();
        apply_cached(&mut x, &shape, Positions::From(0), &cache).expect("valid shape");
        let mut want = x0.clone();
        for (ti, tok) in want.chunks_exact_mut(h * d).enumerate() {
            let row = &cache[ti * d..(ti + 1) * d];
            for v in tok.chunks_exact_mut(d) {
                rref::rotate(layout, v, &row[..d / 2], &row[d / 2..]);
            }
        }
        assert!(x.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
        let t_cached = best_of(7, 3, || {
            apply_cached(
                std::hint::black_box(&mut x),
                &shape,
                Positions::From(0),
                &cache,
            )
            .expect("ok");
        });
        let t_stream = best_of(7, 3, || {
            rope.apply(std::hint::black_box(&mut x), &shape, Positions::From(0))
                .expect("ok");
        });
        println!(
            "   {layout:?}: cached {:.1} GB/s ({:.2}x memcpy), streaming {:.1} GB/s ({:.2}x)",
            gb / t_cached.as_secs_f64(),
            t_copy.as_secs_f64() / t_cached.as_secs_f64(),
            gb / t_stream.as_secs_f64(),
            t_copy.as_secs_f64() / t_stream.as_secs_f64(),
        );
    }

    // ALiBi slopes and T5 buckets, checked against the reference formulas.
    let mut slopes = [0.0f32; 12];
    alibi_slopes(&mut slopes).expect("non-empty");
    let mut press = [0.0f32; 12];
    rrel::alibi_slopes_press(&mut press);
    assert_eq!(slopes, press);
    let t5 = T5Buckets::try_new(true, 32, 128).expect("T5 defaults");
    for rel in [-100_000, -129, -8, 0, 7, 500] {
        assert_eq!(
            t5.bucket(rel),
            rrel::t5_bucket(i64::from(rel), true, 32, 128)
        );
    }
    println!(
        "   ALiBi slopes for 12 heads: {:?} ... {:?} (= Press et al.); T5 bucket(-129) = {}",
        slopes[0],
        slopes[11],
        t5.bucket(-129)
    );
    println!();
}
