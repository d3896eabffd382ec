//! The fused input layer against the reference composed from the reference
//! kernels: bitwise where only IEEE adds/multiplies are involved, within the
//! sinusoidal bound or a LayerNorm tolerance otherwise; every preset; prefill
//! equal to decode; bad ids, types and positions are errors with `out`
//! untouched.

use inlayer::Error;
use inlayer::formats::{F32Table, Table};
use inlayer::input::{InputLayer, LayerNorm, Positions, input_layer, input_layer_rows};
use inlayer::reference::input as oracle;
use inlayer::sinusoidal::{MAX_ABS_ERR, Sinusoidal, SinusoidalConfig, TableKernel};
use proptest::prelude::*;

/// A non-f32 table format (int8 with one scale), to exercise `decode_into`.
struct I8Table<'a> {
    q: &'a [i8],
    dim: usize,
    scale: f32,
}

impl Table for I8Table<'_> {
    fn rows(&self) -> usize {
        self.q.len() / self.dim
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]) {
        let src = &self.q[row * self.dim + c0..][..out.len()];
        for (o, &v) in out.iter_mut().zip(src) {
            *o = f32::from(v) * self.scale;
        }
    }
}

fn vals(n: usize, seed: u64) -> Vec<f32> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn close(a: &[f32], b: &[f32], abs: f32, rel: f32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (x - y).abs() <= abs + rel * y.abs())
}

