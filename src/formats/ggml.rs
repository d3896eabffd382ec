//! ggml / GGUF block-quantized tables: `Q8_0`, `Q4_0`, `Q4_1`, `Q5_0`,
//! `Q5_1`, `Q4_K`, `Q6_K`; and the `Q8_0` / `Q4_0` encoders.
//!
//! Layouts from `ggml/src/ggml-common.h`; decoders byte-exact with
//! `dequantize_row_*` in `ggml/src/ggml-quants.c` (the same IEEE operations
//! in the same order, each rounded once: e.g. `Q4_K` is
//! `(d * sc) * q - (dmin * m)`, `Q6_K` is `(d * sc) * q`), on eight lanes at a
//! time. Fields are read with `from_le_bytes` (blocks are 2-byte aligned in a
//! file). Every byte pattern is a valid block (NaN or infinite scales
//! included). The encoders follow ggml's `quantize_row_q8_0_ref` and
//! `quantize_row_q4_0_ref`: round-trip error at most `d / 2` per element for
//! `Q8_0` (`d = max|x| / 127`) and `d` for `Q4_0` (`d = max|x| / 8`), plus
//! the rounding of `d` to `f16`.

use super::lanes::{f16_at, load_i8, load_u8};
use super::{Format, Table};
use crate::Error;
use crate::simd::{F32x8, I32x8};
use core::marker::PhantomData;

/// A ggml block type: how many elements a block holds, its size, and its
/// decoder. Implemented by the marker types [`Q8_0`], [`Q4_0`], [`Q4_1`],
/// [`Q5_0`], [`Q5_1`], [`Q4K`] and [`Q6K`]; sealed.
pub trait Block: sealed::Sealed + Copy + core::fmt::Debug {
    /// The format id.
    const FORMAT: Format;
    /// Elements per block.
    const ELEMS: usize;
    /// Bytes per block.
    const BYTES: usize;
    /// Decodes one block (`block.len() == BYTES`, `out.len() == ELEMS`;
    /// otherwise nothing is written).
    fn decode(block: &[u8], out: &mut [f32]);
}

mod sealed {
    pub trait Sealed {}
}

/// A `[rows][dim]` table of ggml blocks, `dim / B::ELEMS` blocks per row.
///
/// ```
/// use inlayer::formats::{Q8_0Table, Table, encode_q8_0};
/// let x: Vec<f32> = (0..64).map(|i| i as f32 / 8.0 - 4.0).collect(); // 2 rows of 32
/// let mut bytes = [0u8; 2 * 34];
/// encode_q8_0(&x, &mut bytes)?;
/// let t = Q8_0Table::from_bytes(&bytes, 32)?;
/// let mut row = [0.0f32; 32];
/// t.decode_into(1, 0, &mut row);
/// assert!(row.iter().zip(&x[32..]).all(|(a, b)| (a - b).abs() < 0.02));
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BlockTable<'a, B: Block> {
    bytes: &'a [u8],
    rows: usize,
    dim: usize,
    block: PhantomData<B>,
}

impl<'a, B: Block> BlockTable<'a, B> {
    /// Views `bytes` as rows of `dim` values, `dim / B::ELEMS` blocks each.
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `dim` is zero or not a multiple of the
    /// block size, [`Error::Overflow`] if the row size overflows,
    /// [`Error::NotWholeRows`] if `bytes.len()` is not a whole number of rows
    /// (e.g. a truncated last block).
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let rows = B::FORMAT.rows_in(bytes.len(), dim)?;
        Ok(Self {
            bytes,
            rows,
            dim,
            block: PhantomData,
        })
    }
}

impl<B: Block> Table for BlockTable<'_, B> {
    #[inline]
    fn rows(&self) -> usize {
        self.rows
    }

    #[inline]
    fn dim(&self) -> usize {
        self.dim
    }

    #[inline]
    fn decode_into(&self, row: usize, c0: usize, out: &mut [f32]) {
        let (e, n) = (B::ELEMS, B::BYTES);
        let base = row * (self.dim / e) * n;
        let mut c = c0;
        let mut o = 0;
        while o < out.len() {
            let (b, off) = (c / e, c % e);
            let take = (e - off).min(out.len() - o);
            let block = &self.bytes[base + b * n..base + (b + 1) * n];
            if take == e {
                B::decode(block, &mut out[o..o + e]);
            } else {
                let mut tmp = [0.0f32; 256];
                B::decode(block, &mut tmp[..e]);
                out[o..o + take].copy_from_slice(&tmp[off..off + take]);
            }
            c += take;
            o += take;
        }
    }

    #[inline]
    fn prefetch(&self, row: usize) {
        let row_bytes = (self.dim / B::ELEMS) * B::BYTES;
        crate::prefetch::read_bytes(self.bytes, row * row_bytes, row_bytes);
    }
}

