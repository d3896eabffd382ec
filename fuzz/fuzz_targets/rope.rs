//! Fuzz target: RoPE configs, shapes and positions.
//!
//! Decodes the input into a scaling scheme with arbitrary parameters, a
//! shape, positions and head data, then checks: nothing panics; frequencies
//! equal the reference formulas; `apply_cached` equals the reference
//! rotation bit for bit; streaming equals the cached path bit for bit; any
//! `Err` leaves the buffers untouched.

#![no_main]

use inlayer::reference::rope as r;
use inlayer::rope::{
    Ggml, Layout, Llama3, LongRope, Order, Positions, Rope, RopeConfig, Scaling, Shape, Yarn,
    apply_cached,
};
use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    /// Mostly sensible values, sometimes arbitrary bit patterns.
    fn f64(&mut self) -> f64 {
        match self.u8() % 8 {
            0 => f64::from_bits(u64::from(self.u32()) << 32 | u64::from(self.u32())),
            1 => -(f64::from(self.u8())),
            2 => 0.0,
            _ => f64::from(self.u32() % 1_000_000) / f64::from(1 + self.u8() as u32),
        }
    }
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn run(data: &[u8]) {
    let mut b = Bytes(data);
    let half = usize::from(b.u8() % 40);
    let rotary = 2 * half + usize::from(b.u8() % 4 == 0); // sometimes odd
    let head_dim = rotary + usize::from(b.u8() % 4);
    let base = b.f64();
    let factors: Vec<f32> = (0..half).map(|_| b.f64() as f32).collect();
    let factors2: Vec<f32> = (0..half).map(|_| 1.0 + f32::from(b.u8())).collect();
    let orig = b.u32() % 200_000;
    let scaling = match b.u8() % 8 {
        0 => Scaling::Default,
        1 => Scaling::Linear { factor: b.f64() },
        2 => Scaling::Dynamic {
            factor: b.f64(),
            original_max_position: orig,
        },
        3 => Scaling::Yarn(Yarn {
            beta_fast: b.f64(),
            beta_slow: b.f64(),
            truncate: b.u8() % 2 == 0,
            mscale: Some(b.f64()),
            mscale_all_dim: Some(b.f64()),
            ..Yarn::new(b.f64(), orig)
        }),
        4 => Scaling::LongRope(LongRope {
            short_factor: &factors2,
            long_factor: &factors,
            original_max_position: orig,
            factor: b.f64(),
            attention_factor: None,
        }),
        5 => Scaling::Llama3(Llama3 {
            factor: b.f64(),
            low_freq_factor: b.f64(),
            high_freq_factor: b.f64(),
            original_max_position: orig,
        }),
        6 => Scaling::Ggml(Ggml {
            freq_scale: b.f64(),
            ext_factor: b.f64(),
            attn_factor: b.f64(),
            beta_fast: b.f64(),
            beta_slow: b.f64(),
            n_ctx_orig: orig,
            freq_factors: Some(&factors2),
        }),
        _ => Scaling::Ggml(Ggml {
            freq_scale: b.f64(),
            ..Ggml::OFF
        }),
    };
    let cfg = RopeConfig::new(head_dim, base)
        .rotary_dim(rotary)
        .scaling(scaling);
    let seq_len = u64::from(b.u32());

    // Frequencies: never panic; equal to the reference when valid.
    let mut w = vec![7.0f64; half];
    match cfg.inv_freqs(seq_len, &mut w) {
        Ok(_) => {
            for (j, &got) in w.iter().enumerate() {
                let want = r::inv_freq(&cfg, j, seq_len);
                let tol = 1e-12 * got.abs().max(want.abs()) + 1e-300;
                assert!(
                    (got - want).abs() <= tol,
                    "j={j}: {got} vs {want} for {cfg:?}"
                );
            }
        }
        Err(_) => assert!(w.iter().all(|&v| v == 7.0)),
    }
    let mut w32 = vec![7.0f32; half];
    if cfg.hf_f32_inv_freqs(seq_len, &mut w32).is_err() {
        assert!(w32.iter().all(|&v| v == 7.0));
    }

    // Shapes, positions and data.
    let layout = if b.u8() % 2 == 0 {
        Layout::HalfSplit
    } else {
        Layout::Interleaved
    };
    let order = if b.u8() % 2 == 0 {
        Order::TokenMajor
    } else {
        Order::HeadMajor
    };
    let heads = usize::from(b.u8() % 4);
    let k_heads = usize::from(b.u8() % 3);
    let tokens = usize::from(b.u8() % 4);
    let shape = Shape::new(layout, heads, head_dim)
        .rotary_dim(rotary)
        .order(order);
    let explicit = b.u8() % 2 == 0;
    let n_rows = usize::from(b.u8() % 6);
    let start = if b.u8() % 4 == 0 {
        b.u32()
    } else {
        u32::from(b.u8() % 4)
    };
    let list: Vec<u32> = (0..tokens + usize::from(b.u8() % 4 == 0))
        .map(|_| {
            if b.u8() % 8 == 0 {
                b.u32()
            } else {
                u32::from(b.u8() % 6)
            }
        })
        .collect();
    let positions = if explicit {
        Positions::List(&list)
    } else {
        Positions::From(start)
    };
    let x0: Vec<f32> = (0..tokens * heads * head_dim + usize::from(b.u8() % 5 == 0))
        .map(|_| f32::from_bits(b.u32()))
        .collect();
    let k0: Vec<f32> = (0..tokens * k_heads * head_dim)
        .map(|_| f32::from_bits(b.u32()))
        .collect();

    let Ok(rope) = Rope::<40>::try_new(&cfg, seq_len) else {
        return;
    };
    let mut cache = vec![0.0f32; n_rows * rotary];
    rope.fill_cache(&mut cache).expect("whole rows");

    // Cached path vs reference rotation.
    let mut x = x0.clone();
    match apply_cached(&mut x, &shape, positions, &cache) {
        Ok(()) => {
            let mut want = x0.clone();
            let h = rotary / 2;
            for t in 0..tokens {
                let p = match positions {
                    Positions::From(s) => (s as usize) + t,
                    Positions::List(l) => l[t] as usize,
                };
                let row = &cache[p * rotary..(p + 1) * rotary];
                for hd in 0..heads {
                    let off = match order {
                        Order::TokenMajor => (t * heads + hd) * head_dim,
                        Order::HeadMajor => (hd * tokens + t) * head_dim,
                    };
                    r::rotate(layout, &mut want[off..off + head_dim], &row[..h], &row[h..]);
                }
            }
            assert!(same(&x, &want));
        }
        Err(_) => assert!(same(&x, &x0)),
    }

    // Streaming (Q and K together) vs the cached path where both apply.
    let (mut q, mut k) = (x0.clone(), k0.clone());
    let res = rope.apply_qk(&mut q, &shape, &mut k, k_heads, positions);
    match res {
        Ok(()) => {
            let mut big = vec![0.0f32; 0];
            let last = match positions {
                Positions::From(s) => u64::from(s) + tokens as u64,
                Positions::List(l) => l.iter().map(|&p| u64::from(p) + 1).max().unwrap_or(0),
            };
            if last <= 4096 {
                big.resize(last as usize * rotary, 0.0);
                rope.fill_cache(&mut big).expect("whole rows");
                let mut q2 = x0.clone();
                apply_cached(&mut q2, &shape, positions, &big).expect("same shape");
                assert!(same(&q, &q2));
                if !k0.is_empty() {
                    let mut k2 = k0.clone();
                    let ks = Shape {
                        heads: k_heads,
                        ..shape
                    };
                    apply_cached(&mut k2, &ks, positions, &big).expect("same shape");
                    assert!(same(&k, &k2));
                }
            }
        }
        Err(_) => assert!(same(&q, &x0) && same(&k, &k0)),
    }
}

fuzz_target!(|data: &[u8]| run(data));