fn cases() -> impl Strategy<Value = (usize, usize, Vec<u32>, Vec<u32>, u32, u8, bool, bool)> {
    (1usize..40, 1usize..12, 0usize..6).prop_flat_map(|(dim, vocab, t)| {
        (
            Just(dim),
            Just(vocab),
            proptest::collection::vec(0u32..(vocab as u32 + 2), t),
            proptest::collection::vec(0u32..3, t),
            prop_oneof![0u32..20, any::<u32>()],
            0u8..3,
            any::<bool>(),
            any::<bool>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn fused_equals_reference_or_the_same_error_with_out_untouched(
        (dim, vocab, tokens, types, start, pos_kind, with_types, with_norm) in cases()
    ) {
        let wte = vals(vocab * dim, 1);
        let wpe = vals(16 * dim, 2);
        let tte = vals(2 * dim, 3); // 2 types: id 2 is out of range
        let gamma = vals(dim, 4);
        let beta = vals(dim, 5);
        let cfg = if dim % 2 == 0 { SinusoidalConfig::transformer() } else { SinusoidalConfig::fairseq(1) };
        let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
        let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
        let positions = match pos_kind {
            0 => Positions::None,
            1 => Positions::Learned { table: &wpe, first: 0 },
            _ => Positions::Sinusoidal(&pe),
        };
        let layer = InputLayer {
            scale: Some(1.5),
            positions,
            token_types: with_types.then_some(&tte[..]),
            norm: with_norm.then_some(LayerNorm { gamma: &gamma, beta: &beta, eps: 1e-5 }),
        };
        let ty = with_types.then_some(&types[..]);
        let mut a = vec![7.0f32; tokens.len() * dim];
        let mut b = vec![7.0f32; tokens.len() * dim];
        let ra = input_layer(&layer, &F32Table::new(&wte, dim).unwrap(), &tokens, ty, start, &mut a);
        let rb = oracle::input_layer(&layer, &wte, dim, &tokens, ty, start, &mut b);
        prop_assert_eq!(ra, rb);
        if ra.is_err() {
            prop_assert!(a.iter().all(|&x| x == 7.0));
        } else if with_norm {
            prop_assert!(close(&a, &b, 2e-4, 2e-4), "{:?} vs {:?}", a, b);
        } else if pos_kind == 2 {
            prop_assert!(close(&a, &b, MAX_ABS_ERR as f32 + 4e-7, 2.5e-7), "{:?} vs {:?}", a, b);
        } else {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&a), bits(&b));
        }
        // A non-f32 format gives the same as the reference on its decoded table.
        if ra.is_ok() {
            let q: Vec<i8> = (0..vocab * dim).map(|i| (i % 251) as i8).collect();
            let qt = I8Table { q: &q, dim, scale: 0.01 };
            let dense: Vec<f32> = q.iter().map(|&v| f32::from(v) * 0.01).collect();
            let mut c = vec![0.0f32; tokens.len() * dim];
            let mut d = vec![0.0f32; tokens.len() * dim];
            input_layer(&layer, &qt, &tokens, ty, start, &mut c).unwrap();
            oracle::input_layer(&layer, &dense, dim, &tokens, ty, start, &mut d).unwrap();
            prop_assert!(close(&c, &d, 2e-4, 2e-4));
        }
    }
}

#[test]
fn decode_steps_equal_the_prefill_rows_bitwise() {
    let dim = 24;
    let wte = vals(50 * dim, 9);
    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let layer = InputLayer::transformer(&pe);
    let table = F32Table::new(&wte, dim).unwrap();
    let tokens = [3u32, 49, 0, 7, 7];
    let mut prefill = vec![0.0f32; tokens.len() * dim];
    input_layer(&layer, &table, &tokens, None, 1000, &mut prefill).unwrap();
    for (t, &tok) in tokens.iter().enumerate() {
        let mut row = vec![0.0f32; dim];
        input_layer(&layer, &table, &[tok], None, 1000 + t as u32, &mut row).unwrap();
        assert_eq!(row, prefill[t * dim..(t + 1) * dim]);
    }
}

/// The decode step and short runs of an `f32` table with sinusoidal
/// positions write the encoding first and add the token part onto it (from
/// a table of 4 MiB or more, with the token row hinted meanwhile): the same
/// bits as the parts composed in the reference's order, `((x · s) + type) +
/// pe`, from a small table and a DRAM-sized one, with and without token
/// types.
#[test]
fn decode_steps_equal_their_parts_composed_in_order_bitwise() {
    let dim = 40;
    let big = vals((1 << 20) / dim * dim + dim, 21);
    let types = vals(2 * dim, 22);
    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    for wte in [&big[..64 * dim], &big[..]] {
        let table = F32Table::new(wte, dim).unwrap();
        let vocab = (wte.len() / dim) as u32;
        let tokens = [vocab - 1, 3, vocab / 2];
        for with_types in [false, true] {
            let layer = InputLayer {
                token_types: with_types.then_some(&types[..]),
                ..InputLayer::transformer(&pe)
            };
            let ty = [1u32, 0, 1];
            let ty = with_types.then_some(&ty[..]);
            for n in [1, tokens.len()] {
                let mut got = vec![7.0f32; n * dim];
                input_layer(
                    &layer,
                    &table,
                    &tokens[..n],
                    ty.map(|t| &t[..n]),
                    9,
                    &mut got,
                )
                .unwrap();
                for (t, row) in got.chunks(dim).enumerate() {
                    let mut enc = vec![0.0f32; dim];
                    pe.row(9 + t as u32, &mut enc).unwrap();
                    let x = &wte[tokens[t] as usize * dim..][..dim];
                    let s = layer.scale.unwrap();
                    let want: Vec<f32> = (0..dim)
                        .map(|j| {
                            let v = x[j] * s;
                            let v = match ty {
                                Some(ty) => v + types[ty[t] as usize * dim + j],
                                None => v,
                            };
                            v + enc[j]
                        })
                        .collect();
                    assert!(
                        row.iter()
                            .zip(&want)
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "vocab {vocab}, types {with_types}, {n} tokens, row {t}"
                    );
                }
            }
        }
    }
}

#[test]
fn per_row_plan_prefill_equals_its_decode_steps_bitwise() {
    // A `TableKernel::PerRow` plan (firmware): a long prefill adds the
    // one-row kernel's encoding to each row, the same bits as decoding the
    // tokens one at a time, and within the bound of the reference.
    let dim = 24;
    let wte = vals(50 * dim, 9);
    let cfg = SinusoidalConfig::transformer();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns)
        .unwrap()
        .with_table_kernel(TableKernel::PerRow);
    let layer = InputLayer::transformer(&pe);
    let table = F32Table::new(&wte, dim).unwrap();
    let tokens: Vec<u32> = (0..40).map(|i| (i * 7) % 50).collect();
    for start in [0u32, 1_000_000, u32::MAX - 100] {
        let mut prefill = vec![0.0f32; tokens.len() * dim];
        input_layer(&layer, &table, &tokens, None, start, &mut prefill).unwrap();
        for (t, &tok) in tokens.iter().enumerate() {
            let mut row = vec![0.0f32; dim];
            input_layer(&layer, &table, &[tok], None, start + t as u32, &mut row).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&row), bits(&prefill[t * dim..(t + 1) * dim]));
        }
        let mut r = vec![0.0f32; tokens.len() * dim];
        oracle::input_layer(&layer, &wte, dim, &tokens, None, start, &mut r).unwrap();
        let tol = MAX_ABS_ERR as f32 + 8.0 * f32::EPSILON;
        assert!(close(&prefill, &r, tol, 2.0 * f32::EPSILON));
    }
}

