//! ALiBi and T5 against their reference formulas.

#![allow(
    clippy::needless_range_loop,
    reason = "tests index several arrays in step"
)]

use inlayer::reference::relative as r;
use inlayer::relative::{AlibiOffset, T5Buckets, alibi_bias, alibi_slopes, alibi_slopes_ggml};
use proptest::prelude::*;

fn cases() -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(n)
}

fn extensive() -> bool {
    std::env::var("INLAYER_EXTENSIVE").is_ok_and(|v| v == "1")
}

#[test]
fn alibi_slopes_equal_press_for_every_head_count_to_256() {
    for n in 1..=256 {
        let (mut fast, mut want) = (vec![0.0f32; n], vec![0.0f32; n]);
        alibi_slopes(&mut fast).unwrap();
        r::alibi_slopes_press(&mut want);
        for h in 0..n {
            assert_eq!(fast[h].to_bits(), want[h].to_bits(), "n={n} h={h}");
        }
    }
}

#[test]
fn alibi_slopes_ggml_equal_bloom_for_every_head_count_to_256() {
    for n in 1..=256 {
        let (mut fast, mut want) = (vec![0.0f32; n], vec![0.0f32; n]);
        alibi_slopes_ggml(8.0, &mut fast).unwrap();
        r::alibi_slopes_bloom(&mut want);
        for h in 0..n {
            assert_eq!(fast[h].to_bits(), want[h].to_bits(), "n={n} h={h}");
        }
    }
}

/// The f32 `powf` chain carries the rounding of its base times the power:
/// relative error below `(k + 1) · 2^-24` for power `k`.
#[test]
fn alibi_slopes_ggml_within_power_scaled_bound_of_exact() {
    let mut worst = 0.0f64;
    for n in 1..=256 {
        let (mut g, mut e) = (vec![0.0f32; n], vec![0.0f32; n]);
        alibi_slopes_ggml(8.0, &mut g).unwrap();
        alibi_slopes(&mut e).unwrap();
        let c = 1usize << n.ilog2();
        for h in 0..n {
            let k = if h < c { h + 1 } else { 2 * (h - c) + 1 };
            let rel = ((f64::from(g[h]) - f64::from(e[h])) / f64::from(e[h])).abs();
            worst = worst.max(rel);
            assert!(
                rel <= (k + 1) as f64 * 2f64.powi(-24),
                "n={n} h={h}: {} vs {}",
                g[h],
                e[h]
            );
        }
    }
    println!("worst relative difference ggml vs exact: {worst:e}");
}

#[test]
fn alibi_rejects_bad_input_and_leaves_output_untouched() {
    assert!(alibi_slopes(&mut []).is_err());
    let mut out = [7.0f32; 4];
    assert!(alibi_slopes_ggml(f32::NAN, &mut out).is_err());
    assert!(alibi_slopes_ggml(0.0, &mut out).is_err());
    assert!(alibi_bias(&[0.5], 0, 2, 3, AlibiOffset::Relative, &mut out).is_err());
    assert!(alibi_bias(&[0.5], 1 << 24, 1, 1, AlibiOffset::Relative, &mut out[..1]).is_err());
    assert!(alibi_bias(&[], 0, 1, 1, AlibiOffset::Relative, &mut out[..0]).is_err());
    assert_eq!(out, [7.0; 4]);
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn alibi_bias_equals_reference(
        heads in 1usize..40,
        q_start in 0u32..(1 << 20),
        q_len in 0usize..6,
        k_len in 0usize..40,
        off in 0u8..3,
    ) {
        let offset = [AlibiOffset::Relative, AlibiOffset::KeyIndex, AlibiOffset::LastKey][off as usize];
        let mut slopes = vec![0.0f32; heads];
        alibi_slopes(&mut slopes).unwrap();
        let k_len = k_len + q_start as usize % 7;
        let mut out = vec![f32::NAN; heads * q_len * k_len];
        alibi_bias(&slopes, q_start, q_len, k_len, offset, &mut out).unwrap();
        for h in 0..heads {
            for qi in 0..q_len {
                let i = q_start as i64 + qi as i64;
                let zero = match offset {
                    AlibiOffset::Relative => i,
                    AlibiOffset::KeyIndex => 0,
                    AlibiOffset::LastKey => k_len as i64 - 1,
                };
                for j in 0..k_len {
                    let want = r::alibi_bias(slopes[h], j as i64, zero);
                    let got = out[(h * q_len + qi) * k_len + j];
                    prop_assert_eq!(got.to_bits(), want.to_bits());
                }
            }
        }
    }

    #[test]
    fn t5_bucket_equals_reference_on_random_i32(
        rel in any::<i32>(),
        bidi in any::<bool>(),
        nb in 2u32..200,
        md in 1u32..100_000,
    ) {
        let nb = if bidi { nb * 2 } else { nb };
        let side = if bidi { nb / 2 } else { nb };
        let md = md + side / 2;
        let b = T5Buckets::try_new(bidi, nb, md).unwrap();
        prop_assert_eq!(b.bucket(rel), r::t5_bucket(i64::from(rel), bidi, nb, md));
    }
}

