//! Tour part: positions. The whole input layer (tokens → scaled embeddings +
//! position-exact sinusoidal encodings) on a small built-in model, checked
//! against `inlayer::reference`, timed next to separate passes, and a
//! heatmap of the encoding matrix written as a PNG.

use crate::util::{Rng, best_of};
use inlayer::formats::F32Table;
use inlayer::input::{InputLayer, input_layer};
use inlayer::reference;
use inlayer::sinusoidal::{MAX_ABS_ERR, Sinusoidal, SinusoidalConfig};

const VOCAB: usize = 1000;
const D: usize = 256;
const T: usize = 128;

pub fn run() {
    println!("positions: Transformer-paper input layer (x√d + sinusoidal), D = {D}, T = {T}");
    let mut rng = Rng(3);
    let wte: Vec<f32> = (0..VOCAB * D).map(|_| rng.f32() * 0.1).collect();
    let table = F32Table::new(&wte, D).expect("whole rows");
    let tokens: Vec<u32> = (0..T).map(|_| rng.below(VOCAB as u32)).collect();

    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, D)];
    let pe = Sinusoidal::try_new(cfg, D, &mut turns).expect("valid config");
    let layer = InputLayer::transformer(&pe);

    // Prefill, checked against the reference composed from reference kernels.
    let mut out = vec![0.0f32; T * D];
    let mut want = vec![0.0f32; T * D];
    input_layer(&layer, &table, &tokens, None, 0, &mut out).expect("valid input");
    reference::input::input_layer(&layer, &wte, D, &tokens, None, 0, &mut want).expect("valid");
    let err = out
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("  prefill of {T} tokens: max |fused - reference| = {err:.2e}");
    assert!(err <= 1e-5);

    // Decode far away: position 3e9, still exact.
    let p = 3_000_000_001u32;
    let mut row = vec![0.0f32; D];
    pe.row(p, &mut row).expect("one row");
    let worst = (0..D)
        .map(|c| (f64::from(row[c]) - reference::sinusoidal::value(&cfg, D, p, c)).abs())
        .fold(0.0f64, f64::max);
    println!(
        "  encoding of position {p}: max error vs exact = {worst:.2e} (bound {MAX_ABS_ERR:.2e})"
    );
    assert!(worst <= MAX_ABS_ERR);
    let w = reference::sinusoidal::omega(&cfg, D, 0);
    let f32_angle = (p as f32 * w as f32).sin();
    let exact = reference::sinusoidal::sincos_exact(p, w).0;
    println!(
        "  the usual f32-angle pipeline there: sin = {f32_angle:.4} vs exact {exact:.4} (error {:.2e})",
        (f64::from(f32_angle) - exact).abs()
    );

    // Throughput: fused vs separate passes (gather·scale, positions into a temporary, add).
    let mut tmp = vec![0.0f32; T * D];
    let scale = layer.scale.unwrap_or(1.0);
    let fused = best_of(5, 20, || {
        input_layer(&layer, &table, &tokens, None, 0, &mut out).unwrap()
    });
    let separate = best_of(5, 20, || {
        let epi = inlayer::gather::Epilogue::new().scale(scale);
        inlayer::gather::gather_view(&table, &tokens, &epi, &mut out, D).unwrap();
        pe.rows(0, &mut tmp).unwrap();
        for (o, &t) in out.iter_mut().zip(&tmp) {
            *o += t;
        }
    });
    let rate = |d: std::time::Duration| (T * D) as f64 / d.as_secs_f64() / 1e9;
    println!(
        "  fused: {:.2} G elements/s; separate passes: {:.2} G elements/s ({:.2}x)",
        rate(fused),
        rate(separate),
        separate.as_secs_f64() / fused.as_secs_f64()
    );

    // Heatmap of the encoding matrix: positions (rows) × dimensions (columns).
    let mut m = vec![0.0f32; T * D];
    pe.rows(0, &mut m).expect("table");
    let path = std::env::temp_dir().join("inlayer_positions.png");
    match std::fs::write(&path, heatmap_png(&m, T, D, 2)) {
        Ok(()) => println!(
            "  heatmap of the {T}x{D} encoding matrix written to {}",
            path.display()
        ),
        Err(e) => println!("  could not write the heatmap: {e}"),
    }
    println!();
}

/// Diverging colour map: −1 blue, 0 white, +1 red.
fn color(v: f32) -> [u8; 3] {
    let v = v.clamp(-1.0, 1.0);
    let k = |x: f32| (255.0 * (1.0 - x)).round() as u8;
    if v >= 0.0 {
        [255, k(v), k(v)]
    } else {
        [k(-v), k(-v), 255]
    }
}

/// A minimal PNG writer: 8-bit RGB, no filter, stored (uncompressed) deflate.
fn heatmap_png(m: &[f32], rows: usize, cols: usize, px: usize) -> Vec<u8> {
    let (w, h) = (cols * px, rows * px);
    let mut raw = Vec::with_capacity(h * (1 + 3 * w));
    for y in 0..h {
        raw.push(0); // filter: none
        for x in 0..w {
            raw.extend_from_slice(&color(m[(y / px) * cols + x / px]));
        }
    }
    // zlib stream of stored blocks.
    let mut z = vec![0x78, 0x01];
    let mut chunks = raw.chunks(65_535).peekable();
    while let Some(c) = chunks.next() {
        z.push(u8::from(chunks.peek().is_none()));
        let n = c.len() as u16;
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&(!n).to_le_bytes());
        z.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace
    for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &z[..]), (b"IEND", &[][..])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}