macro_rules! block {
    ($(#[$doc:meta])* $name:ident, $table:ident, $format:expr, $elems:literal, $bytes:literal, $decode:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        #[allow(non_camel_case_types)]
        pub struct $name;

        impl sealed::Sealed for $name {}

        impl Block for $name {
            const FORMAT: Format = $format;
            const ELEMS: usize = $elems;
            const BYTES: usize = $bytes;
            #[inline(always)]
            fn decode(block: &[u8], out: &mut [f32]) {
                if let (Ok(b), Ok(o)) = (
                    <&[u8; $bytes]>::try_from(block),
                    <&mut [f32; $elems]>::try_from(out),
                ) {
                    $decode(b, o);
                }
            }
        }

        #[doc = concat!("A table of [`", stringify!($name), "`] blocks.")]
        #[allow(non_camel_case_types)]
        pub type $table<'a> = BlockTable<'a, $name>;
    };
}

block!(
    /// ggml `Q8_0`: 32 elements in 34 bytes, `f16 d` · `i8 qs[32]`;
    /// `x = qs[j] * d`.
    Q8_0, Q8_0Table, Format::Q8_0, 32, 34, q8_0
);
block!(
    /// ggml `Q4_0`: 32 elements in 18 bytes, `f16 d` · `u8 qs[16]`;
    /// `x[j] = ((qs[j] & 15) - 8) * d`, `x[j + 16] = ((qs[j] >> 4) - 8) * d`
    /// (low nibbles are elements 0–15).
    Q4_0, Q4_0Table, Format::Q4_0Split, 32, 18, q4_0
);
block!(
    /// ggml `Q4_1`: 32 elements in 20 bytes, `f16 d` · `f16 m` ·
    /// `u8 qs[16]` (split halves); `x = q * d + m`.
    Q4_1, Q4_1Table, Format::Q4_1Split, 32, 20, q4_1
);
block!(
    /// ggml `Q5_0`: 32 elements in 22 bytes, `f16 d` · `u32 qh` ·
    /// `u8 qs[16]` (split halves, bit `j` of `qh` is bit 4 of element `j`);
    /// `x = (q - 16) * d`.
    Q5_0, Q5_0Table, Format::Q5_0Split, 32, 22, q5_0
);
block!(
    /// ggml `Q5_1`: 32 elements in 24 bytes, `f16 d` · `f16 m` · `u32 qh` ·
    /// `u8 qs[16]`; `x = q * d + m`.
    Q5_1, Q5_1Table, Format::Q5_1Split, 32, 24, q5_1
);
block!(
    /// ggml `Q4_K`: 256 elements in 144 bytes, `f16 d` · `f16 dmin` ·
    /// `u8 scales[12]` · `u8 qs[128]`; `x = (d * sc) * q - (dmin * m)` with
    /// the 6-bit `sc`, `m` of each 32-element sub-block.
    Q4K, Q4KTable, Format::Q4KSplit, 256, 144, q4_k
);
block!(
    /// ggml `Q6_K`: 256 elements in 210 bytes, `u8 ql[128]` · `u8 qh[64]` ·
    /// `i8 scales[16]` · `f16 d`; `x = (d * scales[k]) * (q - 32)`.
    Q6K, Q6KTable, Format::Q6KSplit, 256, 210, q6_k
);

/// Eight lanes `x = q * d`, stored to `out`.
#[inline(always)]
fn store_mul(q: I32x8, d: F32x8, out: &mut [f32; 8]) {
    (F32x8::from_i32(q) * d).store(out);
}

/// Eight lanes `x = q * d + m`, stored to `out`.
#[inline(always)]
fn store_mul_add(q: I32x8, d: F32x8, m: F32x8, out: &mut [f32; 8]) {
    (F32x8::from_i32(q) * d + m).store(out);
}

/// Eight nibbles of `qs`: low (`hi == false`) or high.
#[inline(always)]
fn nibbles(qs: &[u8; 8], hi: bool) -> I32x8 {
    let q = load_u8(qs);
    if hi { q >> 4 } else { q & I32x8::splat(0xf) }
}

/// Bit 4 of each of the eight elements whose high bits are the eight bits of
/// `byte` (element `i` takes bit `i`): `16` where set, `0` elsewhere.
#[inline(always)]
fn high_bits(byte: u8) -> I32x8 {
    let bit = I32x8::splat(i32::from(byte)) & I32x8::new([1, 2, 4, 8, 16, 32, 64, 128]);
    ((I32x8::splat(0) - bit) >> 31) & I32x8::splat(16)
}

fn q8_0(b: &[u8; 34], out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let (qs, _) = b[2..].as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<8>();
    for (o, q) in o.iter_mut().zip(qs) {
        store_mul(load_i8(q), d, o);
    }
}

fn q4_0(b: &[u8; 18], out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let (qs, _) = b[2..].as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<8>();
    for (k, o) in o.iter_mut().enumerate() {
        let q = nibbles(&qs[k & 1], k >= 2) - I32x8::splat(8);
        store_mul(q, d, o);
    }
}

fn q4_1(b: &[u8; 20], out: &mut [f32; 32]) {
    let (d, m) = (F32x8::splat(f16_at(b, 0)), F32x8::splat(f16_at(b, 2)));
    let (qs, _) = b[4..].as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<8>();
    for (k, o) in o.iter_mut().enumerate() {
        store_mul_add(nibbles(&qs[k & 1], k >= 2), d, m, o);
    }
}

fn q5_0(b: &[u8; 22], out: &mut [f32; 32]) {
    let d = F32x8::splat(f16_at(b, 0));
    let qh = [b[2], b[3], b[4], b[5]];
    let (qs, _) = b[6..].as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<8>();
    for (k, o) in o.iter_mut().enumerate() {
        let q = (nibbles(&qs[k & 1], k >= 2) | high_bits(qh[k])) - I32x8::splat(16);
        store_mul(q, d, o);
    }
}

fn q5_1(b: &[u8; 24], out: &mut [f32; 32]) {
    let (d, m) = (F32x8::splat(f16_at(b, 0)), F32x8::splat(f16_at(b, 2)));
    let qh = [b[4], b[5], b[6], b[7]];
    let (qs, _) = b[8..].as_chunks::<8>();
    let (o, _) = out.as_chunks_mut::<8>();
    for (k, o) in o.iter_mut().enumerate() {
        store_mul_add(nibbles(&qs[k & 1], k >= 2) | high_bits(qh[k]), d, m, o);
    }
}

/// The 6-bit scale and min of sub-block `j` (ggml `get_scale_min_k4`).
#[inline(always)]
fn scale_min_k4(j: usize, s: &[u8; 12]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

fn q4_k(b: &[u8; 144], out: &mut [f32; 256]) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let mut scales = [0u8; 12];
    scales.copy_from_slice(&b[4..16]);
    let (qs, _) = b[16..].as_chunks::<32>(); // 4 chunks of 32 bytes
    let (o, _) = out.as_chunks_mut::<32>(); // 8 sub-blocks of 32 values
    for (sub, o) in o.iter_mut().enumerate() {
        // Sub-block `sub`: bytes of chunk sub / 2, low nibbles for even
        // sub-blocks, high nibbles for odd ones.
        let (sc, m) = scale_min_k4(sub, &scales);
        let d1 = F32x8::splat(d * f32::from(sc));
        let m1 = F32x8::splat(dmin * f32::from(m));
        let (q8, _) = qs[sub / 2].as_chunks::<8>();
        let (o8, _) = o.as_chunks_mut::<8>();
        for (o, q) in o8.iter_mut().zip(q8) {
            (F32x8::from_i32(nibbles(q, sub % 2 == 1)) * d1 - m1).store(o);
        }
    }
}

fn q6_k(b: &[u8; 210], out: &mut [f32; 256]) {
    let d = f16_at(b, 208);
    let (ql, _) = b[..128].as_chunks::<32>(); // 4 × 32
    let (qh, _) = b[128..192].as_chunks::<32>(); // 2 × 32
    let (o, _) = out.as_chunks_mut::<32>(); // 8 × 32: (half n, quarter)
    for (k, o) in o.iter_mut().enumerate() {
        // Elements 128 n + 32 quarter + l, l in 0..32: the low 4 bits from
        // ql[64 n + 32 (quarter & 1) + l] (high nibble for quarters 2, 3),
        // the top 2 bits from qh[32 n + l] >> 2 quarter, scale 8 n +
        // 2 quarter + l / 16.
        let (n, quarter) = (k / 4, k % 4);
        let (l8, _) = ql[2 * n + (quarter & 1)].as_chunks::<8>();
        let (h8, _) = qh[n].as_chunks::<8>();
        let (o8, _) = o.as_chunks_mut::<8>();
        let shift = 2 * quarter as u32;
        for (g, ((o, l), h)) in o8.iter_mut().zip(l8).zip(h8).enumerate() {
            let sc = b[192 + 8 * n + 2 * quarter + g / 2] as i8;
            let low = nibbles(l, quarter >= 2);
            let high = ((load_u8(h) >> shift) & I32x8::splat(3)) << 4;
            let q = (low | high) - I32x8::splat(32);
            store_mul(q, F32x8::splat(d * f32::from(sc)), o);
        }
    }
}

/// Quantizes `x` to ggml `Q8_0` blocks (as `quantize_row_q8_0_ref`:
/// `d = max|x| / 127`, `q = round(x / d)`, `d` stored as `f16`).
///
/// ```
/// let x = [0.5f32; 32];
/// let mut b = [0u8; 34];
/// inlayer::formats::encode_q8_0(&x, &mut b)?;
/// assert_eq!(b[2], 127);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `x.len()` is zero or not a multiple of 32,
/// [`Error::LengthMismatch`] if `out` is not `x.len() / 32 * 34` bytes,
/// [`Error::NotFinite`] for a NaN or infinite input. On error nothing is
/// written.
pub fn encode_q8_0(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    check_encode(Format::Q8_0, x, out)?;
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(34)) {
        let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        ob[..2].copy_from_slice(&super::f16::f32_to_f16(d).to_le_bytes());
        for (q, &v) in ob[2..].iter_mut().zip(xb) {
            *q = libm::roundf(v * id) as i8 as u8;
        }
    }
    Ok(())
}