#[test]
fn model_presets_do_what_the_models_do() {
    // Gemma: HF rounds √3072 to bf16 (55.5); llama.cpp keeps f32 (55.4256).
    assert_eq!(InputLayer::gemma(3072, true).scale, Some(55.5));
    assert!((InputLayer::gemma(3072, false).scale.unwrap() - 55.425_626).abs() < 1e-5);
    // Transformer: ×√d + sinusoidal.
    let cfg = SinusoidalConfig::transformer();
    let mut turns = [0u64; 8];
    let pe = Sinusoidal::try_new(cfg, 16, &mut turns).unwrap();
    assert_eq!(InputLayer::transformer(&pe).scale, Some(4.0));
    // BERT: word + position + type, then LayerNorm: rows have mean ≈ 0, var ≈ 1.
    let dim = 8;
    let wte = vals(10 * dim, 1);
    let wpe = vals(4 * dim, 2);
    let tte = vals(2 * dim, 3);
    let (g, b) = (vec![1.0f32; dim], vec![0.0f32; dim]);
    let layer = InputLayer::bert(&wpe, &tte, &g, &b);
    let mut out = [[0.0f32; 8]; 3];
    input_layer_rows(
        &layer,
        &F32Table::new(&wte, dim).unwrap(),
        &[1, 2, 3],
        Some(&[0, 1, 1]),
        0,
        &mut out,
    )
    .unwrap();
    for row in out {
        let m: f32 = row.iter().sum::<f32>() / 8.0;
        let v: f32 = row.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / 8.0;
        assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-3, "{m} {v}");
    }
    // BLOOM: embedding LayerNorm only.
    let layer = InputLayer::bloom(&g, &b);
    assert!(matches!(layer.positions, Positions::None));
    assert_eq!(layer.norm.unwrap().eps, 1e-5);
}

#[test]
fn bad_inputs_are_errors_and_leave_out_untouched() {
    let dim = 4;
    let wte = vals(5 * dim, 1);
    let wpe = vals(3 * dim, 2);
    let table = F32Table::new(&wte, dim).unwrap();
    let layer = InputLayer::gpt2(&wpe);
    let mut out = [9.0f32; 8];
    let e = input_layer(&layer, &table, &[1, 5], None, 0, &mut out).unwrap_err();
    assert_eq!(
        e,
        Error::TokenOutOfRange {
            index: 1,
            token: 5,
            vocab: 5
        }
    );
    let e = input_layer(&layer, &table, &[1, 2], None, 2, &mut out).unwrap_err();
    assert_eq!(
        e,
        Error::PositionOutOfRange {
            index: 1,
            position: 3,
            limit: 3
        }
    );
    assert!(input_layer(&layer, &table, &[1], None, 0, &mut out).is_err()); // out too long
    let tte = vals(2 * dim, 3);
    let with_types = InputLayer {
        token_types: Some(&tte),
        ..layer
    };
    assert!(input_layer(&with_types, &table, &[1, 2], None, 0, &mut out).is_err()); // types missing
    let e = input_layer(&with_types, &table, &[1, 2], Some(&[0, 2]), 0, &mut out).unwrap_err();
    assert_eq!(
        e,
        Error::TokenOutOfRange {
            index: 1,
            token: 2,
            vocab: 2
        }
    );
    let g = [1.0f32; 4];
    let bad_eps = InputLayer {
        norm: Some(LayerNorm {
            gamma: &g,
            beta: &g,
            eps: f32::NAN,
        }),
        ..layer
    };
    assert!(input_layer(&bad_eps, &table, &[1, 2], None, 0, &mut out).is_err());
    let e = input_layer(
        &InputLayer::new(),
        &table,
        &[1, 2],
        None,
        u32::MAX,
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(e, Error::PositionOutOfRange { .. }));
    assert_eq!(out, [9.0; 8]);
}

