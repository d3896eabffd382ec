//! RoPE: kernels against the reference, bounds at large positions,
//! rotation properties, configs.

#![allow(
    clippy::needless_range_loop,
    reason = "tests index several arrays in step"
)]

mod common;
use common::fnv;
use inlayer::Error;
use inlayer::reference::rope as r;
use inlayer::rope::{
    Ggml, Layout, Llama3, LongRope, Order, Positions, Rope, RopeConfig, Scaling, Shape, Yarn,
    apply_cached, fill_cache_hf_f32, permute_rows,
};
use proptest::prelude::*;

fn cases() -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(n)
}

/// Bound of the position-exact cos/sin against the exact value (2^-22).
const EXACT_BOUND: f64 = 1.0 / 4_194_304.0;

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Reference application of a cache: per token, per head, `r::rotate`.
fn reference_apply(x: &mut [f32], shape: &Shape, pos: &[u32], cache: &[f32]) {
    let (dh, d, h) = (shape.head_dim, shape.rotary_dim, shape.rotary_dim / 2);
    let t_count = pos.len();
    for t in 0..t_count {
        let row = &cache[pos[t] as usize * d..][..d];
        for hd in 0..shape.heads {
            let off = match shape.order {
                Order::TokenMajor => (t * shape.heads + hd) * dh,
                Order::HeadMajor => (hd * t_count + t) * dh,
            };
            r::rotate(shape.layout, &mut x[off..off + dh], &row[..h], &row[h..]);
        }
    }
}

fn layout_of(i: u8) -> Layout {
    if i.is_multiple_of(2) {
        Layout::HalfSplit
    } else {
        Layout::Interleaved
    }
}

fn order_of(i: u8) -> Order {
    if i.is_multiple_of(2) {
        Order::TokenMajor
    } else {
        Order::HeadMajor
    }
}

