//! Every table format against the reference decoders, bit for bit, through
//! the public gather API (random shapes, random bytes as tables, random
//! epilogues, column ranges and strides); known answers from ggml's own
//! (de)quantizers; encoder round trips and error paths.

use inlayer::Error;
use inlayer::formats::{
    Bf16Table, F16Table, F32Table, Fbgemm4Table, Fbgemm8Table, Format, I8Table, Iq3STable,
    Iq4NlTable, Iq4XsTable, Q2KTable, Q3KTable, Q4_0Table, Q4_1Table, Q4KTable, Q5_0Table,
    Q5_1Table, Q5KTable, Q6KTable, Q8_0Table, Table,
};
use inlayer::gather::{Epilogue, gather_cols, gather_table, gather_view};
use inlayer::reference::formats as rf;
use proptest::prelude::*;

#[allow(clippy::unreadable_literal)]
mod kat {
    include!("kat/ggml_kat.rs");
}

#[allow(clippy::unreadable_literal)]
mod kat_k {
    include!("kat/ggml_kat_k.rs");
}

const ALL: &[Format] = Format::ALL;

/// The fast view of `bytes` in `format` (`scales`: the I8 scales, one per
/// row or one per tensor).
fn view<'a>(
    format: Format,
    bytes: &'a [u8],
    dim: usize,
    scales: &'a [f32],
) -> Result<Box<dyn Table + 'a>, Error> {
    Ok(match format {
        Format::F32 => Box::new(F32Table::from_bytes(bytes, dim)?),
        Format::F16 => Box::new(F16Table::from_bytes(bytes, dim)?),
        Format::Bf16 => Box::new(Bf16Table::from_bytes(bytes, dim)?),
        Format::I8 if scales.len() == 1 => Box::new(I8Table::per_tensor(bytes, dim, scales[0])?),
        Format::I8 => Box::new(I8Table::per_row(bytes, dim, scales)?),
        Format::Fbgemm8 => Box::new(Fbgemm8Table::from_bytes(bytes, dim)?),
        Format::Fbgemm4LowFirst => Box::new(Fbgemm4Table::from_bytes(bytes, dim)?),
        Format::Q8_0 => Box::new(Q8_0Table::from_bytes(bytes, dim)?),
        Format::Q4_0Split => Box::new(Q4_0Table::from_bytes(bytes, dim)?),
        Format::Q4_1Split => Box::new(Q4_1Table::from_bytes(bytes, dim)?),
        Format::Q5_0Split => Box::new(Q5_0Table::from_bytes(bytes, dim)?),
        Format::Q5_1Split => Box::new(Q5_1Table::from_bytes(bytes, dim)?),
        Format::Q2KSplit => Box::new(Q2KTable::from_bytes(bytes, dim)?),
        Format::Q3KSplit => Box::new(Q3KTable::from_bytes(bytes, dim)?),
        Format::Q4KSplit => Box::new(Q4KTable::from_bytes(bytes, dim)?),
        Format::Q5KSplit => Box::new(Q5KTable::from_bytes(bytes, dim)?),
        Format::Iq4NlSplit => Box::new(Iq4NlTable::from_bytes(bytes, dim)?),
        Format::Iq4XsSplit => Box::new(Iq4XsTable::from_bytes(bytes, dim)?),
        Format::Iq3S => Box::new(Iq3STable::from_bytes(bytes, dim)?),
        Format::Q6KSplit => Box::new(Q6KTable::from_bytes(bytes, dim)?),
        _ => unreachable!(),
    })
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn f32s(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| f32::from_bits(self.next() as u32)).collect()
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

const SENTINEL: f32 = -7.25;

#[derive(Debug, Clone)]
struct Case {
    format: Format,
    dim: usize,
    rows: usize,
    seed: u64,
    tokens: Vec<u32>,
    cols: (usize, usize),
    scale: Option<f32>,
    add: bool,
    padding_id: Option<u32>,
    per_tensor: bool,
    extra_stride: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ALL.len(),
        1usize..=40,
        1usize..=5,
        any::<u64>(),
        proptest::collection::vec(0u32..7, 0..7),
        (any::<u16>(), any::<u16>()),
        proptest::option::of(proptest::num::f32::ANY),
        any::<bool>(),
        proptest::option::of(0u32..6),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(
            |(fi, n, rows, seed, tokens, cols, scale, add, padding_id, per_tensor, extra)| {
                let format = ALL[fi];
                let e = format.block_elems();
                let dim = if e == 1 { n } else { e * (1 + n % 3) };
                let a = usize::from(cols.0) % (dim + 1);
                let b = usize::from(cols.1) % (dim + 1);
                Case {
                    format,
                    dim,
                    rows,
                    seed: seed | 1,
                    tokens,
                    cols: (a.min(b), a.max(b)),
                    scale,
                    add,
                    padding_id,
                    per_tensor,
                    extra_stride: extra,
                }
            },
        )
}