#[test]
fn empty_prompt_is_ok_at_any_position_on_every_target() {
    // No tokens: no position is used, so none is checked, and the first
    // position may sit anywhere, even where `first + start_pos` does not fit a
    // 32-bit `usize` (a proptest found the overflow on wasm32).
    let dim = 4;
    let wte = vals(5 * dim, 1);
    let wpe = vals(3 * dim, 2);
    let table = F32Table::new(&wte, dim).unwrap();
    for first in [0, 2, 3, u32::MAX] {
        let layer = InputLayer {
            positions: Positions::Learned { table: &wpe, first },
            ..InputLayer::gpt2(&wpe)
        };
        for start_pos in [0, 1, u32::MAX / 2 + 1, u32::MAX] {
            assert_eq!(
                input_layer(&layer, &table, &[], None, start_pos, &mut []),
                Ok(())
            );
        }
    }
}

#[test]
fn zero_encodings_add_like_the_reference_to_negative_zero_rows() {
    // An odd width's zero column has encoding 0: the fused layer adds it
    // (`-0.0 + 0.0 = +0.0`) as `x·s + pe` does, for a decode
    // step, a short prefill (one-row kernel) and a long one (table kernel),
    // over native and decoded rows (a proptest found the one-row kernel
    // leaving `-0.0`).
    let dim = 5;
    let cfg = SinusoidalConfig::tensor2tensor();
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let wte = vec![-0.0f32; 3 * dim];
    let q = vec![0i8; 3 * dim];
    let decoded = I8Table {
        q: &q,
        dim,
        scale: -1.0,
    };
    for scale in [None, Some(2.0)] {
        let layer = InputLayer {
            scale,
            positions: Positions::Sinusoidal(&pe),
            token_types: None,
            norm: None,
        };
        for t in [1usize, 16, 40] {
            let tokens: Vec<u32> = (0..t as u32).map(|i| i % 3).collect();
            // The fused layer's contract: bit for bit `x·s + pe` with `pe`
            // from `Sinusoidal::rows` (the reference agrees within bounds).
            let mut want = vec![0.0f32; t * dim];
            pe.rows(cfg.first_position + 7, &mut want).unwrap();
            for w in &mut want {
                *w += scale.map_or(-0.0, |s| -0.0 * s);
            }
            assert_eq!(want[dim - 1].to_bits(), 0.0f32.to_bits());
            let mut got = vec![9.0f32; t * dim];
            input_layer(
                &layer,
                &F32Table::new(&wte, dim).unwrap(),
                &tokens,
                None,
                7,
                &mut got,
            )
            .unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "native rows, T = {t}, {scale:?}");
            input_layer(&layer, &decoded, &tokens, None, 7, &mut got).unwrap();
            assert_eq!(bits(&got), bits(&want), "decoded rows, T = {t}, {scale:?}");
        }
    }
}

