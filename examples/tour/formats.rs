//! Tour part: quantized token tables. The f32 table of the gather part is
//! encoded to bf16, Q8_0 and Q4_0 with the crate's encoders; each is gathered
//! straight from its bytes (only the asked rows are decoded), checked bit for
//! bit against `inlayer::reference::formats`, and compared with the f32
//! table for error, size and speed.

use crate::util::{Rng, best_of};
use inlayer::formats::{
    Bf16Table, Format, Q4_0Table, Q8_0Table, Table, encode_bf16, encode_q4_0, encode_q8_0,
};
use inlayer::gather::{Epilogue, gather_cols, gather_view};
use inlayer::reference;

/// A format's name, id, bytes and view.
type Entry<'a> = (&'a str, Format, &'a [u8], Box<dyn Table + 'a>);

const VOCAB: usize = 4096;
const D: usize = 768;

pub fn run() {
    println!("== formats: the [{VOCAB} x {D}] table in bf16, Q8_0 and Q4_0 ==");
    let mut rng = Rng(7);
    let table: Vec<f32> = (0..VOCAB * D).map(|_| rng.f32() * 0.05).collect();
    let ids: Vec<u32> = (0..512).map(|_| rng.below(VOCAB as u32)).collect();
    let n = ids.len() * D;

    let mut bf16 = vec![0u8; VOCAB * D * 2];
    encode_bf16(&table, &mut bf16).unwrap();
    let mut q8 = vec![0u8; VOCAB * D / 32 * 34];
    encode_q8_0(&table, &mut q8).unwrap();
    let mut q4 = vec![0u8; VOCAB * D / 32 * 18];
    encode_q4_0(&table, &mut q4).unwrap();

    // The f32 per-row memcpy: the limit every format is compared with.
    let mut out = vec![0.0f32; n];
    let memcpy = best_of(9, 10, || {
        for (o, &i) in out.chunks_exact_mut(D).zip(&ids) {
            o.copy_from_slice(&table[i as usize * D..(i as usize + 1) * D]);
        }
        std::hint::black_box(&mut out);
    });
    let exact = out.clone();
    println!(
        "  {:<6} {:>8} {:>11} {:>10} {:>10} {:>9} {:>9}",
        "format", "MiB", "max |err|", "rms rel", "GB/s out", "x memcpy", "x ref"
    );
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    let gbs = |d: std::time::Duration| (n * 4) as f64 / d.as_secs_f64() / 1e9;
    println!(
        "  {:<6} {:>8.1} {:>11} {:>10} {:>10.2} {:>9.2} {:>9}",
        "f32",
        mib(table.len() * 4),
        "0",
        "0",
        gbs(memcpy),
        1.0,
        "-"
    );
    let views: [Entry<'_>; 3] = [
        (
            "bf16",
            Format::Bf16,
            &bf16,
            Box::new(Bf16Table::from_bytes(&bf16, D).unwrap()),
        ),
        (
            "Q8_0",
            Format::Q8_0,
            &q8,
            Box::new(Q8_0Table::from_bytes(&q8, D).unwrap()),
        ),
        (
            "Q4_0",
            Format::Q4_0Split,
            &q4,
            Box::new(Q4_0Table::from_bytes(&q4, D).unwrap()),
        ),
    ];
    for (name, format, bytes, view) in &views {
        let view = &**view;
        gather_view(view, &ids, &Epilogue::new(), &mut out, D).unwrap();
        let mut want = vec![0.0f32; n];
        let reference_time = best_of(3, 1, || {
            reference::formats::gather(
                *format,
                bytes,
                D,
                &[],
                &ids,
                0..D,
                None,
                None,
                None,
                &mut want,
            )
            .unwrap();
        });
        assert!(
            out.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name}: fast decode differs from the reference"
        );
        let fast = best_of(9, 10, || {
            gather_view(
                view,
                std::hint::black_box(&ids),
                &Epilogue::new(),
                &mut out,
                D,
            )
            .unwrap();
        });
        let max_err = out
            .iter()
            .zip(&exact)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        let (num, den) = out
            .iter()
            .zip(&exact)
            .fold((0.0f64, 0.0f64), |(n, d), (a, b)| {
                (n + f64::from(a - b).powi(2), d + f64::from(*b).powi(2))
            });
        println!(
            "  {name:<6} {:>8.1} {max_err:>11.2e} {:>10.2e} {:>10.2} {:>9.2} {:>9.1}",
            mib(bytes.len()),
            (num / den).sqrt(),
            gbs(fast),
            memcpy.as_secs_f64() / fast.as_secs_f64(),
            reference_time.as_secs_f64() / fast.as_secs_f64(),
        );
    }
    println!(
        "  (x memcpy: speed relative to the f32 per-row memcpy; x ref: to the reference decode-gather (per element, obviously right, slow))"
    );

    // Streaming a wide row through a small buffer, 64 columns at a time.
    let mut scratch = [0.0f32; 64];
    let q8_view = Q8_0Table::from_bytes(&q8, D).unwrap();
    let mut row = vec![0.0f32; D];
    for c0 in (0..D).step_by(64) {
        gather_cols(
            &q8_view,
            &[ids[0]],
            c0..c0 + 64,
            &Epilogue::new(),
            &mut scratch,
            64,
        )
        .unwrap();
        row[c0..c0 + 64].copy_from_slice(&scratch);
    }
    let mut whole = vec![0.0f32; D];
    gather_view(&q8_view, &[ids[0]], &Epilogue::new(), &mut whole, D).unwrap();
    println!(
        "  Q8_0 row streamed through a 64-value buffer equals the whole-row gather: {}",
        row == whole
    );
    println!();
}