/// The configurations the exhaustive walks use: T5's, and some odd ones.
const CONFIGS: &[(bool, u32, u32)] = &[
    (true, 32, 128),
    (false, 32, 128),
    (true, 64, 256),
    (false, 128, 4096),
    (true, 4, 3),
    (false, 2, 2),
    (true, 33, 1000),
    (false, 1024, 1 << 30),
    (true, 320, 128),
];

#[test]
fn t5_bucket_equals_reference_for_every_small_and_boundary_position() {
    for &(bidi, nb, md) in CONFIGS {
        let b = T5Buckets::try_new(bidi, nb, md).unwrap();
        let check = |rel: i32| {
            assert_eq!(
                b.bucket(rel),
                r::t5_bucket(i64::from(rel), bidi, nb, md),
                "rel={rel} cfg={:?}",
                (bidi, nb, md)
            );
        };
        for rel in -70_000..=70_000 {
            check(rel);
        }
        for k in 0..31 {
            for d in -3i64..=3 {
                let v = (1i64 << k) + d;
                for s in [v, -v] {
                    if let Ok(rel) = i32::try_from(s) {
                        check(rel);
                    }
                }
            }
        }
        check(i32::MIN);
        check(i32::MAX);
    }
}

/// Every distinct `f32(n)` for `n ≤ 2^31` (the formula only sees `f32(n)`),
/// on both sides: `INLAYER_EXTENSIVE=1`.
#[test]
fn t5_bucket_equals_reference_for_every_i32_extensive() {
    if !extensive() {
        return;
    }
    for &(bidi, nb, md) in &CONFIGS[..4] {
        let b = T5Buckets::try_new(bidi, nb, md).unwrap();
        let mut n: i64 = 0;
        while n <= 1 << 31 {
            for s in [n, -n] {
                if let Ok(rel) = i32::try_from(s) {
                    assert_eq!(b.bucket(rel), r::t5_bucket(s, bidi, nb, md), "rel={s}");
                }
            }
            // Next integer whose f32 differs (and the last one before it).
            let step = if n < 1 << 24 {
                1
            } else {
                1i64 << (n.ilog2() - 23)
            };
            if step > 1 {
                let last = n + step - 1;
                if let Ok(rel) = i32::try_from(-last) {
                    assert_eq!(b.bucket(rel), r::t5_bucket(-last, bidi, nb, md));
                }
            }
            n += step;
        }
    }
}

#[test]
fn t5_fill_bias_and_buckets_equal_reference() {
    let b = T5Buckets::try_new(true, 32, 128).unwrap();
    let heads = 3;
    let table: Vec<f32> = (0..32 * heads).map(|i| i as f32 * 0.5).collect();
    let (q_start, q_len, k_len) = (200u32, 5usize, 300usize);
    let mut buckets = vec![0u32; q_len * k_len];
    let mut bias = vec![0.0f32; heads * q_len * k_len];
    b.fill_buckets(q_start, q_len, k_len, &mut buckets).unwrap();
    b.fill_bias(&table, heads, q_start, q_len, k_len, &mut bias)
        .unwrap();
    for qi in 0..q_len {
        for j in 0..k_len {
            let rel = j as i64 - (i64::from(q_start) + qi as i64);
            let want = r::t5_bucket(rel, true, 32, 128);
            assert_eq!(buckets[qi * k_len + j], want);
            for h in 0..heads {
                assert_eq!(
                    bias[(h * q_len + qi) * k_len + j],
                    table[want as usize * heads + h]
                );
            }
        }
    }
}

#[test]
fn t5_rejects_bad_configs_and_shapes() {
    assert!(T5Buckets::try_new(true, 3, 128).is_err());
    assert!(T5Buckets::try_new(false, 1, 128).is_err());
    assert!(T5Buckets::try_new(false, 2048, 1 << 20).is_err());
    assert!(T5Buckets::try_new(false, 32, 16).is_err());
    let b = T5Buckets::try_new(false, 32, 128).unwrap();
    let mut out = [9u32; 4];
    assert!(b.fill_buckets(0, 2, 3, &mut out).is_err());
    assert!(b.fill_buckets(u32::MAX, 1, 1, &mut out[..1]).is_err());
    assert_eq!(out, [9; 4]);
    let mut bias = [1.0f32; 4];
    assert!(b.fill_bias(&[0.0; 31], 1, 0, 2, 2, &mut bias).is_err());
    assert!(b.fill_bias(&[0.0; 32], 0, 0, 2, 2, &mut bias).is_err());
    assert_eq!(bias, [1.0; 4]);
}