#[test]
fn long_prefill_with_sinusoidal_positions_matches_the_reference() {
    // 32 tokens or more: the encodings are written by the table kernel first.
    for (dim, cfg) in [
        (24usize, SinusoidalConfig::transformer()),
        (9, SinusoidalConfig::fairseq(1)),
    ] {
        let wte = vals(30 * dim, 1);
        let tte = vals(2 * dim, 3);
        let (g, b) = (vals(dim, 4), vals(dim, 5));
        let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
        let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
        let tokens: Vec<u32> = (0..40).map(|i| (i * 7) % 30).collect();
        let types: Vec<u32> = (0..40).map(|i| i % 2).collect();
        let q: Vec<i8> = (0..30 * dim).map(|i| (i % 251) as i8).collect();
        let qt = I8Table {
            q: &q,
            dim,
            scale: 0.01,
        };
        let dense: Vec<f32> = q.iter().map(|&v| f32::from(v) * 0.01).collect();
        for norm in [false, true] {
            let layer = InputLayer {
                scale: Some(2.0),
                positions: Positions::Sinusoidal(&pe),
                token_types: Some(&tte),
                norm: norm.then_some(LayerNorm {
                    gamma: &g,
                    beta: &b,
                    eps: 1e-5,
                }),
            };
            for start in [0u32, 1_000_000, u32::MAX - 100] {
                let mut a = vec![0.0f32; 40 * dim];
                let mut r = vec![0.0f32; 40 * dim];
                input_layer(
                    &layer,
                    &F32Table::new(&wte, dim).unwrap(),
                    &tokens,
                    Some(&types),
                    start,
                    &mut a,
                )
                .unwrap();
                oracle::input_layer(&layer, &wte, dim, &tokens, Some(&types), start, &mut r)
                    .unwrap();
                assert!(close(&a, &r, 2e-4, 2e-4));
                if !norm {
                    assert!(close(&a, &r, MAX_ABS_ERR as f32 + 4e-7, 2.5e-7));
                }
                input_layer(&layer, &qt, &tokens, Some(&types), start, &mut a).unwrap();
                oracle::input_layer(&layer, &dense, dim, &tokens, Some(&types), start, &mut r)
                    .unwrap();
                assert!(close(&a, &r, 2e-4, 2e-4));
            }
        }
    }
}

/// Long prefills over decoded rows without token types: the gather writes
/// the scaled token rows, then the table kernel adds the encodings in place,
/// bit for bit the decoded rows times the scale plus `Sinusoidal::rows`; at
/// widths whose blocks of 32 frequencies are whole (64, 130) and not (24),
/// in both layouts.
#[test]
fn long_prefill_over_decoded_rows_adds_the_table_encodings_bitwise() {
    for cfg in [
        SinusoidalConfig::transformer(),
        SinusoidalConfig::tensor2tensor(),
    ] {
        for dim in [24usize, 64, 130] {
            let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
            let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
            let q: Vec<i8> = (0..30 * dim).map(|i| (i * 37 % 251) as i8).collect();
            let qt = I8Table {
                q: &q,
                dim,
                scale: 0.01,
            };
            let tokens: Vec<u32> = (0..40).map(|i| (i * 7) % 30).collect();
            let layer = InputLayer {
                scale: Some(1.5),
                positions: Positions::Sinusoidal(&pe),
                token_types: None,
                norm: None,
            };
            for start in [0u32, 1_000_000] {
                let mut got = vec![7.0f32; 40 * dim];
                input_layer(&layer, &qt, &tokens, None, start, &mut got).unwrap();
                let mut want = vec![0.0f32; 40 * dim];
                pe.rows(cfg.first_position + start, &mut want).unwrap();
                for (row, &tok) in want.chunks_exact_mut(dim).zip(&tokens) {
                    let x = &q[tok as usize * dim..][..dim];
                    for (o, &v) in row.iter_mut().zip(x) {
                        *o += f32::from(v) * 0.01 * 1.5;
                    }
                }
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{:?} D {dim} start {start}",
                    cfg.layout
                );
            }
        }
    }
}