/// Runs one case through the fast gather and the reference; returns the
/// fast result and asserts agreement.
fn check(c: &Case) {
    let mut rng = Rng(c.seed);
    let row_bytes = c.format.row_bytes(c.dim).unwrap();
    let bytes = rng.bytes(row_bytes * c.rows);
    let scales = if c.per_tensor {
        rng.f32s(1)
    } else {
        rng.f32s(c.rows)
    };
    let table = view(c.format, &bytes, c.dim, &scales).unwrap();
    assert_eq!((table.rows(), table.dim()), (c.rows, c.dim));
    let (c0, c1) = c.cols;
    let width = c1 - c0;
    let n = c.tokens.len();
    let add_rows = rng.f32s(n * width);
    let add = c.add.then_some(add_rows.as_slice());
    let mut epi = Epilogue::new();
    epi.scale = c.scale;
    epi.add = add;
    epi.padding_id = c.padding_id;

    let mut want = vec![0.0f32; n * width];
    let r = rf::gather(
        c.format,
        &bytes,
        c.dim,
        &scales,
        &c.tokens,
        c0..c1,
        c.scale,
        add,
        c.padding_id,
        &mut want,
    );
    let stride = width + c.extra_stride;
    let len = if n == 0 { 0 } else { (n - 1) * stride + width };
    let mut got = vec![SENTINEL; len + c.extra_stride];
    let f = gather_cols(&*table, &c.tokens, c0..c1, &epi, &mut got, stride);
    assert_eq!(f, r, "{c:?}");
    if f.is_err() {
        assert!(got.iter().all(|x| x.to_bits() == SENTINEL.to_bits()));
        return;
    }
    // An epilogue's add or multiply may meet two NaNs (a decoded NaN and a
    // NaN in the add row or the scale), and so may the decode of a format
    // with two stored floats per block or row (`q·d + m`: both `d` and `m`
    // NaN): Rust leaves the payload of the result unspecified, and the
    // optimiser may swap the operands (the AVX-512 build does in the
    // epilogue, the forced-scalar build in `Q5_1`), so there any NaN equals
    // any NaN. Everywhere else the bits must match exactly.
    let two_floats = matches!(
        c.format,
        Format::Fbgemm8
            | Format::Fbgemm4LowFirst
            | Format::Q4_1Split
            | Format::Q5_1Split
            | Format::Q4KSplit
    );
    let two_nans_meet = c.scale.is_some() || c.add || two_floats;
    for (i, x) in got.iter().enumerate() {
        let (t, j) = (i / stride, i % stride);
        if t < n && j < width {
            let w = want[t * width + j];
            assert!(
                x.to_bits() == w.to_bits() || (two_nans_meet && x.is_nan() && w.is_nan()),
                "{c:?} at {t},{j}: {:#x} != {:#x}",
                x.to_bits(),
                w.to_bits()
            );
        } else {
            assert_eq!(x.to_bits(), SENTINEL.to_bits(), "gap written at {i}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn decode_gather_equals_reference_bitwise(c in case()) {
        check(&c);
    }
}

/// A deterministic sweep: every format, every column range of a few widths
/// (so every block boundary, lane boundary and tail is hit), scale and add.
/// The decode step's own path (one token, no padding id) for every format:
/// each id of the table and two past it, whole rows and column ranges that
/// start and end inside blocks, plain, scaled (the decoders multiply before
/// they store) and scaled plus an add row, equal the reference bit for bit
/// or give its error with `out` untouched; an `out` one value short is an
/// error too.
#[test]
fn one_token_decode_equals_reference_or_errs_untouched() {
    for (fi, &format) in ALL.iter().enumerate() {
        let e = format.block_elems();
        for dim in [e, 3 * e, if e == 1 { 41 } else { 2 * e }] {
            let rows = 3;
            for tok in 0..rows as u32 + 2 {
                for cols in [(0, dim), (1, dim - dim / 3), (dim / 2, dim), (dim, dim)] {
                    for (scale, add) in [(None, false), (Some(0.75), false), (Some(-3.0), true)] {
                        check(&Case {
                            format,
                            dim,
                            rows,
                            seed: (fi as u64 * 1000 + u64::from(tok) * 10 + cols.0 as u64) | 1,
                            tokens: vec![tok],
                            cols,
                            scale,
                            add,
                            padding_id: None,
                            per_tensor: false,
                            extra_stride: cols.0 % 3,
                        });
                    }
                }
            }
            let bytes = vec![0u8; format.row_bytes(dim).unwrap() * rows];
            let scales = vec![1.0; rows];
            let table = view(format, &bytes, dim, &scales).unwrap();
            let mut out = vec![SENTINEL; dim - 1];
            assert_eq!(
                gather_view(&*table, &[1], &Epilogue::new(), &mut out, dim),
                Err(Error::LengthMismatch {
                    what: "out",
                    expected: dim,
                    actual: dim - 1
                }),
                "{format:?}"
            );
            assert!(out.iter().all(|x| x.to_bits() == SENTINEL.to_bits()));
        }
    }
}

/// Every column range `[c0, c1)` of short rows (one or two blocks, a few
/// values), and of rows longer than 64 values every seventh bound: each
/// bound meets every place in a 32-value block or sub-block and in a lane.
/// With fewer than 32 property-test cases (CI's emulated aarch64 and wasm32
/// runs take 8), every thirteenth bound of those rows, which still meets
/// every place mod 32: under `qemu-aarch64` the test took 60 of the 88 s of
/// this file's tests, now 18 s.
#[test]
fn every_column_range_equals_reference_bitwise() {
    let long_step = if cases() < 32 { 13 } else { 7 };
    for (k, &format) in ALL.iter().enumerate() {
        let e = format.block_elems();
        let dims: &[usize] = if e == 1 {
            &[1, 7, 8, 9, 17, 33]
        } else {
            &[e, 2 * e]
        };
        for &dim in dims {
            let step = if dim > 64 { long_step } else { 1 };
            for c0 in (0..=dim).step_by(step) {
                for c1 in (c0..=dim).step_by(step) {
                    check(&Case {
                        format,
                        dim,
                        rows: 3,
                        seed: 0x9e37_79b9_7f4a_7c15 ^ (k * 1000 + dim) as u64,
                        tokens: vec![2, 0, 1, 2],
                        cols: (c0, c1),
                        scale: Some(0.75),
                        add: c1 % 2 == 0,
                        padding_id: Some(1),
                        per_tensor: false,
                        extra_stride: 1,
                    });
                }
            }
        }
    }
}

/// Tables of at least 4 MiB take the prefetching loops (the first rows
/// hinted before the first decode, rows hinted ahead, blocks hinted ahead
/// inside a row, long rows of blocks decoded a part at a time with the next
/// part hinted): every format, short and long rows, whole rows through the
/// views' own loops and a column range with a padding id through the
/// general one, the same bits as the reference, for one token, fewer tokens
/// than the prefetch distance and more.
#[test]
fn dram_sized_tables_equal_reference_bitwise() {
    let mut rng = Rng(0x517c_c1b7_2722_0a95);
    let shapes = ALL.iter().flat_map(|&f| {
        let e = f.block_elems();
        // Short rows, and rows of several half-kilobyte parts and a part
        // that is not whole (ggml rows of 47 or 7 blocks).
        let long = if e == 256 { 7 * e } else { 47 * e.max(32) };
        [(f, if e == 1 { 48 } else { 2 * e }), (f, long)]
    });
    for (k, (format, dim)) in shapes.enumerate() {
        let rows = (4 << 20) / format.row_bytes(dim).unwrap() + 1;
        let tokens: Vec<u32> = (0..40).map(|_| (rng.next() % rows as u64) as u32).collect();
        let cases = [
            ((0, dim), None, false, None),
            ((1, dim - 1), Some(0.5), true, Some(tokens[5])),
        ];
        // One token, fewer than the prefetch distance (all hinted before the
        // first decode) and more.
        for n in [1, 5, 40] {
            for (cols, scale, add, padding_id) in cases {
                check(&Case {
                    format,
                    dim,
                    rows,
                    seed: 0xd1b5_4a32_d192_ed03 ^ k as u64,
                    tokens: tokens[..n].to_vec(),
                    cols,
                    scale,
                    add,
                    padding_id,
                    per_tensor: false,
                    extra_stride: 0,
                });
            }
        }
    }
}

/// Whole rows for many tokens without a padding id take the view's own token
/// loop where it has one (`Table::decode_rows_fused`: the ggml views' AVX2
/// loop): every format, one to three blocks a row, 2, 5 and 40 tokens (past
/// the prefetch distance), each epilogue, dense and strided outputs, and a
/// table of 4 MiB (whose rows the loop hints ahead); the same bits as the
/// reference.
#[test]
fn whole_rows_of_many_tokens_equal_reference_bitwise() {
    let epilogues = [
        (None, false, 0),
        (Some(1.5), false, 3),
        (None, true, 1),
        (Some(-0.0), true, 0),
    ];
    for (k, &format) in ALL.iter().enumerate() {
        let e = format.block_elems();
        for blocks in 1..=3 {
            let dim = if e == 1 { 13 * blocks } else { e * blocks };
            let dram_rows = (4 << 20) / format.row_bytes(dim).unwrap() + 1;
            let shapes = [(2, 3), (5, 7), (40, 9), (40, dram_rows)];
            for (s, &(n, rows)) in shapes.iter().enumerate() {
                let tokens: Vec<u32> = (0..n).map(|i| ((i * 7 + k) % rows) as u32).collect();
                // The 4 MiB table with one epilogue only: its bytes take a
                // while to draw.
                for &(scale, add, extra) in &epilogues[if s == 3 { 3 } else { 0 }..] {
                    check(&Case {
                        format,
                        dim,
                        rows,
                        seed: 0x9e37_79b9_7f4a_7c15 ^ (k * 64 + blocks * 8 + s) as u64,
                        tokens: tokens.clone(),
                        cols: (0, dim),
                        scale,
                        add,
                        padding_id: None,
                        per_tensor: false,
                        extra_stride: extra,
                    });
                }
            }
        }
    }
}

/// `Table::decode_fused_into` is `decode_into` times the scale plus the add
/// row, value for value, for every format (and through `AnyTable`), on
/// random bytes: whole rows and column ranges that cut blocks, scales that
/// are ordinary, -0.0, infinite, subnormal or NaN, with and without an add
/// row, and an add row alone. The gather calls it only where the lanes are
/// SIMD registers; this test runs it on every build, so the forced-scalar
/// and aarch64 builds check the lanes' fused stores too.
#[test]
fn decode_fused_into_is_decode_into_then_the_epilogue() {
    use inlayer::formats::AnyTable;
    fn any(format: Format, bytes: &[u8], dim: usize) -> Option<AnyTable<'_>> {
        Some(match format {
            Format::Q8_0 => AnyTable::Q8_0(Q8_0Table::from_bytes(bytes, dim).ok()?),
            Format::Q4KSplit => AnyTable::Q4K(Q4KTable::from_bytes(bytes, dim).ok()?),
            Format::Bf16 => AnyTable::Bf16(Bf16Table::from_bytes(bytes, dim).ok()?),
            _ => return None,
        })
    }
    let mut rng = Rng(0x6a09_e667_f3bc_c908);
    for &format in ALL {
        let e = format.block_elems();
        for dim in [e.max(17), 3 * e.max(16) + usize::from(e == 1)] {
            let rows = 3;
            let bytes = rng.bytes(format.row_bytes(dim).unwrap() * rows);
            let scales = rng.f32s(rows);
            let table = view(format, &bytes, dim, &scales).unwrap();
            let other = any(format, &bytes, dim);
            let add: Vec<f32> = (0..dim).map(|i| (i as f32 - 100.0) * 0.37).collect();
            for (c0, c1) in [(0, dim), (1, dim - 1), (dim / 3, dim / 2 + 1), (dim, dim)] {
                let add = &add[..c1 - c0];
                let scales = [
                    Some(0.75f32),
                    Some(-3.0),
                    Some(-0.0),
                    Some(f32::INFINITY),
                    Some(1e-40),
                    Some(f32::NAN),
                    None,
                ];
                for (scale, plus) in scales.into_iter().flat_map(|s| [(s, false), (s, true)]) {
                    let add = plus.then_some(add);
                    for row in 0..rows {
                        let mut want = vec![0.0f32; c1 - c0];
                        table.decode_into(row, c0, &mut want);
                        for (j, w) in want.iter_mut().enumerate() {
                            if let Some(s) = scale {
                                *w *= s;
                            }
                            if let Some(a) = add {
                                *w += a[j];
                            }
                        }
                        let mut got = vec![SENTINEL; c1 - c0];
                        table.decode_fused_into(row, c0, scale, add, &mut got);
                        let mut via_any = got.clone();
                        if let Some(t) = &other {
                            t.decode_fused_into(row, c0, scale, add, &mut via_any);
                        }
                        for (i, ((g, a), w)) in got.iter().zip(&via_any).zip(&want).enumerate() {
                            let same =
                                |x: &f32| x.to_bits() == w.to_bits() || (x.is_nan() && w.is_nan());
                            assert!(
                                same(g) && same(a),
                                "{format:?} dim {dim} cols {c0}..{c1} scale {scale:?} add {plus} row {row} at {i}: {g} / {a} != {w}"
                            );
                        }
                    }
                }
            }
        }
    }
}

fn kat_check(format: Format, bytes: &[u8], want: &[u32]) {
    let dim = want.len();
    let table = view(format, bytes, dim, &[]).unwrap();
    let mut got = vec![0.0f32; dim];
    table.decode_into(0, 0, &mut got);
    let mut reference = vec![0.0f32; dim];
    rf::dequantize_row(format, bytes, 1.0, &mut reference).unwrap();
    for j in 0..dim {
        assert_eq!(got[j].to_bits(), want[j], "{format:?} fast, element {j}");
        assert_eq!(
            reference[j].to_bits(),
            want[j],
            "{format:?} reference, element {j}"
        );
    }
}

#[test]
fn ggml_blocks_match_gguf_python_known_answers() {
    kat_check(Format::Q8_0, kat::Q8_0_BYTES, kat::Q8_0_F32_BITS);
    kat_check(Format::Q4_0Split, kat::Q4_0_BYTES, kat::Q4_0_F32_BITS);
    kat_check(Format::Q4_1Split, kat::Q4_1_BYTES, kat::Q4_1_F32_BITS);
    kat_check(Format::Q5_0Split, kat::Q5_0_BYTES, kat::Q5_0_F32_BITS);
    kat_check(Format::Q5_1Split, kat::Q5_1_BYTES, kat::Q5_1_F32_BITS);
    kat_check(Format::Q4KSplit, kat::Q4_K_BYTES, kat::Q4_K_F32_BITS);
    kat_check(Format::Q6KSplit, kat::Q6_K_BYTES, kat::Q6_K_F32_BITS);
}

#[test]
fn ggml_k_and_iq_blocks_match_ggml_c_known_answers() {
    kat_check(Format::Q2KSplit, kat_k::Q2_K_BYTES, kat_k::Q2_K_F32_BITS);
    kat_check(Format::Q3KSplit, kat_k::Q3_K_BYTES, kat_k::Q3_K_F32_BITS);
    kat_check(Format::Q5KSplit, kat_k::Q5_K_BYTES, kat_k::Q5_K_F32_BITS);
    kat_check(
        Format::Iq4NlSplit,
        kat_k::IQ4_NL_BYTES,
        kat_k::IQ4_NL_F32_BITS,
    );
    kat_check(
        Format::Iq4XsSplit,
        kat_k::IQ4_XS_BYTES,
        kat_k::IQ4_XS_F32_BITS,
    );
    // Eight blocks that index every row of the 512-row grid once.
    kat_check(Format::Iq3S, kat_k::IQ3_S_BYTES, kat_k::IQ3_S_F32_BITS);
}

#[test]
fn ggml_encoders_match_gguf_python_known_answers() {
    let x: Vec<f32> = kat::ENC_X_BITS.iter().map(|&b| f32::from_bits(b)).collect();
    let mut q8 = vec![0u8; 68];
    inlayer::formats::encode_q8_0(&x, &mut q8).unwrap();
    assert_eq!(q8, kat::ENC_Q8_0);
    let mut q4 = vec![0u8; 36];
    inlayer::formats::encode_q4_0(&x, &mut q4).unwrap();
    assert_eq!(q4, kat::ENC_Q4_0);
}

/// Known answers written from the published layouts (nibble order, the
/// position of `d`, the 6-bit scale packing).
#[test]
fn layouts_match_hand_written_known_answers() {
    // Q4_0: d = 1.0; byte j = (j+1) low | (15-j) high.
    let mut b = vec![0x00, 0x3c];
    b.extend((0..16u8).map(|j| ((j + 1) & 15) | ((15 - j) << 4)));
    let mut y = [0.0f32; 32];
    Q4_0Table::from_bytes(&b, 32)
        .unwrap()
        .decode_into(0, 0, &mut y);
    assert_eq!(y[0], -7.0); // low nibble of byte 0 = 1
    assert_eq!(y[15], -8.0); // low nibble of byte 15 = 0
    assert_eq!(y[16], 7.0); // high nibble of byte 0 = 15
    // Q6_K: d at the end; all q = 32 + 1 (ql low = 1, qh bits = 2 → +32), scales 2.
    let mut b = vec![0x11u8; 128];
    b.extend([0xaau8; 64]);
    b.extend([2u8; 16]);
    b.extend([0x00, 0x38]); // d = 0.5
    let mut y = [0.0f32; 256];
    Q6KTable::from_bytes(&b, 256)
        .unwrap()
        .decode_into(0, 0, &mut y);
    assert!(y.iter().all(|&v| v == 1.0), "{y:?}");
    // Q4_K: d = 1, dmin = 1; sub-block j < 4: sc = s[j] & 63, m = s[j+4] & 63.
    let mut b = vec![0x00, 0x3c, 0x00, 0x3c];
    b.extend([3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    b.extend([0x02u8; 128]); // low nibble 2, high 0
    let mut y = [0.0f32; 256];
    Q4KTable::from_bytes(&b, 256)
        .unwrap()
        .decode_into(0, 0, &mut y);
    assert_eq!(y[0], 3.0 * 2.0 - 1.0); // sub-block 0
    assert_eq!(y[32], 0.0); // sub-block 1: sc = 0, m = 0, high nibble 0
    // FBGEMM 4-bit: element 0 in the low nibble.
    let b = [0x21, 0x00, 0x3c, 0x00, 0x00];
    let mut y = [0.0f32; 2];
    Fbgemm4Table::from_bytes(&b, 2)
        .unwrap()
        .decode_into(0, 0, &mut y);
    assert_eq!(y, [1.0, 2.0]);
}

/// Every `f16` bit pattern decodes to the reference's bits and to the
/// `half` crate's (`f16::to_f32`): exact numbers, a NaN quiet with its sign
/// and payload.
#[test]
fn f16_widening_equals_the_reference_and_half_for_all_65536_patterns() {
    let bytes: Vec<u8> = (0..=u16::MAX).flat_map(u16::to_le_bytes).collect();
    let t = F16Table::from_bytes(&bytes, 1 << 16).unwrap();
    let mut got = vec![0.0f32; 1 << 16];
    t.decode_into(0, 0, &mut got);
    for h in 0..=u16::MAX {
        let g = got[usize::from(h)];
        let r = rf::f16_to_f32(h);
        assert_eq!(g.to_bits(), r.to_bits(), "{h:#06x}");
        let want = half::f16::from_bits(h).to_f32();
        assert_eq!(r.to_bits(), want.to_bits(), "{h:#06x}");
        if r.is_nan() {
            assert_eq!(r.to_bits() & 0x003f_ffff, u32::from(h & 0x1ff) << 13); // payload kept
        }
    }
}

fn f16_encode_one(x: f32) -> u16 {
    let mut b = [0u8; 2];
    inlayer::formats::encode_f16(&[x], &mut b).unwrap();
    u16::from_le_bytes(b)
}

fn bf16_encode_one(x: f32) -> u16 {
    let mut b = [0u8; 2];
    inlayer::formats::encode_bf16(&[x], &mut b).unwrap();
    u16::from_le_bytes(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() * 16))]

    #[test]
    fn f16_and_bf16_encoders_round_to_nearest_even(bits in any::<u32>()) {
        let x = f32::from_bits(bits);
        let (h, b) = (f16_encode_one(x), bf16_encode_one(x));
        if x.is_nan() {
            prop_assert!(rf::f16_to_f32(h).is_nan() && rf::bf16_to_f32(b).is_nan());
        } else {
            prop_assert_eq!(h, half::f16::from_f32(x).to_bits());
            prop_assert_eq!(b, half::bf16::from_f32(x).to_bits());
        }
    }
}

#[test]
fn f16_encoder_handles_edges() {
    for x in [
        0.0f32,
        -0.0,
        65504.0,
        65519.99,
        65520.0,
        6.0e-8,
        2.9802322e-8,
        2.9802326e-8,
        1.0e-10,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MIN_POSITIVE,
        6.1035156e-5,
        6.1e-5,
    ] {
        assert_eq!(f16_encode_one(x), half::f16::from_f32(x).to_bits(), "{x}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn quantizer_round_trips_stay_within_stated_error(
        x in proptest::collection::vec(-100.0f32..100.0, 32..=32),
        blocks in 1usize..4,
        dim_per_row in 1usize..=16,
    ) {
        let x: Vec<f32> = x.iter().cycle().take(32 * blocks).enumerate()
            .map(|(i, v)| v * (1.0 + i as f32 / 64.0)).collect();
        // Q8_0: |err| <= d/2 + 127 * |d - f16(d)|, d = max|x|/127.
        let mut b = vec![0u8; 34 * blocks];
        inlayer::formats::encode_q8_0(&x, &mut b).unwrap();
        let mut y = vec![0.0f32; x.len()];
        Q8_0Table::from_bytes(&b, 32).unwrap().decode_into(0, 0, &mut y[..32]);
        for (blk, (xb, bb)) in x.chunks(32).zip(b.chunks(34)).enumerate() {
            let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let mut yb = [0.0f32; 32];
            Q8_0Table::from_bytes(bb, 32).unwrap().decode_into(0, 0, &mut yb);
            for (a, c) in xb.iter().zip(yb) {
                prop_assert!((a - c).abs() <= d * (0.5 + 127.0 / 2048.0) + 1e-6, "q8 block {} {} {}", blk, a, c);
            }
        }
        // Q4_0: |err| <= |d| (1 + 8 * 2^-11), d = max / -8.
        let mut b = vec![0u8; 18 * blocks];
        inlayer::formats::encode_q4_0(&x, &mut b).unwrap();
        for (xb, bb) in x.chunks(32).zip(b.chunks(18)) {
            let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let d = amax / 8.0;
            let mut yb = [0.0f32; 32];
            Q4_0Table::from_bytes(bb, 32).unwrap().decode_into(0, 0, &mut yb);
            for (a, c) in xb.iter().zip(yb) {
                prop_assert!((a - c).abs() <= d * (1.0 + 8.0 / 2048.0) + 1e-6, "q4 {} {}", a, c);
            }
        }
        // int8 per row: |err| <= scale / 2 (+ an ulp of x).
        let dim = dim_per_row;
        let n = x.len() / dim * dim;
        let (mut q, mut s) = (vec![0u8; n], vec![0.0f32; n / dim]);
        inlayer::formats::encode_i8_per_row(&x[..n], dim, &mut q, &mut s).unwrap();
        let t = I8Table::per_row(&q, dim, &s).unwrap();
        let mut yr = vec![0.0f32; dim];
        for r in 0..n / dim {
            t.decode_into(r, 0, &mut yr);
            for (a, c) in x[r * dim..(r + 1) * dim].iter().zip(&yr) {
                prop_assert!((a - c).abs() <= s[r] * 0.5 + a.abs() * 1e-6, "i8 {} {}", a, c);
            }
        }
        // f16 / bf16: relative error <= 2^-11 / 2^-8 (normal range).
        let mut h = vec![0u8; 2 * x.len()];
        inlayer::formats::encode_f16(&x, &mut h).unwrap();
        let mut yh = vec![0.0f32; x.len()];
        F16Table::from_bytes(&h, x.len()).unwrap().decode_into(0, 0, &mut yh);
        for (a, c) in x.iter().zip(&yh) {
            prop_assert!((a - c).abs() <= a.abs() / 2048.0 + 3.0e-8);
        }
        inlayer::formats::encode_bf16(&x, &mut h).unwrap();
        Bf16Table::from_bytes(&h, x.len()).unwrap().decode_into(0, 0, &mut yh);
        for (a, c) in x.iter().zip(&yh) {
            prop_assert!((a - c).abs() <= a.abs() / 256.0);
        }
    }
}

#[test]
fn bad_shapes_are_clear_errors() {
    let b = [0u8; 34 * 2];
    assert_eq!(
        Q8_0Table::from_bytes(&b, 48).unwrap_err(),
        Error::InvalidShape {
            what: "dim",
            value: 48
        }
    );
    assert_eq!(
        Q8_0Table::from_bytes(&b[..67], 32).unwrap_err(),
        Error::NotWholeRows {
            len: 67,
            row_bytes: 34
        }
    );
    assert_eq!(
        Q4KTable::from_bytes(&[0u8; 143], 256).unwrap_err(),
        Error::NotWholeRows {
            len: 143,
            row_bytes: 144
        }
    );
    assert!(F16Table::from_bytes(&[0u8; 3], 1).is_err());
    assert!(F16Table::from_bytes(&[0u8; 4], 0).is_err());
    assert_eq!(
        I8Table::per_row(&[0u8; 6], 3, &[1.0]).unwrap_err(),
        Error::LengthMismatch {
            what: "scales",
            expected: 2,
            actual: 1
        }
    );
    assert_eq!(
        Fbgemm4Table::from_bytes(&[0u8; 7], 3).unwrap_err(),
        Error::NotWholeRows {
            len: 7,
            row_bytes: 6
        }
    );
    assert_eq!(
        Format::Q8_0.row_bytes(usize::MAX / 32 * 32),
        Err(Error::Overflow)
    );
    let x = [f32::NAN; 32];
    assert_eq!(
        inlayer::formats::encode_q8_0(&x, &mut [0u8; 34]),
        Err(Error::NotFinite { index: 0 })
    );
}

#[test]
fn err_leaves_output_untouched_and_matches_reference() {
    let b = [0x3cu8; 2 * 34];
    let t = Q8_0Table::from_bytes(&b, 32).unwrap();
    let mut out = [SENTINEL; 64];
    let e = Epilogue::new();
    assert_eq!(
        gather_cols(&t, &[0], 0..33, &e, &mut out, 33),
        Err(Error::InvalidShape {
            what: "cols.end",
            value: 33
        })
    );
    #[allow(clippy::reversed_empty_ranges)]
    let r = gather_cols(&t, &[0], 5..4, &e, &mut out, 33);
    assert_eq!(
        r,
        Err(Error::InvalidShape {
            what: "cols.start",
            value: 5
        })
    );
    assert_eq!(
        gather_view(&t, &[0, 2], &e, &mut out, 32),
        Err(Error::TokenOutOfRange {
            index: 1,
            token: 2,
            vocab: 2
        })
    );
    assert_eq!(
        gather_view(&t, &[0, 1, 1], &e, &mut out, 32),
        Err(Error::LengthMismatch {
            what: "out",
            expected: 96,
            actual: 64
        })
    );
    let mut fixed = [[SENTINEL; 16]; 1];
    assert_eq!(
        gather_table(&t, &[0], &e, &mut fixed),
        Err(Error::LengthMismatch {
            what: "dim",
            expected: 16,
            actual: 32
        })
    );
    assert!(
        out.iter()
            .chain(fixed.as_flattened())
            .all(|x| x.to_bits() == SENTINEL.to_bits())
    );
}

/// `Table::decode_into` with a broken precondition (a row past the table, a
/// column range past the row) never panics, on every view.
#[test]
fn decode_into_out_of_range_never_panics() {
    use inlayer::formats::{
        Bf16Table, F16Table, F32Table, Fbgemm4Table, Fbgemm8Table, I8Table, Q4_0Table, Q4KTable,
        Q6KTable, Q8_0Table, Table,
    };
    let bytes = vec![0x3cu8; 4096];
    let f32s = vec![1.0f32; 64];
    let scales = [0.5f32; 2];
    let tables: Vec<Box<dyn Table>> = vec![
        Box::new(F32Table::new(&f32s, 32).unwrap()),
        Box::new(F32Table::from_bytes(&bytes[1..257], 32).unwrap()),
        Box::new(F16Table::from_bytes(&bytes[..128], 32).unwrap()),
        Box::new(Bf16Table::from_bytes(&bytes[..128], 32).unwrap()),
        Box::new(I8Table::per_row(&bytes[..64], 32, &scales).unwrap()),
        Box::new(Fbgemm8Table::from_bytes(&bytes[..80], 32).unwrap()),
        Box::new(Fbgemm4Table::from_bytes(&bytes[..40], 32).unwrap()),
        Box::new(Q8_0Table::from_bytes(&bytes[..68], 32).unwrap()),
        Box::new(Q4_0Table::from_bytes(&bytes[..36], 32).unwrap()),
        Box::new(Q4KTable::from_bytes(&bytes[..288], 256).unwrap()),
        Box::new(Q6KTable::from_bytes(&bytes[..420], 256).unwrap()),
    ];
    for t in &tables {
        let (rows, dim) = (t.rows(), t.dim());
        let mut out = vec![0.0f32; dim + 3];
        for (row, c0, n) in [
            (rows, 0, dim),
            (usize::MAX, 0, 1),
            (0, dim, 3),
            (0, dim - 1, 3),
            (0, usize::MAX, 1),
            (rows - 1, 0, dim + 3),
        ] {
            t.decode_into(row, c0, &mut out[..n]);
        }
    }
}
