//! Reference decoders for every table format, written element by element
//! after the published layouts (ggml's `dequantize_row_*` in
//! `ggml/src/ggml-quants.c`, FBGEMM's `QuantUtils`, IEEE 754 for `f16`), and
//! a reference decode-gather on top of them.
//!
//! Nothing here calls the fast decoders of [`formats`](crate::formats); only
//! the [`Format`] id and ggml's `IQ3_S` grid (a table of format constants)
//! are shared. `f16` is widened with an explicit
//! normalisation loop for subnormals (not the fast path's bit trick).

use crate::Error;
use crate::formats::Format;
use crate::formats::grid::IQ3S_GRID;

/// Widens an IEEE binary16 bit pattern to `f32`: exact for every number;
/// a NaN comes out quiet (the top payload bit set), its sign and other
/// payload bits kept, as F16C's `vcvtph2ps`, Arm's `fcvt`, the `half`
/// crate and PyTorch widen it.
///
/// ```
/// use inlayer::reference::formats::f16_to_f32;
/// assert_eq!(f16_to_f32(0x3c00), 1.0);
/// assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
/// assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
/// assert_eq!(f16_to_f32(0x7c01).to_bits(), 0x7fc0_2000); // signalling → quiet
/// ```
#[must_use]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = if exp == 0x1f && man != 0 {
        0x7fc0_0000 | (man << 13) // NaN: quiet
    } else if exp == 0x1f {
        0x7f80_0000
    } else if exp != 0 {
        ((exp + 127 - 15) << 23) | (man << 13)
    } else if man == 0 {
        0
    } else {
        // Subnormal: normalise the mantissa.
        let mut e = 127 - 15 + 1;
        let mut m = man;
        while m & 0x400 == 0 {
            m <<= 1;
            e -= 1;
        }
        (e << 23) | ((m & 0x3ff) << 13)
    };
    f32::from_bits(sign | bits)
}

/// Widens a `bf16` bit pattern to `f32` (exact).
///
/// ```
/// assert_eq!(inlayer::reference::formats::bf16_to_f32(0x3f80), 1.0);
/// ```
#[must_use]
pub fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from(b[i]) | (u16::from(b[i + 1]) << 8)
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16_to_f32(u16_at(b, i))
}

fn f32_at(b: &[u8], i: usize) -> f32 {
    f32::from_bits(
        u32::from(b[i])
            | (u32::from(b[i + 1]) << 8)
            | (u32::from(b[i + 2]) << 16)
            | (u32::from(b[i + 3]) << 24),
    )
}

/// Decodes one row of `out.len()` values stored in `format` (the row's
/// bytes only, for [`Format::I8`] with `scale`; `scale` is ignored by the
/// other formats, which carry their own).
///
/// ```
/// use inlayer::formats::Format;
/// use inlayer::reference::formats::dequantize_row;
/// let mut out = [0.0f32; 32];
/// let mut block = [0u8; 34]; // Q8_0: d = 0.5 (f16 0x3800), q = 0, 1, 2, ...
/// block[..2].copy_from_slice(&0x3800u16.to_le_bytes());
/// for j in 0..32 { block[2 + j] = j as u8; }
/// dequantize_row(Format::Q8_0, &block, 1.0, &mut out)?;
/// assert_eq!(out[3], 1.5);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `out.len()` is not a whole number of blocks,
/// [`Error::LengthMismatch`] if `row` is not exactly one row of bytes.
pub fn dequantize_row(
    format: Format,
    row: &[u8],
    scale: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = out.len();
    let need = format.row_bytes(dim)?;
    if row.len() != need {
        return Err(Error::LengthMismatch {
            what: "row",
            expected: need,
            actual: row.len(),
        });
    }
    let y = out;
    match format {
        Format::F32 => {
            for j in 0..dim {
                y[j] = f32_at(row, 4 * j);
            }
        }
        Format::F16 => {
            for j in 0..dim {
                y[j] = f16_at(row, 2 * j);
            }
        }
        Format::Bf16 => {
            for j in 0..dim {
                y[j] = bf16_to_f32(u16_at(row, 2 * j));
            }
        }
        Format::I8 => {
            for j in 0..dim {
                y[j] = f32::from(row[j] as i8) * scale;
            }
        }
        Format::Fbgemm8 => {
            let s = f32_at(row, dim);
            let b = f32_at(row, dim + 4);
            for j in 0..dim {
                y[j] = f32::from(row[j]) * s + b;
            }
        }
        Format::Fbgemm4LowFirst => {
            let p = dim.div_ceil(2);
            let s = f16_at(row, p);
            let b = f16_at(row, p + 2);
            for j in 0..dim {
                let q = (row[j / 2] >> (4 * (j % 2))) & 15;
                y[j] = f32::from(q) * s + b;
            }
        }
        _ => {
            let (e, n) = (format.block_elems(), format.block_bytes());
            for i in 0..dim / e {
                dequantize_block(format, &row[i * n..(i + 1) * n], &mut y[i * e..(i + 1) * e]);
            }
        }
    }
    Ok(())
}