/// Quantizes `x` to ggml `Q4_0` blocks (as `quantize_row_q4_0_ref`:
/// `d = -max / 8` for the value `max` of largest magnitude,
/// `q = min(15, trunc(x / d + 8.5))`, low nibbles first).
///
/// ```
/// let mut x = [0.0f32; 32];
/// x[0] = -8.0;
/// let mut b = [0u8; 18];
/// inlayer::formats::encode_q4_0(&x, &mut b)?;
/// assert_eq!(&b[..3], &[0x00, 0x3c, 0x80]); // d = 1.0; element 0 → 0, element 16 → 8
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`encode_q8_0`], with 18-byte blocks.
pub fn encode_q4_0(x: &[f32], out: &mut [u8]) -> Result<(), Error> {
    check_encode(Format::Q4_0Split, x, out)?;
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(18)) {
        let (mut amax, mut max) = (0.0f32, 0.0f32);
        for &v in xb {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        ob[..2].copy_from_slice(&super::f16::f32_to_f16(d).to_le_bytes());
        let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
        for j in 0..16 {
            ob[2 + j] = q(xb[j]) | q(xb[j + 16]) << 4;
        }
    }
    Ok(())
}

fn check_encode(format: Format, x: &[f32], out: &[u8]) -> Result<(), Error> {
    let blocks = x.len() / 32;
    if x.is_empty() || !x.len().is_multiple_of(32) {
        return Err(Error::InvalidShape {
            what: "x.len()",
            value: x.len(),
        });
    }
    let need = blocks
        .checked_mul(format.block_bytes())
        .ok_or(Error::Overflow)?;
    if out.len() != need {
        return Err(Error::LengthMismatch {
            what: "out",
            expected: need,
            actual: out.len(),
        });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NotFinite { index });
    }
    Ok(())
}
