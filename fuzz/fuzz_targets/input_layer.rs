//! Fuzz: the fused input layer. Decodes shapes, ids, types, a start position
//! and the position kind from the input; the fused layer must return the
//! same `Err` as the reference (with `out` untouched) or values within
//! tolerance of it, and never panic.
#![no_main]

use inlayer::formats::F32Table;
use inlayer::input::{InputLayer, LayerNorm, Positions, input_layer};
use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|d: &[u8]| {
    if d.len() < 16 {
        return;
    }
    let dim = usize::from(d[0] % 48) + 1;
    let vocab = usize::from(d[1] % 16) + 1;
    let n_pos = usize::from(d[2] % 24);
    let t = usize::from(d[3] % 24);
    let start = u32::from_le_bytes([d[4], d[5], d[6], d[7]]) >> (d[8] % 32);
    let ids = &d[16..];
    let tokens: Vec<u32> = (0..t)
        .map(|k| u32::from(ids.get(k).copied().unwrap_or(0) % 20))
        .collect();
    let types: Vec<u32> = (0..t)
        .map(|k| u32::from(ids.get(k + t).copied().unwrap_or(0) % 3))
        .collect();
    let val = |i: usize| ((i * 2_654_435_761) % 1000) as f32 / 500.0 - 1.0;
    let wte: Vec<f32> = (0..vocab * dim).map(val).collect();
    let wpe: Vec<f32> = (0..n_pos * dim).map(|i| val(i + 7)).collect();
    let tte: Vec<f32> = (0..2 * dim).map(|i| val(i + 3)).collect();
    let g: Vec<f32> = (0..dim).map(|i| val(i + 5)).collect();
    let cfg = if dim % 2 == 0 {
        SinusoidalConfig::transformer()
    } else {
        SinusoidalConfig::fairseq(1)
    };
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let layer = InputLayer {
        scale: (d[9] & 1 != 0).then_some(1.5),
        positions: match d[10] % 3 {
            0 => Positions::None,
            1 => Positions::Learned {
                table: &wpe,
                first: u32::from(d[11] % 3),
            },
            _ => Positions::Sinusoidal(&pe),
        },
        token_types: (d[12] & 1 != 0).then_some(&tte[..]),
        norm: (d[13] & 1 != 0).then_some(LayerNorm {
            gamma: &g,
            beta: &g,
            eps: 1e-5,
        }),
    };
    let ty = (d[14] & 1 != 0).then_some(&types[..]);
    let mut a = vec![3.0f32; t * dim];
    let mut b = vec![3.0f32; t * dim];
    let ra = input_layer(
        &layer,
        &F32Table::new(&wte, dim).unwrap(),
        &tokens,
        ty,
        start,
        &mut a,
    );
    let rb = inlayer::reference::input::input_layer(&layer, &wte, dim, &tokens, ty, start, &mut b);
    assert_eq!(ra, rb);
    if ra.is_err() {
        assert!(a.iter().all(|&x| x == 3.0));
    } else {
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }
});
