//! Property tests: every gather entry point equals `inlayer::reference::gather`
//! bit for bit, on whatever backend this build runs (`inlayer::BACKEND`; CI runs
//! the suite on SSE2, AVX2, AVX-512, forced scalar, NEON and wasm).
//!
//! Bit equality is `to_bits()` equality, except that two NaNs compare equal
//! whatever their payloads (Rust does not promise NaN payloads, and wasm
//! does not preserve them).

use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view, gather_with};
use inlayer::{Error, reference};
use proptest::prelude::*;

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(256),
    )
}

/// Any f32 bit pattern class: NaN, ±inf, subnormals, ±0.0, normals.
fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        proptest::num::f32::ANY,
        Just(-0.0f32),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MIN_POSITIVE / 4.0),
    ]
}

/// Row widths: small (every tail length of every lane width), odd, and large.
fn dims() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1usize..=40, 1 => 4090usize..=4100]
}

#[derive(Debug, Clone)]
struct Case {
    dim: usize,
    table: Vec<f32>,
    tokens: Vec<u32>,
    scale: Option<f32>,
    add: Option<Vec<f32>>,
    padding_id: Option<u32>,
}

impl Case {
    fn vocab(&self) -> usize {
        self.table.len() / self.dim
    }
    fn epilogue(&self) -> Epilogue<'_> {
        Epilogue {
            scale: self.scale,
            add: self.add.as_deref(),
            padding_id: self.padding_id,
        }
    }
    fn reference(&self, out: &mut [f32]) -> Result<(), Error> {
        reference::gather::gather(
            &self.table,
            self.dim,
            &self.tokens,
            self.scale,
            self.add.as_deref(),
            self.padding_id,
            out,
        )
    }
}