/// One ggml block, transcribed from `dequantize_row_*`.
fn dequantize_block(format: Format, x: &[u8], y: &mut [f32]) {
    match format {
        Format::Q8_0 => {
            let d = f16_at(x, 0);
            for j in 0..32 {
                y[j] = f32::from(x[2 + j] as i8) * d;
            }
        }
        Format::Q4_0Split => {
            let d = f16_at(x, 0);
            for j in 0..16 {
                let x0 = i32::from(x[2 + j] & 0x0f) - 8;
                let x1 = i32::from(x[2 + j] >> 4) - 8;
                y[j] = x0 as f32 * d;
                y[j + 16] = x1 as f32 * d;
            }
        }
        Format::Q4_1Split => {
            let d = f16_at(x, 0);
            let m = f16_at(x, 2);
            for j in 0..16 {
                let x0 = x[4 + j] & 0x0f;
                let x1 = x[4 + j] >> 4;
                y[j] = f32::from(x0) * d + m;
                y[j + 16] = f32::from(x1) * d + m;
            }
        }
        Format::Q5_0Split | Format::Q5_1Split => {
            let one = format == Format::Q5_1Split;
            let d = f16_at(x, 0);
            let m = if one { f16_at(x, 2) } else { 0.0 };
            let h = if one { 4 } else { 2 };
            let qh = u32::from_le_bytes([x[h], x[h + 1], x[h + 2], x[h + 3]]);
            let qs = &x[h + 4..h + 20];
            for j in 0..16 {
                let xh_0 = ((qh >> j) << 4) & 0x10;
                let xh_1 = (qh >> (j + 12)) & 0x10;
                let x0 = (u32::from(qs[j] & 0x0f) | xh_0) as i32;
                let x1 = (u32::from(qs[j] >> 4) | xh_1) as i32;
                if one {
                    y[j] = x0 as f32 * d + m;
                    y[j + 16] = x1 as f32 * d + m;
                } else {
                    y[j] = (x0 - 16) as f32 * d;
                    y[j + 16] = (x1 - 16) as f32 * d;
                }
            }
        }
        Format::Q4KSplit => {
            let d = f16_at(x, 0);
            let min = f16_at(x, 2);
            let scales = &x[4..16];
            let q = &x[16..144];
            let mut yi = 0;
            let mut is = 0;
            for j in 0..4 {
                let (sc, m) = get_scale_min_k4(is, scales);
                let (d1, m1) = (d * f32::from(sc), min * f32::from(m));
                let (sc, m) = get_scale_min_k4(is + 1, scales);
                let (d2, m2) = (d * f32::from(sc), min * f32::from(m));
                let ql = &q[32 * j..32 * j + 32];
                for l in 0..32 {
                    y[yi + l] = d1 * f32::from(ql[l] & 0xf) - m1;
                    y[yi + 32 + l] = d2 * f32::from(ql[l] >> 4) - m2;
                }
                yi += 64;
                is += 2;
            }
        }
        Format::Q2KSplit => {
            let scales = &x[..16];
            let d = f16_at(x, 80);
            let min = f16_at(x, 82);
            let mut yi = 0;
            let mut is = 0;
            for n in 0..2 {
                let q = &x[16 + 32 * n..16 + 32 * n + 32];
                for shift in [0, 2, 4, 6] {
                    for part in 0..2 {
                        let sc = scales[is];
                        is += 1;
                        let dl = d * f32::from(sc & 0xf);
                        let ml = min * f32::from(sc >> 4);
                        for l in 0..16 {
                            let v = (q[16 * part + l] >> shift) & 3;
                            y[yi] = dl * f32::from(v) - ml;
                            yi += 1;
                        }
                    }
                }
            }
        }
        Format::Q3KSplit => {
            let hm = &x[..32];
            let d = f16_at(x, 108);
            let scales = unpack_scales_k3(&x[96..108]);
            let mut m = 1u8;
            let mut yi = 0;
            let mut is = 0;
            for n in 0..2 {
                let q = &x[32 + 32 * n..32 + 32 * n + 32];
                for shift in [0, 2, 4, 6] {
                    for part in 0..2 {
                        let dl = d * (i32::from(scales[is]) - 32) as f32;
                        is += 1;
                        for l in 0..16 {
                            let low = i32::from((q[16 * part + l] >> shift) & 3);
                            let minus = if hm[16 * part + l] & m != 0 { 0 } else { 4 };
                            y[yi] = dl * (low - minus) as f32;
                            yi += 1;
                        }
                    }
                    m <<= 1;
                }
            }
        }
        Format::Q5KSplit => {
            let d = f16_at(x, 0);
            let min = f16_at(x, 2);
            let scales = &x[4..16];
            let qh = &x[16..48];
            let q = &x[48..176];
            let (mut u1, mut u2) = (1u8, 2u8);
            let mut yi = 0;
            let mut is = 0;
            for j in 0..4 {
                let (sc, m) = get_scale_min_k4(is, scales);
                let (d1, m1) = (d * f32::from(sc), min * f32::from(m));
                let (sc, m) = get_scale_min_k4(is + 1, scales);
                let (d2, m2) = (d * f32::from(sc), min * f32::from(m));
                let ql = &q[32 * j..32 * j + 32];
                for l in 0..32 {
                    let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
                    let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
                    y[yi + l] = d1 * f32::from((ql[l] & 0xf) + h1) - m1;
                    y[yi + 32 + l] = d2 * f32::from((ql[l] >> 4) + h2) - m2;
                }
                yi += 64;
                is += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
        Format::Iq4NlSplit => {
            let d = f16_at(x, 0);
            for j in 0..16 {
                y[j] = d * f32::from(KVALUES_IQ4NL[usize::from(x[2 + j] & 0xf)]);
                y[j + 16] = d * f32::from(KVALUES_IQ4NL[usize::from(x[2 + j] >> 4)]);
            }
        }
        Format::Iq4XsSplit => {
            let d = f16_at(x, 0);
            let scales_h = u16::from_le_bytes([x[2], x[3]]);
            let scales_l = &x[4..8];
            for ib in 0..8 {
                let low = i32::from((scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf);
                let high = i32::from((scales_h >> (2 * ib)) & 3);
                let ls = low | (high << 4);
                let dl = d * (ls - 32) as f32;
                let qs = &x[8 + 16 * ib..8 + 16 * ib + 16];
                for j in 0..16 {
                    y[32 * ib + j] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[j] & 0xf)]);
                    y[32 * ib + 16 + j] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[j] >> 4)]);
                }
            }
        }
        Format::Iq3S => {
            // Bytes: d 0..2, qs 2..66, qh 66..74, signs 74..106, scales 106..110.
            let d = f16_at(x, 0);
            for (e, y) in y.iter_mut().enumerate().take(256) {
                let (sub, group, j) = (e / 32, e / 4, e % 4);
                let sc = (x[106 + sub / 2] >> (4 * (sub % 2))) & 0xf;
                let db = d * f32::from(1 + 2 * sc);
                let high = (x[66 + group / 8] >> (group % 8)) & 1;
                let row = usize::from(x[2 + group]) | (usize::from(high) << 8);
                let level = f32::from(IQ3S_GRID[row][j]);
                let minus = (x[74 + e / 8] >> (e % 8)) & 1 == 1;
                // ggml multiplies by -1.0 after; the same bits.
                *y = db * if minus { -level } else { level };
            }
        }
        Format::Q6KSplit => {
            let d = f16_at(x, 208);
            for n in 0..2 {
                let ql = &x[64 * n..64 * n + 64];
                let qh = &x[128 + 32 * n..128 + 32 * n + 32];
                let sc = &x[192 + 8 * n..192 + 8 * n + 8];
                let yy = &mut y[128 * n..128 * n + 128];
                for l in 0..32 {
                    let is = l / 16;
                    let q1 = i32::from((ql[l] & 0xf) | ((qh[l] & 3) << 4)) - 32;
                    let q2 = i32::from((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    let q3 = i32::from((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    let q4 = i32::from((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    let s = |k: usize| f32::from(sc[k] as i8);
                    yy[l] = d * s(is) * q1 as f32;
                    yy[l + 32] = d * s(is + 2) * q2 as f32;
                    yy[l + 64] = d * s(is + 4) * q3 as f32;
                    yy[l + 96] = d * s(is + 6) * q4 as f32;
                }
            }
        }
        _ => {}
    }
}

/// ggml's non-linear 4-bit levels of `IQ4_NL` and `IQ4_XS`
/// (`kvalues_iq4nl` in `ggml-common.h`).
const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

/// The sixteen 6-bit scales of a `Q3_K` block, unpacked as ggml does: the
/// 12 bytes as three little-endian `u32` words, rebuilt into four.
fn unpack_scales_k3(s: &[u8]) -> [u8; 16] {
    let word = |i: usize| u32::from_le_bytes([s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]]);
    let (kmask1, kmask2) = (0x0303_0303u32, 0x0f0f_0f0fu32);
    let (a0, a1, tmp) = (word(0), word(1), word(2));
    let aux = [
        (a0 & kmask2) | ((tmp & kmask1) << 4),
        (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4),
        ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4),
        ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4),
    ];
    let mut out = [0u8; 16];
    for (o, w) in out.chunks_exact_mut(4).zip(aux) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn get_scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Reference decode-gather: `out[t][j] = decode(table[tokens[t]])[c0 + j] *
/// scale + add[t][j]` for the columns `cols` of every row, dense output
/// (`tokens.len() * cols.len()` values). `i8_scales` gives the scales of a
/// [`Format::I8`] table (one per row, or one for the whole table) and is
/// ignored otherwise. `scale`, `add` and `padding_id` mean what they mean in
/// [`Epilogue`](crate::gather::Epilogue).
///
/// ```
/// use inlayer::formats::Format;
/// let table = [0x80, 0x3f, 0x00, 0x40]; // one bf16 row: 1.0, 2.0
/// let mut out = [0.0f32; 1];
/// inlayer::reference::formats::gather(
///     Format::Bf16, &table, 2, &[], &[0], 1..2, Some(3.0), None, None, &mut out,
/// )?;
/// assert_eq!(out, [6.0]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// The same as the fast view constructors and
/// [`gather_cols`](crate::gather::gather_cols): bad shape, length, column
/// range or id.
#[allow(clippy::too_many_arguments)]
pub fn gather(
    format: Format,
    table: &[u8],
    dim: usize,
    i8_scales: &[f32],
    tokens: &[u32],
    cols: core::ops::Range<usize>,
    scale: Option<f32>,
    add: Option<&[f32]>,
    padding_id: Option<u32>,
    out: &mut [f32],
) -> Result<(), Error> {
    let row_bytes = format.row_bytes(dim)?;
    if !table.len().is_multiple_of(row_bytes) {
        return Err(Error::NotWholeRows {
            len: table.len(),
            row_bytes,
        });
    }
    let vocab = table.len() / row_bytes;
    if format == Format::I8 && i8_scales.len() != vocab && i8_scales.len() != 1 {
        return Err(Error::LengthMismatch {
            what: "scales",
            expected: vocab,
            actual: i8_scales.len(),
        });
    }
    if cols.end > dim {
        return Err(Error::InvalidShape {
            what: "cols.end",
            value: cols.end,
        });
    }
    if cols.start > cols.end {
        return Err(Error::InvalidShape {
            what: "cols.start",
            value: cols.start,
        });
    }
    let width = cols.end - cols.start;
    super::gather::check_rows_out(tokens, width, vocab, add, padding_id, out.len())?;
    for t in 0..tokens.len() {
        let tok = tokens[t];
        for j in 0..width {
            let mut x;
            if Some(tok) == padding_id {
                x = 0.0;
            } else {
                let r = tok as usize;
                let s = match (format, i8_scales.len()) {
                    (Format::I8, 1) => i8_scales[0],
                    (Format::I8, _) => i8_scales[r],
                    _ => 1.0,
                };
                let bytes = &table[r * row_bytes..(r + 1) * row_bytes];
                x = decode_one(format, bytes, dim, s, cols.start + j);
                if let Some(s) = scale {
                    x *= s;
                }
            }
            if let Some(a) = add {
                x += a[t * width + j];
            }
            out[t * width + j] = x;
        }
    }
    Ok(())
}

/// Element `col` of one row's bytes, by decoding the element (element-wise
/// formats) or the whole block holding it (slow on purpose: obviously right).
fn decode_one(format: Format, row: &[u8], dim: usize, i8_scale: f32, col: usize) -> f32 {
    let (e, n) = (format.block_elems(), format.block_bytes());
    match format {
        Format::Fbgemm8 => f32::from(row[col]) * f32_at(row, dim) + f32_at(row, dim + 4),
        Format::Fbgemm4LowFirst => {
            let p = dim.div_ceil(2);
            let q = (row[col / 2] >> (4 * (col % 2))) & 15;
            f32::from(q) * f16_at(row, p) + f16_at(row, p + 2)
        }
        _ if e == 1 => {
            let mut y = [0.0f32; 1];
            let _ = dequantize_row(format, &row[col * n..(col + 1) * n], i8_scale, &mut y);
            y[0]
        }
        _ => {
            let b = col / e;
            let mut y = [0.0f32; 256];
            dequantize_block(format, &row[b * n..(b + 1) * n], &mut y[..e]);
            y[col % e]
        }
    }
}
