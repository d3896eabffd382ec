//! Fuzz target: ALiBi slopes/biases and T5 buckets against the reference
//! formulas, with arbitrary head counts, bucket configs and positions.

#![no_main]

use inlayer::reference::relative as r;
use inlayer::relative::{AlibiOffset, T5Buckets, alibi_bias, alibi_slopes, alibi_slopes_ggml};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8]) {
    let mut it = data.iter().copied();
    let mut u8_ = || it.next().unwrap_or(0);
    let u32_ = |f: &mut dyn FnMut() -> u8| u32::from_le_bytes([f(), f(), f(), f()]);

    // ALiBi slopes: exact == Press, ggml == BLOOM (max_bias 8).
    let n = usize::from(u8_()) + 1;
    let (mut m, mut want) = (vec![0.0f32; n], vec![0.0f32; n]);
    alibi_slopes(&mut m).expect("non-empty");
    r::alibi_slopes_press(&mut want);
    assert_eq!(m, want);
    alibi_slopes_ggml(8.0, &mut m).expect("valid");
    r::alibi_slopes_bloom(&mut want);
    assert_eq!(m, want);
    let max_bias = f32::from_bits(u32_(&mut u8_));
    let mut g = vec![3.0f32; n];
    if alibi_slopes_ggml(max_bias, &mut g).is_err() {
        assert!(g.iter().all(|&v| v == 3.0));
    }

    // ALiBi bias.
    let (q_start, q_len, k_len) = (
        u32_(&mut u8_),
        usize::from(u8_() % 4),
        usize::from(u8_() % 9),
    );
    let offset = [
        AlibiOffset::Relative,
        AlibiOffset::KeyIndex,
        AlibiOffset::LastKey,
    ][usize::from(u8_() % 3)];
    let heads = usize::from(u8_() % 4);
    let mut out = vec![5.0f32; heads * q_len * k_len + usize::from(u8_() % 7 == 0)];
    match alibi_bias(&m[..heads.min(n)], q_start, q_len, k_len, offset, &mut out) {
        Ok(()) => {
            for h in 0..heads {
                for qi in 0..q_len {
                    let i = i64::from(q_start) + qi as i64;
                    let zero = match offset {
                        AlibiOffset::Relative => i,
                        AlibiOffset::KeyIndex => 0,
                        AlibiOffset::LastKey => k_len as i64 - 1,
                    };
                    for j in 0..k_len {
                        let want = r::alibi_bias(m[h], j as i64, zero);
                        assert_eq!(out[(h * q_len + qi) * k_len + j].to_bits(), want.to_bits());
                    }
                }
            }
        }
        Err(_) => assert!(out.iter().all(|&v| v == 5.0)),
    }

    // T5 buckets.
    let bidi = u8_() % 2 == 0;
    let nb = u32::from(u8_()) * 4 + u32::from(u8_() % 4);
    let md = if u8_() % 2 == 0 {
        u32::from(u8_())
    } else {
        u32_(&mut u8_)
    };
    let Ok(t5) = T5Buckets::try_new(bidi, nb, md) else {
        return;
    };
    for _ in 0..16 {
        let rel = u32_(&mut u8_) as i32;
        for v in [rel, rel >> 8, rel >> 20, rel >> 26] {
            assert_eq!(
                t5.bucket(v),
                r::t5_bucket(i64::from(v), bidi, nb, md),
                "rel={v}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| run(data));