/// Random tables (vocab 1..8), token lists (empty, repeated, and with ids up
/// to vocab + 2, i.e. out of range at random positions), epilogues.
fn cases() -> impl Strategy<Value = Case> {
    (dims(), 1usize..8, 0usize..12).prop_flat_map(|(dim, vocab, t)| {
        let v = vocab as u32;
        (
            prop::collection::vec(any_f32(), vocab * dim),
            prop::collection::vec(prop_oneof![8 => 0..v, 1 => v..v + 3], t),
            prop::option::of(any_f32()),
            prop::option::of(prop::collection::vec(any_f32(), t * dim)),
            prop::option::of(0..v + 2),
        )
            .prop_map(move |(table, tokens, scale, add, padding_id)| Case {
                dim,
                table,
                tokens,
                scale,
                add,
                padding_id,
            })
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn gather_view_equals_reference_bitwise(c in cases()) {
        let n = c.tokens.len() * c.dim;
        let mut want = vec![1.5f32; n];
        let mut got = vec![1.5f32; n];
        let r = c.reference(&mut want);
        let table = F32Table::new(&c.table, c.dim).unwrap();
        let g = gather_view(&table, &c.tokens, &c.epilogue(), &mut got, c.dim);
        prop_assert_eq!(r, g, "backend {}", inlayer::BACKEND);
        prop_assert!(same_bits(&want, &got), "backend {}", inlayer::BACKEND);
    }

    #[test]
    fn gather_dyn_equals_reference_bitwise(c in cases()) {
        let n = c.tokens.len() * c.dim;
        let mut want = vec![0.0f32; n];
        let mut got = vec![0.0f32; n];
        let r = reference::gather::gather(&c.table, c.dim, &c.tokens, None, None, None, &mut want);
        let g = inlayer::gather_dyn(&c.table, c.dim, &c.tokens, &mut got);
        prop_assert_eq!(r, g);
        prop_assert!(same_bits(&want, &got));
    }

    #[test]
    fn unaligned_byte_table_equals_reference_bitwise(c in cases(), offset in 0usize..4) {
        let mut bytes = vec![0u8; offset];
        bytes.extend(c.table.iter().flat_map(|x| x.to_le_bytes()));
        let table = F32Table::from_bytes(&bytes[offset..], c.dim).unwrap();
        let n = c.tokens.len() * c.dim;
        let mut want = vec![0.0f32; n];
        let mut got = vec![0.0f32; n];
        let r = c.reference(&mut want);
        let g = gather_view(&table, &c.tokens, &c.epilogue(), &mut got, c.dim);
        prop_assert_eq!(r, g);
        prop_assert!(same_bits(&want, &got));
    }

    #[test]
    fn strided_output_equals_reference_and_leaves_gaps(c in cases(), gap in 0usize..9) {
        let stride = c.dim + gap;
        let t = c.tokens.len();
        let mut got = vec![7.25f32; t * stride];
        let mut want = vec![0.0f32; t * c.dim];
        let r = c.reference(&mut want);
        let table = F32Table::new(&c.table, c.dim).unwrap();
        let g = gather_view(&table, &c.tokens, &c.epilogue(), &mut got, stride);
        prop_assert_eq!(r, g);
        for (i, row) in got.chunks(stride).enumerate() {
            if r.is_ok() {
                prop_assert!(same_bits(&row[..c.dim], &want[i * c.dim..(i + 1) * c.dim]));
            }
            prop_assert!(row[c.dim..].iter().all(|&x| x == 7.25));
        }
    }

    #[test]
    fn err_leaves_output_untouched(c in cases(), fill in any::<u32>(), bad_at in any::<prop::sample::Index>()) {
        // Force an out-of-range id (unless it is the padding id) at a random place.
        let mut c = c;
        let vocab = c.vocab() as u32;
        if !c.tokens.is_empty() {
            let i = bad_at.index(c.tokens.len());
            c.tokens[i] = vocab + 3;
        }
        let n = c.tokens.len() * c.dim;
        let before = vec![f32::from_bits(fill); n];
        let mut got = before.clone();
        let table = F32Table::new(&c.table, c.dim).unwrap();
        let g = gather_view(&table, &c.tokens, &c.epilogue(), &mut got, c.dim);
        if !c.tokens.is_empty() {
            let is_range_err = matches!(g, Err(Error::TokenOutOfRange { .. }));
            prop_assert!(is_range_err, "{g:?}");
        }
        if g.is_err() {
            prop_assert!(got.iter().zip(&before).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
        // A wrong output length is an error too, and writes nothing.
        let mut short = vec![f32::from_bits(fill); n.saturating_sub(1)];
        if n > 0 {
            let g = gather_view(&table, &c.tokens, &c.epilogue(), &mut short, c.dim);
            let is_len_err = matches!(g, Err(Error::LengthMismatch { what: "out", .. }));
            prop_assert!(is_len_err);
            prop_assert!(short.iter().all(|a| a.to_bits() == fill));
        }
    }

    #[test]
    fn backward_equals_reference_bitwise(
        (dim, vocab, tokens, grads, init, padding_id) in (dims(), 1usize..6, 0usize..12)
            .prop_flat_map(|(dim, vocab, t)| {
                let v = vocab as u32;
                (
                    Just(dim),
                    Just(vocab),
                    prop::collection::vec(prop_oneof![8 => 0..v, 1 => v..v + 2], t),
                    prop::collection::vec(any_f32(), t * dim),
                    prop::collection::vec(any_f32(), vocab * dim),
                    prop::option::of(0..v + 1),
                )
            })
    ) {
        let mut want = init.clone();
        let mut got = init.clone();
        let r = reference::gather::gather_backward(&grads, &tokens, dim, padding_id, &mut want);
        let g = inlayer::gather_backward_dyn(&grads, &tokens, dim, padding_id, &mut got);
        prop_assert_eq!(r, g);
        prop_assert!(same_bits(&want, &got));
        let _ = vocab;
    }
}

/// The fixed-shape functions for a spread of `D`s, including 0 and sizes that
/// are not multiples of any lane width.
macro_rules! fixed_shape_suite {
    ($($name:ident: $d:expr,)*) => {$(
        #[test]
        fn $name() {
            const D: usize = $d;
            let mut rng = 0x1234_5678_9abc_def0u64;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let vocab = 5usize;
            let table: Vec<[f32; D]> = (0..vocab)
                .map(|_| core::array::from_fn(|_| f32::from_bits(next() as u32)))
                .collect();
            let tokens: Vec<u32> = (0..9).map(|_| (next() % vocab as u64) as u32).collect();
            let add: Vec<[f32; D]> = (0..9)
                .map(|_| core::array::from_fn(|_| (next() % 1000) as f32 * 0.01))
                .collect();
            let flat = table.as_flattened();
            for epi in [
                Epilogue::new(),
                Epilogue::new().scale(0.75),
                Epilogue::new().add(add.as_flattened()),
                Epilogue::new().scale(-3.0).add(add.as_flattened()).padding_id(2),
            ] {
                let mut got = vec![[0.0f32; D]; tokens.len()];
                gather_with(&table, &tokens, &epi, &mut got).unwrap();
                if D > 0 {
                    let mut want = vec![0.0f32; tokens.len() * D];
                    reference::gather::gather(
                        flat, D, &tokens, epi.scale, epi.add, epi.padding_id, &mut want,
                    )
                    .unwrap();
                    assert!(same_bits(got.as_flattened(), &want), "D={D} {epi:?}");
                }
            }
            let mut out = vec![[0.0f32; D]; tokens.len()];
            inlayer::gather(&table, &tokens, &mut out).unwrap();
            for (o, &t) in out.iter().zip(&tokens) {
                assert!(same_bits(o, &table[t as usize]));
            }
            assert_eq!(
                inlayer::gather(&table, &[vocab as u32], &mut out[..1]),
                Err(Error::TokenOutOfRange { index: 0, token: vocab as u32, vocab })
            );
            let mut grad = vec![[0.0f32; D]; vocab];
            inlayer::gather_backward(&out, &tokens, None, &mut grad).unwrap();
        }
    )*};
}

fixed_shape_suite! {
    fixed_shape_d0_equals_reference: 0,
    fixed_shape_d1_equals_reference: 1,
    fixed_shape_d7_equals_reference: 7,
    fixed_shape_d8_equals_reference: 8,
    fixed_shape_d9_equals_reference: 9,
    fixed_shape_d64_equals_reference: 64,
    fixed_shape_d65_equals_reference: 65,
    fixed_shape_d384_equals_reference: 384,
    fixed_shape_d4099_equals_reference: 4099,
}

/// The reference's rows for a valid gather.
fn reference_rows(table: &[f32], dim: usize, tokens: &[u32], epi: &Epilogue<'_>) -> Vec<f32> {
    let mut want = vec![0.0f32; tokens.len() * dim];
    reference::gather::gather(
        table,
        dim,
        tokens,
        epi.scale,
        epi.add,
        epi.padding_id,
        &mut want,
    )
    .unwrap();
    want
}

/// Deterministic sweep: every dim in `0..=4*LANES+1`, table and output
/// buffers offset by `0..LANES` elements (so every alignment and every tail
/// length is hit), every epilogue, for five tokens and for one (a decode
/// step, which has a body of its own).
#[test]
fn sweep_dims_and_offsets_equals_reference_bitwise() {
    let lanes = inlayer::LANES;
    let vocab = 3usize;
    for tokens in [&[2u32, 0, 2, 1, 0][..], &[2]] {
        for dim in 1..=4 * lanes + 1 {
            for off in 0..lanes {
                let tbuf: Vec<f32> = (0..off + vocab * dim)
                    .map(|i| i as f32 * 0.37 - 5.0)
                    .collect();
                let table = &tbuf[off..];
                let add: Vec<f32> = (0..tokens.len() * dim).map(|i| i as f32 * 0.11).collect();
                for epi in [
                    Epilogue::new(),
                    Epilogue::new().scale(1.5),
                    Epilogue::new().add(&add),
                    Epilogue::new().scale(-0.5).add(&add),
                    Epilogue::new().scale(-0.5).add(&add).padding_id(1),
                ] {
                    let want = reference_rows(table, dim, tokens, &epi);
                    let mut obuf = vec![f32::NAN; off + tokens.len() * dim];
                    let view = F32Table::new(table, dim).unwrap();
                    gather_view(&view, tokens, &epi, &mut obuf[off..], dim).unwrap();
                    assert!(
                        same_bits(&obuf[off..], &want),
                        "tokens {tokens:?} dim {dim} offset {off} {epi:?}"
                    );
                    assert!(obuf[..off].iter().all(|x| x.is_nan()));
                }
            }
        }
    }
}

/// Tables of at least 4 MiB take the prefetching loops (rows hinted 16
/// tokens ahead; a short list's rows all hinted before the first copy), and
/// short rows from tables of at least 64 MiB are copied by `memcpy`: the
/// same bits as the reference, for short and long rows, dense and strided
/// outputs, every epilogue, with one token, fewer tokens than the prefetch
/// distance and more, on both sides of each threshold.
#[test]
fn dram_sized_tables_take_the_prefetch_path_and_equal_the_reference_bitwise() {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Every class of float, NaNs included (a multiplicative hash of the
    // index: cheap for 64 MiB).
    let big: Vec<f32> = (0..(1u32 << 24) + 77)
        .map(|i| f32::from_bits(i.wrapping_mul(0x9E37_79B9) ^ (i >> 7)))
        .collect();
    for (table, dims) in [
        (
            &big[..(1 << 20) + 77],
            &[1usize, 7, 16, 63, 64, 65, 384, 4099][..],
        ),
        (&big[..], &[1, 16, 64, 65][..]),
    ] {
        check_dram_sized(table, dims, &mut next);
    }
}

fn check_dram_sized(table: &[f32], dims: &[usize], next: &mut impl FnMut() -> u64) {
    for &dim in dims {
        let rows = &table[..table.len() / dim * dim];
        let view = F32Table::new(rows, dim).unwrap();
        let vocab = (rows.len() / dim) as u64;
        let tokens: Vec<u32> = (0..53).map(|_| (next() % vocab) as u32).collect();
        let add: Vec<f32> = (0..tokens.len() * dim)
            .map(|_| f32::from_bits(next() as u32))
            .collect();
        // One token, a short list (whose rows are all hinted before the
        // first copy) and a long one.
        for tokens in [&tokens[..1], &tokens[..5], &tokens[..]] {
            let add = &add[..tokens.len() * dim];
            for epi in [
                Epilogue::new(),
                Epilogue::new().scale(1.5),
                Epilogue::new().add(add),
                Epilogue::new().scale(-0.5).add(add).padding_id(tokens[0]),
            ] {
                let want = reference_rows(rows, dim, tokens, &epi);
                for stride in [dim, dim + 3] {
                    let mut got = vec![7.25f32; tokens.len() * stride];
                    gather_view(&view, tokens, &epi, &mut got, stride).unwrap();
                    for (t, row) in got.chunks(stride).enumerate() {
                        let w = &want[t * dim..(t + 1) * dim];
                        assert!(
                            same_bits(&row[..dim], w),
                            "dim {dim} stride {stride} {} tokens {epi:?}",
                            tokens.len()
                        );
                        assert!(row[dim..].iter().all(|&v| v == 7.25));
                    }
                }
            }
        }
    }
}

#[test]
fn dim_zero_and_ragged_tables_are_errors() {
    let mut out = [0.0f32; 4];
    assert_eq!(
        inlayer::gather_dyn(&[1.0; 4], 0, &[], &mut out[..0]),
        Err(Error::InvalidShape {
            what: "dim",
            value: 0
        })
    );
    assert_eq!(
        inlayer::gather_dyn(&[1.0; 5], 2, &[0], &mut out[..2]),
        Err(Error::NotWholeRows {
            len: 20,
            row_bytes: 8
        })
    );
    assert!(matches!(
        F32Table::from_bytes(&[0u8; 7], 1),
        Err(Error::NotWholeRows {
            len: 7,
            row_bytes: 4
        })
    ));
    let table = F32Table::new(&[1.0; 4], 2).unwrap();
    assert_eq!(
        gather_view(&table, &[0, 1], &Epilogue::new(), &mut [0.0; 8], 1),
        Err(Error::InvalidShape {
            what: "out_stride",
            value: 1
        })
    );
    assert_eq!(
        gather_view(
            &table,
            &[0, 1],
            &Epilogue::new().add(&[0.0; 3]),
            &mut [0.0; 4],
            2
        ),
        Err(Error::LengthMismatch {
            what: "add",
            expected: 4,
            actual: 3
        })
    );
}

#[test]
fn padding_row_is_add_row_even_with_nonfinite_scale() {
    let table = [[1.0f32, 2.0], [3.0, 4.0]];
    let add = [[0.5f32, -0.0], [1.0, 1.0]];
    let mut out = [[9.0f32; 2]; 2];
    let epi = Epilogue::new()
        .scale(f32::INFINITY)
        .add(add.as_flattened())
        .padding_id(0);
    gather_with(&table, &[0, 1], &epi, &mut out).unwrap();
    assert_eq!(out[0], [0.5, 0.0]);
    assert_eq!(out[1], [f32::INFINITY, f32::INFINITY]);
    // The padding id need not be a row of the table (e.g. u32::MAX as a sentinel).
    let epi = Epilogue::new().padding_id(u32::MAX);
    gather_with(&table, &[u32::MAX, 1], &epi, &mut out).unwrap();
    assert_eq!(out, [[0.0, 0.0], [3.0, 4.0]]);
    assert!(out[0].iter().all(|x| x.is_sign_positive()));
}

#[test]
fn error_messages_name_the_value_and_bound() {
    let e = inlayer::gather(&[[0.0f32; 2]; 4], &[1, 9], &mut [[0.0; 2]; 2]).unwrap_err();
    assert_eq!(
        e,
        Error::TokenOutOfRange {
            index: 1,
            token: 9,
            vocab: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "token id 9 at index 1 is out of range for a vocabulary of 4 rows"
    );
    let _: &dyn core::error::Error = &e;
}
