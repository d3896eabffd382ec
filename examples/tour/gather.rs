//! Tour part 1: the token-embedding gather on a built-in model.
//!
//! The "model" is a deterministic `[VOCAB][D]` table of f32 values and a
//! byte-level tokenizer (token id = byte value + 3), so the tour needs no
//! download and prints the same numbers every run.

use crate::util::{Rng, best_of};
use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view, gather_with};
use inlayer::reference;

const VOCAB: usize = 4096;
const D: usize = 768;

pub fn run() {
    println!("== gather: tokens -> rows of a [{VOCAB} x {D}] f32 table ==");
    let mut rng = Rng(42);
    let table: Vec<[f32; D]> = (0..VOCAB)
        .map(|_| core::array::from_fn(|_| rng.f32()))
        .collect();
    let wpe: Vec<[f32; D]> = (0..1024)
        .map(|_| core::array::from_fn(|_| rng.f32() * 0.1))
        .collect();

    // Embed a sentence: byte-level ids, scaled by sqrt(d), plus learned positions.
    let text = "inlayer turns token ids into vectors.";
    let tokens: Vec<u32> = text.bytes().map(|b| u32::from(b) + 3).collect();
    let t = tokens.len();
    let scale = (D as f32).sqrt();
    let epi = Epilogue::new().scale(scale).add(wpe[..t].as_flattened());
    let mut out = vec![[0.0f32; D]; t];
    gather_with(&table, &tokens, &epi, &mut out).expect("valid ids");
    let mut want = vec![0.0f32; t * D];
    reference::gather::gather(
        table.as_flattened(),
        D,
        &tokens,
        Some(scale),
        Some(wpe[..t].as_flattened()),
        None,
        &mut want,
    )
    .expect("valid ids");
    let same = out
        .as_flattened()
        .iter()
        .zip(&want)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "embedded {t} tokens of {text:?}: out[0][..4] = {:?}; equals the reference bit for bit: {same}",
        &out[0][..4]
    );
    assert!(same, "fast gather differs from the reference");

    // A bad id is an error and leaves the output untouched.
    let before = out[0];
    let err = inlayer::gather(&table, &[VOCAB as u32 + 7], &mut out[..1]).unwrap_err();
    println!(
        "bad id -> Err: {err}; output untouched: {}",
        before == out[0]
    );

    // Throughput, T = 512 random ids, hot table (12 MiB).
    let ids: Vec<u32> = (0..512).map(|_| rng.below(VOCAB as u32)).collect();
    let mut out = vec![[0.0f32; D]; ids.len()];
    let bytes = (ids.len() * D * 4) as f64;
    let memcpy = best_of(15, 20, || {
        for (o, &i) in out.iter_mut().zip(&ids) {
            o.copy_from_slice(&table[i as usize]);
        }
        std::hint::black_box(&mut out);
    });
    let fast = best_of(15, 20, || {
        inlayer::gather(&table, std::hint::black_box(&ids), &mut out).unwrap();
    });
    let epi = Epilogue::new().scale(scale).add(wpe[..512].as_flattened());
    let fused = best_of(15, 20, || {
        gather_with(&table, std::hint::black_box(&ids), &epi, &mut out).unwrap();
    });
    let mut flat = vec![0.0f32; ids.len() * D];
    let refr = best_of(5, 4, || {
        reference::gather::gather(table.as_flattened(), D, &ids, None, None, None, &mut flat)
            .unwrap();
    });
    let view = F32Table::new(table.as_flattened(), D).unwrap();
    let strided = best_of(15, 20, || {
        gather_view(&view, &ids, &Epilogue::new(), &mut flat, D).unwrap();
    });
    let gbs = |d: std::time::Duration| bytes / d.as_secs_f64() / 1e9;
    let m = memcpy.as_secs_f64();
    println!("throughput, 512 tokens x {D}, hot table (ratio to the per-row memcpy limit):");
    for (name, d) in [
        ("per-row memcpy (the limit)", memcpy),
        ("inlayer::gather", fast),
        ("inlayer gather_view (runtime shape)", strided),
        ("gather + scale + add (fused)", fused),
        ("reference (scalar oracle)", refr),
    ] {
        println!(
            "  {name:<38} {:>7.2} GB/s  {:>5.2}x",
            gbs(d),
            m / d.as_secs_f64()
        );
    }
    println!();
}