/// A small deterministic generator for test data.
struct Lcg(u64);
impl Lcg {
    fn f32(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn apply_cached_equals_reference_bitwise(
        layout in 0u8..2, order in 0u8..2,
        heads in 1usize..5, half in 1usize..21, extra in 0usize..5,
        t_count in 0usize..5, n_pos in 1usize..9, start in 0u32..4,
        explicit in any::<bool>(),
        data in proptest::collection::vec(proptest::num::f32::ANY, 2000),
        seed in any::<u64>(),
    ) {
        let d = 2 * half;
        let dh = d + extra;
        let shape = Shape::new(layout_of(layout), heads, dh).rotary_dim(d).order(order_of(order));
        let mut g = Lcg(seed);
        let cache: Vec<f32> = (0..(n_pos + 8) * d).map(|_| g.f32()).collect();
        let pos: Vec<u32> = if explicit {
            (0..t_count).map(|t| ((seed >> (t * 3)) % (n_pos as u64 + 8)) as u32).collect()
        } else {
            (0..t_count).map(|t| start + t as u32).collect()
        };
        let mut x: Vec<f32> = data.iter().cycle().take(t_count * heads * dh).copied().collect();
        let mut want = x.clone();
        let p = if explicit { Positions::List(&pos) } else { Positions::From(start) };
        apply_cached(&mut x, &shape, p, &cache).unwrap();
        reference_apply(&mut want, &shape, &pos, &cache);
        for (i, (a, b)) in x.iter().zip(&want).enumerate() {
            prop_assert!(same(*a, *b), "i={} {} vs {}", i, a, b);
        }
    }

    #[test]
    fn streaming_equals_exact_cache_bitwise(
        layout in 0u8..2, order in 0u8..2,
        q_heads in 1usize..5, k_heads in 0usize..3, half in 1usize..21, extra in 0usize..3,
        t_count in 0usize..4, start in 0u32..5000,
        base in 2.0f64..1e6,
        seed in any::<u64>(),
    ) {
        let d = 2 * half;
        let dh = d + extra;
        let shape = Shape::new(layout_of(layout), q_heads, dh).rotary_dim(d).order(order_of(order));
        let rope: Rope<20> = Rope::try_new(&RopeConfig::new(dh, base).rotary_dim(d), 1).unwrap();
        let mut cache = vec![0.0f32; (start as usize + t_count) * d];
        rope.fill_cache(&mut cache).unwrap();
        let mut g = Lcg(seed);
        let mut q: Vec<f32> = (0..t_count * q_heads * dh).map(|_| g.f32()).collect();
        let mut k: Vec<f32> = (0..t_count * k_heads * dh).map(|_| g.f32()).collect();
        let (mut q2, mut k2) = (q.clone(), k.clone());
        rope.apply_qk(&mut q, &shape, &mut k, k_heads, Positions::From(start)).unwrap();
        apply_cached(&mut q2, &shape, Positions::From(start), &cache).unwrap();
        if k_heads > 0 {
            let ks = Shape { heads: k_heads, ..shape };
            apply_cached(&mut k2, &ks, Positions::From(start), &cache).unwrap();
        }
        prop_assert!(q.iter().zip(&q2).all(|(a, b)| same(*a, *b)));
        prop_assert!(k.iter().zip(&k2).all(|(a, b)| same(*a, *b)));
    }

    #[test]
    fn exact_cos_sin_within_bound_at_any_position(
        p in any::<u32>(),
        base in 2.0f64..1e7,
        half in 1usize..65,
        factor in 1.0f64..16.0,
    ) {
        let cfg = RopeConfig::new(2 * half, base).scaling(Scaling::Linear { factor });
        let rope: Rope = Rope::try_new(&cfg, 1).unwrap();
        let mut w = vec![0.0f64; half];
        cfg.inv_freqs(1, &mut w).unwrap();
        let mut row = vec![0.0f32; 2 * half];
        rope.cos_sin(p, &mut row).unwrap();
        for j in 0..half {
            let th = r::angle(u64::from(p), w[j]);
            let (c, s) = (libm::cos(th), libm::sin(th));
            prop_assert!((f64::from(row[j]) - c).abs() <= EXACT_BOUND, "p={} j={}", p, j);
            prop_assert!((f64::from(row[half + j]) - s).abs() <= EXACT_BOUND, "p={} j={}", p, j);
        }
    }

    #[test]
    fn rotation_preserves_norm(
        layout in 0u8..2, p in any::<u32>(), seed in any::<u64>(),
    ) {
        let rope: Rope = Rope::try_new(&RopeConfig::new(128, 500_000.0), 1).unwrap();
        let mut g = Lcg(seed);
        let x: Vec<f32> = (0..128).map(|_| g.f32()).collect();
        let mut y = x.clone();
        rope.apply(&mut y, &Shape::new(layout_of(layout), 1, 128), Positions::From(p)).unwrap();
        let n = |v: &[f32]| v.iter().map(|&a| f64::from(a) * f64::from(a)).sum::<f64>().sqrt();
        prop_assert!((n(&y) - n(&x)).abs() <= 4.0 * EXACT_BOUND * n(&x) + 1e-6);
    }

    #[test]
    fn dot_product_depends_only_on_relative_position(
        layout in 0u8..2, p1 in 0u32..(u32::MAX / 2), p2 in 0u32..(u32::MAX / 2),
        k in 0u32..100_000, seed in any::<u64>(),
    ) {
        let rope: Rope = Rope::try_new(&RopeConfig::new(128, 10_000.0), 1).unwrap();
        let shape = Shape::new(layout_of(layout), 1, 128);
        let mut g = Lcg(seed);
        let q: Vec<f32> = (0..128).map(|_| g.f32()).collect();
        let kv: Vec<f32> = (0..128).map(|_| g.f32()).collect();
        let dot_at = |p: u32| {
            let (mut a, mut b) = (q.clone(), kv.clone());
            rope.apply(&mut a, &shape, Positions::From(p)).unwrap();
            rope.apply(&mut b, &shape, Positions::From(p + k)).unwrap();
            a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>()
        };
        let norm = |v: &[f32]| v.iter().map(|&a| f64::from(a).powi(2)).sum::<f64>().sqrt();
        let bound = 8.0 * EXACT_BOUND * norm(&q) * norm(&kv);
        prop_assert!((dot_at(p1) - dot_at(p2)).abs() <= bound);
    }

    #[test]
    fn exact_rotation_within_bound_of_f64_rotation(
        layout in 0u8..2, p in any::<u32>(), seed in any::<u64>(),
    ) {
        let cfg = RopeConfig::new(128, 500_000.0).scaling(Scaling::Llama3(Llama3::META));
        let rope: Rope = Rope::try_new(&cfg, 1).unwrap();
        let mut w = vec![0.0f64; 64];
        cfg.inv_freqs(1, &mut w).unwrap();
        let mut g = Lcg(seed);
        let x: Vec<f32> = (0..128).map(|_| g.f32()).collect();
        let mut y = x.clone();
        rope.apply(&mut y, &Shape::new(layout_of(layout), 1, 128), Positions::From(p)).unwrap();
        let mut want = vec![0.0f64; 128];
        r::rotate_exact(layout_of(layout), &x, u64::from(p), &w, 1.0, &mut want);
        for i in 0..128 {
            // |x| ≤ 1: 2·2^-22 from cos/sin, plus f32 rounding of the products.
            prop_assert!((f64::from(y[i]) - want[i]).abs() <= 2.0 * EXACT_BOUND + 4e-7);
        }
    }

    #[test]
    fn layouts_are_equivalent_under_the_permutation(
        heads in 1usize..4, half in 1usize..20, extra in 0usize..4, p in any::<u32>(), seed in any::<u64>(),
    ) {
        let (d, dh) = (2 * half, 2 * half + extra);
        let rope: Rope = Rope::try_new(&RopeConfig::new(dh, 10_000.0).rotary_dim(d), 1).unwrap();
        let il = Shape::new(Layout::Interleaved, heads, dh).rotary_dim(d);
        let hs = Shape { layout: Layout::HalfSplit, ..il };
        let mut g = Lcg(seed);
        let x: Vec<f32> = (0..heads * dh).map(|_| g.f32()).collect();
        // rotate (interleaved) then permute == permute then rotate (half-split)
        let mut a = x.clone();
        rope.apply(&mut a, &il, Positions::From(p)).unwrap();
        let mut a2 = vec![0.0f32; a.len()];
        permute_rows(&il, Layout::HalfSplit, 1, &a, &mut a2).unwrap();
        let mut b = vec![0.0f32; x.len()];
        permute_rows(&il, Layout::HalfSplit, 1, &x, &mut b).unwrap();
        rope.apply(&mut b, &hs, Positions::From(p)).unwrap();
        prop_assert!(a2.iter().zip(&b).all(|(u, v)| u.to_bits() == v.to_bits()));
        // and the permutation round-trips
        let mut back = vec![0.0f32; x.len()];
        permute_rows(&hs, Layout::Interleaved, 1, &b, &mut back).unwrap();
        let mut direct = x.clone();
        rope.apply(&mut direct, &il, Positions::From(p)).unwrap();
        prop_assert_eq!(back, direct);
    }

    #[test]
    fn inv_freqs_equal_reference_for_every_scheme(
        scheme in 0u8..8, half in 2usize..65, base in 2.0f64..1e6,
        factor in 1.0f64..40.0, orig in 64u32..65536, seq in 1u64..300_000,
        ext in 0.0f64..1.0, trunc in any::<bool>(),
    ) {
        let d = 2 * half;
        let short: Vec<f32> = (0..half).map(|j| 1.0 + j as f32 * 0.01).collect();
        let long: Vec<f32> = (0..half).map(|j| 1.0 + j as f32 * 0.5).collect();
        let scaling = match scheme {
            0 => Scaling::Default,
            1 => Scaling::Linear { factor },
            2 => Scaling::Dynamic { factor, original_max_position: orig },
            3 => Scaling::Yarn(Yarn { truncate: trunc, ..Yarn::new(factor, orig) }),
            4 => Scaling::LongRope(LongRope {
                short_factor: &short, long_factor: &long,
                original_max_position: orig, factor, attention_factor: None,
            }),
            5 => Scaling::Llama3(Llama3 { factor, original_max_position: orig, ..Llama3::META }),
            6 => Scaling::Ggml(Ggml { freq_scale: 1.0 / factor, ext_factor: ext, n_ctx_orig: orig, freq_factors: Some(&long), ..Ggml::OFF }),
            _ => Scaling::Ggml(Ggml { freq_scale: 1.0 / factor, ..Ggml::OFF }),
        };
        let cfg = RopeConfig::new(d, base).scaling(scaling);
        let mut w = vec![0.0f64; half];
        cfg.inv_freqs(seq, &mut w).unwrap();
        for j in 0..half {
            let want = r::inv_freq(&cfg, j, seq);
            prop_assert!((w[j] - want).abs() <= 1e-14 * want, "scheme {} j {}: {} vs {}", scheme, j, w[j], want);
        }
    }
}

#[test]
fn known_frequencies_and_attention_factors() {
    // Llama 3.1: high-frequency band kept, low band / 8, smooth in between.
    let cfg = RopeConfig::new(128, 500_000.0).scaling(Scaling::Llama3(Llama3::META));
    let mut w = [0.0f64; 64];
    assert_eq!(cfg.inv_freqs(1, &mut w).unwrap(), 1.0);
    let plain = |j: usize| libm::pow(500_000.0, -(2.0 * j as f64) / 128.0);
    assert_eq!(w[0], 1.0);
    assert_eq!(w[10], plain(10)); // wavelength 2π/ω < 2048
    assert!((w[63] - plain(63) / 8.0).abs() < 1e-18); // wavelength > 8192

    // YaRN with mscale/mscale_all_dim (DeepSeek-V2 style): ratio of g().
    let y = Yarn {
        mscale: Some(0.707),
        mscale_all_dim: Some(0.707),
        ..Yarn::new(40.0, 4096)
    };
    let cfg = RopeConfig::new(64, 10_000.0).scaling(Scaling::Yarn(y));
    assert_eq!(cfg.attention_factor(1).unwrap(), 1.0);

    // LongRoPE picks the factors from the sequence length.
    let (short, long) = ([1.0f32; 4], [2.0f32; 4]);
    let l = LongRope {
        short_factor: &short,
        long_factor: &long,
        original_max_position: 4096,
        factor: 32.0,
        attention_factor: None,
    };
    let cfg = RopeConfig::new(8, 10_000.0).scaling(Scaling::LongRope(l));
    let mut w = [0.0f64; 4];
    cfg.inv_freqs(4096, &mut w).unwrap();
    assert_eq!(w[0], 1.0);
    let a = cfg.inv_freqs(4097, &mut w).unwrap();
    assert_eq!(w[0], 0.5);
    let want = (1.0 + 32f64.ln() / 4096f64.ln()).sqrt();
    assert!((a - want).abs() < 1e-15);

    // Dynamic NTK: plain RoPE up to the original length.
    let cfg = RopeConfig::new(64, 10_000.0).scaling(Scaling::Dynamic {
        factor: 2.0,
        original_max_position: 2048,
    });
    let mut w = [0.0f64; 32];
    let mut plain_w = [0.0f64; 32];
    cfg.inv_freqs(2048, &mut w).unwrap();
    RopeConfig::new(64, 10_000.0)
        .inv_freqs(1, &mut plain_w)
        .unwrap();
    assert_eq!(w, plain_w);
    cfg.inv_freqs(4096, &mut w).unwrap();
    assert!(w[31] < plain_w[31]);

    // ggml YaRN equals HF YaRN for ext_factor 1, freq_scale 1/s.
    let hf = RopeConfig::new(128, 10_000.0).scaling(Scaling::Yarn(Yarn::new(4.0, 4096)));
    let gg = RopeConfig::new(128, 10_000.0).scaling(Scaling::Ggml(Ggml {
        freq_scale: 0.25,
        ext_factor: 1.0,
        n_ctx_orig: 4096,
        ..Ggml::OFF
    }));
    let (mut a, mut b) = ([0.0f64; 64], [0.0f64; 64]);
    let fa = hf.inv_freqs(1, &mut a).unwrap();
    let fb = gg.inv_freqs(1, &mut b).unwrap();
    assert!((fa - fb).abs() < 1e-15);
    for j in 0..64 {
        assert!((a[j] - b[j]).abs() <= 1e-15 * a[j]);
    }
}

#[test]
fn hf_f32_default_replays_torch_float32_steps() {
    let cfg = RopeConfig::new(128, 10_000.0);
    let mut w = [0.0f32; 64];
    assert_eq!(cfg.hf_f32_inv_freqs(1, &mut w).unwrap(), 1.0);
    for j in 0..64 {
        let e = (2 * j) as f32 / 128.0;
        // torch's f32 pow is correctly rounded: the f64 pow rounded once.
        assert_eq!(w[j], 1.0 / libm::pow(10_000.0, f64::from(e)) as f32);
    }
    // The f32 angle pipeline at 1M is off by ~0.06 rad; ours by < 2^-22.
    // A cache of frequencies 1..5 only (32 MB): all 64 would take 512 MB, an
    // eighth of wasm32's address space, on every target the suite runs on.
    let p = 1_000_000u32;
    let js = 1..5;
    let k = js.len();
    let mut cache = vec![0.0f32; (p as usize + 1) * 2 * k];
    fill_cache_hf_f32(&w[js.clone()], 1.0, &mut cache).unwrap();
    let row = &cache[p as usize * 2 * k..];
    let rope: Rope = Rope::try_new(&cfg, 1).unwrap();
    let mut ours = [0.0f32; 128];
    rope.cos_sin(p, &mut ours).unwrap();
    let mut wf = [0.0f64; 64];
    cfg.inv_freqs(1, &mut wf).unwrap();
    let (mut hf_err, mut our_err) = (0.0f64, 0.0f64);
    for (i, j) in js.enumerate() {
        let a = r::angle(u64::from(p), wf[j]);
        let (c, s) = (libm::cos(a), libm::sin(a));
        hf_err = hf_err.max((f64::from(row[i]) - c).abs());
        hf_err = hf_err.max((f64::from(row[k + i]) - s).abs());
        our_err = our_err.max((f64::from(ours[j]) - c).abs());
        our_err = our_err.max((f64::from(ours[64 + j]) - s).abs());
    }
    assert!(hf_err > 1e-3, "{hf_err}");
    assert!(our_err < EXACT_BOUND, "{our_err}");
}

#[test]
fn exact_bound_holds_at_the_largest_positions() {
    let cfg = RopeConfig::new(128, 10_000.0);
    let rope: Rope = Rope::try_new(&cfg, 1).unwrap();
    let mut w = [0.0f64; 64];
    cfg.inv_freqs(1, &mut w).unwrap();
    let mut row = [0.0f32; 128];
    for p in (0..64)
        .map(|k| u32::MAX - k * 65_537)
        .chain([1 << 31, 1 << 24, 131_072])
    {
        rope.cos_sin(p, &mut row).unwrap();
        for j in 0..64 {
            let (c, s) = r::cos_sin(u64::from(p), w[j]);
            assert!((row[j] - c).abs() as f64 <= EXACT_BOUND, "p={p} j={j}");
            assert!((row[64 + j] - s).abs() as f64 <= EXACT_BOUND, "p={p} j={j}");
        }
    }
}

#[test]
fn errors_leave_buffers_untouched() {
    let shape = Shape::new(Layout::HalfSplit, 2, 8);
    let cache = vec![0.5f32; 4 * 8];
    let mut x = vec![3.0f32; 2 * 2 * 8];
    // position past the cache
    let e = apply_cached(&mut x, &shape, Positions::From(3), &cache).unwrap_err();
    assert_eq!(
        e,
        Error::PositionOutOfRange {
            index: 1,
            position: 4,
            limit: 4
        }
    );
    assert!(apply_cached(&mut x, &shape, Positions::List(&[0]), &cache).is_err());
    assert!(apply_cached(&mut x, &shape, Positions::List(&[0, 9]), &cache).is_err());
    assert!(apply_cached(&mut x[..5], &shape, Positions::From(0), &cache).is_err());
    assert!(apply_cached(&mut x, &shape.rotary_dim(3), Positions::From(0), &cache).is_err());
    assert!(apply_cached(&mut x, &shape.rotary_dim(10), Positions::From(0), &cache).is_err());
    assert!(apply_cached(&mut x, &shape, Positions::From(0), &cache[..7]).is_err());
    let rope: Rope = Rope::try_new(&RopeConfig::new(8, 1e4), 1).unwrap();
    assert!(
        rope.apply(&mut x, &shape, Positions::From(u32::MAX))
            .is_err()
    );
    assert!(
        rope.apply(&mut x, &shape.rotary_dim(4), Positions::From(0))
            .is_err()
    );
    let mut k = vec![3.0f32; 8 * 3];
    assert!(
        rope.apply_qk(&mut x, &shape, &mut k, 1, Positions::From(0))
            .is_err()
    );
    assert!(x.iter().chain(&k).all(|&v| v == 3.0));
    // configs
    assert!(Rope::<2>::try_new(&RopeConfig::new(8, 1e4), 1).is_err());
    for bad in [
        RopeConfig::new(8, f64::NAN),
        RopeConfig::new(8, 1e4).rotary_dim(0),
        RopeConfig::new(8, 1e4).scaling(Scaling::Linear { factor: 0.0 }),
        RopeConfig::new(2, 1e4).scaling(Scaling::Dynamic {
            factor: 2.0,
            original_max_position: 8,
        }),
        RopeConfig::new(8, 1e4).scaling(Scaling::Yarn(Yarn::new(2.0, 0))),
        RopeConfig::new(8, 1e4).scaling(Scaling::Llama3(Llama3 {
            high_freq_factor: 1.0,
            ..Llama3::META
        })),
        RopeConfig::new(8, 1e4).scaling(Scaling::Ggml(Ggml {
            freq_factors: Some(&[1.0]),
            ..Ggml::OFF
        })),
    ] {
        let mut w = [7.0f64; 4];
        assert!(bad.inv_freqs(1, &mut w).is_err(), "{bad:?}");
        assert_eq!(w, [7.0; 4]);
    }
}

#[test]
fn deterministic_sweep_of_widths_and_offsets() {
    // Every rotary width up to 4·LANES+2 pairs, buffers offset by 0..8.
    let rope_w: Vec<f64> = (0..40).map(|j| 0.9f64.powi(j)).collect();
    for half in 1..=34 {
        let rope = Rope::<40>::from_inv_freqs(&rope_w[..half]).unwrap();
        let d = 2 * half;
        let mut cache = vec![0.0f32; 3 * d];
        rope.fill_cache(&mut cache).unwrap();
        for layout in [Layout::HalfSplit, Layout::Interleaved] {
            for off in 0..8 {
                let shape = Shape::new(layout, 2, d + 1).rotary_dim(d);
                let mut g = Lcg(half as u64 * 31 + off as u64);
                let mut buf: Vec<f32> = (0..off + 2 * 2 * (d + 1)).map(|_| g.f32()).collect();
                let mut want = buf.clone();
                apply_cached(&mut buf[off..], &shape, Positions::From(1), &cache).unwrap();
                reference_apply(&mut want[off..], &shape, &[1, 2], &cache);
                assert!(
                    buf.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
                );
            }
        }
    }
}

#[test]
fn exact_cos_sin_and_streaming_are_bit_identical_on_every_backend_and_target() {
    // Known answers: the same hashes under the default build (where x86
    // one-row bodies compute whole octets at run time), native, forced
    // scalar and aarch64 (lanes only). Widths cover a tail below eight
    // pairs, one block of 64 pairs and two; the YaRN config folds an
    // attention factor into every cos/sin.
    let mut hashes = Vec::new();
    let yarn = RopeConfig::new(128, 10_000.0).scaling(Scaling::Yarn(Yarn::new(4.0, 4096)));
    for cfg in [
        RopeConfig::new(40, 10_000.0),
        RopeConfig::new(128, 500_000.0),
        RopeConfig::new(256, 10_000.0),
        yarn,
    ] {
        let rope: Rope = Rope::try_new(&cfg, 1).unwrap();
        let d = cfg.rotary_dim;
        let mut rows = vec![0.0f32; 5 * d];
        for (p, row) in [0, 1, 4095, 1_000_000, u32::MAX]
            .into_iter()
            .zip(rows.chunks_exact_mut(d))
        {
            rope.cos_sin(p, row).unwrap();
        }
        hashes.push(fnv(&rows));
        for layout in [Layout::HalfSplit, Layout::Interleaved] {
            // Inputs from integers only (a platform's `f32::sin` may differ).
            let mut q: Vec<f32> = (0..2 * 4 * d)
                .map(|i| (i % 97) as f32 / 48.0 - 1.0)
                .collect();
            rope.apply(&mut q, &Shape::new(layout, 4, d), Positions::From(65_536))
                .unwrap();
            hashes.push(fnv(&q));
        }
    }
    assert_eq!(hashes, KNOWN_ROPE, "{hashes:#x?}");
}
/// Hashes of the known-answer rows and rotations (computed on the default
/// x86_64 build, 2026-11-30).
const KNOWN_ROPE: [u64; 12] = [
    0xc905_32dc_9bc1_8cae,
    0x0004_70cb_c84d_0872,
    0x5bf0_f63d_b01a_f7a5,
    0x35bf_1c57_5050_0c10,
    0x3a04_dd16_1ee7_f790,
    0x7264_6cea_0157_6c24,
    0x1d5b_5d63_fd07_10c3,
    0x3649_527b_f7c6_7004,
    0x5f47_0828_b4c9_4446,
    0x1dc7_8017_1604_a6d7,
    0x78d3_c0cd_5e21_79f8,
    0x2d58_e048_5866_c2f3,
];