/// BERT's word + token type + position rows over decoded tables (the test's
/// own `Table`, whose epilogue is the trait's default, and the crate's `bf16`
/// and `Q8_0` views, whose decoders apply the scale and the first add row
/// before they store): bit for bit the reference on the decoded table, for
/// every row of a prefill and a decode step, with and without a scale.
#[test]
fn token_types_and_learned_positions_over_decoded_rows_equal_the_reference_bitwise() {
    use inlayer::formats::{Bf16Table, Q8_0Table, encode_bf16, encode_q8_0};
    let (dim, vocab) = (64usize, 5usize);
    let x = vals(vocab * dim, 11);
    let q: Vec<i8> = (0..vocab * dim).map(|i| (i * 37 % 251) as i8).collect();
    let mut bf = vec![0u8; 2 * vocab * dim];
    encode_bf16(&x, &mut bf).unwrap();
    let mut q8 = vec![0u8; vocab * dim / 32 * 34];
    encode_q8_0(&x, &mut q8).unwrap();
    let tables: [&dyn Table; 3] = [
        &I8Table {
            q: &q,
            dim,
            scale: 0.01,
        },
        &Bf16Table::from_bytes(&bf, dim).unwrap(),
        &Q8_0Table::from_bytes(&q8, dim).unwrap(),
    ];
    let (wpe, tte) = (vals(16 * dim, 12), vals(2 * dim, 13));
    for (k, table) in tables.into_iter().enumerate() {
        let mut dense = vec![0.0f32; vocab * dim];
        for (r, row) in dense.chunks_exact_mut(dim).enumerate() {
            table.decode_into(r, 0, row);
        }
        for scale in [None, Some(8.0f32)] {
            let layer = InputLayer {
                scale,
                positions: Positions::Learned {
                    table: &wpe,
                    first: 0,
                },
                token_types: Some(&tte),
                norm: None,
            };
            for (tokens, types) in [(&[2u32, 0, 4][..], &[1u32, 0, 1][..]), (&[3], &[1])] {
                let mut got = vec![7.0f32; tokens.len() * dim];
                let mut want = vec![7.0f32; tokens.len() * dim];
                input_layer(&layer, table, tokens, Some(types), 5, &mut got).unwrap();
                oracle::input_layer(&layer, &dense, dim, tokens, Some(types), 5, &mut want)
                    .unwrap();
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "table {k} scale {scale:?} tokens {tokens:?}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(32)
    ))]

    /// Long prefills without token types gather the scaled token rows, then
    /// the table kernel adds the encodings in place: bit for bit the
    /// encodings of `Sinusoidal::rows` added to the scaled token rows, and
    /// within the contract of the reference.
    #[test]
    fn long_prefill_equals_scaled_token_rows_plus_table_encodings_bitwise(
        dim in 1usize..70,
        t in 16usize..60,
        preset in 0usize..4,
        start in prop_oneof![0u32..2000, (u32::MAX - 5000)..u32::MAX - 100],
        scale in prop_oneof![Just(None), Just(Some(1.5f32)), Just(Some(f32::NAN))],
        with_norm in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let cfg = [
            SinusoidalConfig::transformer(),
            SinusoidalConfig::tensor2tensor(),
            SinusoidalConfig::fairseq(1),
            SinusoidalConfig::marian(),
        ][preset];
        let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
        let Ok(pe) = Sinusoidal::try_new(cfg, dim, &mut turns) else {
            return Ok(()); // a width this preset rejects (odd D)
        };
        let vocab = 50;
        let mut wte = vals(vocab * dim, seed);
        wte[0] = f32::INFINITY;
        wte[dim] = -0.0; // row 1 starts with -0.0
        let tokens: Vec<u32> = vals(t, seed ^ 7).iter().map(|v| ((v + 1.0) * 25.0) as u32 % vocab as u32).collect();
        let (g, b) = (vals(dim, 4), vals(dim, 5));
        let layer = InputLayer {
            scale,
            positions: Positions::Sinusoidal(&pe),
            token_types: None,
            norm: with_norm.then_some(LayerNorm { gamma: &g, beta: &b, eps: 1e-5 }),
        };
        let mut a = vec![7.0f32; t * dim];
        input_layer(&layer, &F32Table::new(&wte, dim).unwrap(), &tokens, None, start, &mut a).unwrap();
        let mut r = vec![0.0f32; t * dim];
        oracle::input_layer(&layer, &wte, dim, &tokens, None, start, &mut r).unwrap();
        let finite = |v: &[f32]| v.iter().map(|x| if x.is_finite() { *x } else { 0.0 }).collect::<Vec<_>>();
        if with_norm {
            prop_assert!(close(&finite(&a), &finite(&r), 2e-4, 2e-4));
            return Ok(());
        }
        let mut two_pass = vec![0.0f32; t * dim];
        pe.rows(cfg.first_position + start, &mut two_pass).unwrap();
        for (k, row) in two_pass.chunks_exact_mut(dim).enumerate() {
            let x = &wte[tokens[k] as usize * dim..][..dim];
            for (o, &x) in row.iter_mut().zip(x) {
                *o = match scale {
                    Some(s) => x * s + *o,
                    None => x + *o,
                };
            }
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&a), bits(&two_pass));
        prop_assert!(close(&finite(&a), &finite(&r), MAX_ABS_ERR as f32 + 4e-7, 2.5e-7));
    }
}
