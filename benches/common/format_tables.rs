//! Shared by `benches/formats.rs` and `examples/formats_speed.rs`: a table
//! of every format with moderate scale fields (so no subnormal arithmetic
//! skews the timing; f16/bf16 values stay finite), and its view.

use inlayer::formats::Format;

/// xorshift64: deterministic bytes.
pub struct Rng(pub u64);
impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Token sets of `t` random ids below `rows` each, as one flat vector (set
/// `k` is `ids[k * t..(k + 1) * t]`), to be cycled call by call. A
/// cache-resident table takes 16 sets. A DRAM-resident one takes enough sets
/// (2^18 ids in all, 16 sets at least) that a row is read again only after
/// far more rows than the last-level cache holds: with 16 sets of one token,
/// the decode step would read the same 16 rows from cache every call.
pub fn token_sets(rng: &mut Rng, rows: usize, t: usize, dram: bool) -> (Vec<u32>, usize) {
    let sets = if dram {
        ((1 << 18) / t.max(1)).max(16)
    } else {
        16
    };
    let ids = (0..sets * t)
        .map(|_| (rng.next() % rows as u64) as u32)
        .collect();
    (ids, sets)
}

/// Every format the benches measure, by bench name.
pub const FORMATS: [(&str, Format); 18] = [
    ("bf16", Format::Bf16),
    ("f16", Format::F16),
    ("i8", Format::I8),
    ("fbgemm8", Format::Fbgemm8),
    ("fbgemm4", Format::Fbgemm4LowFirst),
    ("q8_0", Format::Q8_0),
    ("q4_0", Format::Q4_0Split),
    ("q4_1", Format::Q4_1Split),
    ("q5_0", Format::Q5_0Split),
    ("q5_1", Format::Q5_1Split),
    ("q2_k", Format::Q2KSplit),
    ("q3_k", Format::Q3KSplit),
    ("q4_k", Format::Q4KSplit),
    ("q5_k", Format::Q5KSplit),
    ("q6_k", Format::Q6KSplit),
    ("iq4_nl", Format::Iq4NlSplit),
    ("iq4_xs", Format::Iq4XsSplit),
    ("iq3_s", Format::Iq3S),
];

/// Random bytes with every scale field a moderate value.
pub fn table_bytes(format: Format, rows: usize, dim: usize, rng: &mut Rng) -> Vec<u8> {
    let row = format.row_bytes(dim).unwrap();
    let mut b: Vec<u8> = (0..rows * row).map(|_| rng.next() as u8).collect();
    let h = 0x2c00u16.to_le_bytes(); // 1/16
    let fields: &[usize] = match format {
        Format::Q8_0
        | Format::Q4_0Split
        | Format::Q5_0Split
        | Format::Iq4NlSplit
        | Format::Iq4XsSplit
        | Format::Iq3S => &[0],
        Format::Q4_1Split | Format::Q5_1Split | Format::Q4KSplit | Format::Q5KSplit => &[0, 2],
        Format::Q2KSplit => &[80, 82],
        Format::Q3KSplit => &[108],
        Format::Q6KSplit => &[208],
        _ => &[],
    };
    match format {
        Format::F16 => b.chunks_exact_mut(2).for_each(|c| c[1] &= 0x3f),
        // Below 2 in magnitude, and no subnormals (a trained table has none,
        // and a multiply of one takes a microcode assist: with them, the
        // `bf16` gather times a scale read 0.07–0.08× the `memcpy`).
        Format::Bf16 => b.chunks_exact_mut(2).for_each(|c| {
            c[1] &= 0x3f;
            if c[1] == 0 {
                c[0] |= 0x80;
            }
        }),
        Format::Fbgemm8 => {
            for r in b.chunks_exact_mut(row) {
                r[dim..dim + 4].copy_from_slice(&0.01f32.to_le_bytes());
                r[dim + 4..].copy_from_slice(&(-1.0f32).to_le_bytes());
            }
        }
        Format::Fbgemm4LowFirst => {
            for r in b.chunks_exact_mut(row) {
                let p = dim.div_ceil(2);
                r[p..p + 2].copy_from_slice(&h);
                r[p + 2..].copy_from_slice(&h);
            }
        }
        _ => {
            for blk in b.chunks_exact_mut(format.block_bytes()) {
                for &f in fields {
                    blk[f..f + 2].copy_from_slice(&h);
                }
            }
        }
    }
    b
}

/// Runs `$body` with `$t` bound to the table view of `$b` in `$format`
/// (`$scales`: the int8 row scales), as its concrete type: the kernels are
/// then dispatched statically, as for a caller that holds that type (a
/// `Box<dyn Table>` would add a virtual call per method, about a third of a
/// one-token decode).
#[macro_export]
macro_rules! with_view {
    (@bind $view:expr, $t:ident, $body:expr) => {{
        let $t = &$view.unwrap();
        $body
    }};
    ($format:expr, $b:expr, $dim:expr, $scales:expr, |$t:ident| $body:expr) => {{
        use inlayer::formats::*;
        let (b, dim, scales) = ($b, $dim, $scales);
        match $format {
            Format::Bf16 => with_view!(@bind Bf16Table::from_bytes(b, dim), $t, $body),
            Format::F16 => with_view!(@bind F16Table::from_bytes(b, dim), $t, $body),
            Format::I8 => with_view!(@bind I8Table::per_row(b, dim, scales), $t, $body),
            Format::Fbgemm8 => with_view!(@bind Fbgemm8Table::from_bytes(b, dim), $t, $body),
            Format::Fbgemm4LowFirst => with_view!(@bind Fbgemm4Table::from_bytes(b, dim), $t, $body),
            Format::Q8_0 => with_view!(@bind Q8_0Table::from_bytes(b, dim), $t, $body),
            Format::Q4_0Split => with_view!(@bind Q4_0Table::from_bytes(b, dim), $t, $body),
            Format::Q4_1Split => with_view!(@bind Q4_1Table::from_bytes(b, dim), $t, $body),
            Format::Q5_0Split => with_view!(@bind Q5_0Table::from_bytes(b, dim), $t, $body),
            Format::Q5_1Split => with_view!(@bind Q5_1Table::from_bytes(b, dim), $t, $body),
            Format::Q2KSplit => with_view!(@bind Q2KTable::from_bytes(b, dim), $t, $body),
            Format::Q3KSplit => with_view!(@bind Q3KTable::from_bytes(b, dim), $t, $body),
            Format::Q4KSplit => with_view!(@bind Q4KTable::from_bytes(b, dim), $t, $body),
            Format::Q5KSplit => with_view!(@bind Q5KTable::from_bytes(b, dim), $t, $body),
            Format::Iq4NlSplit => with_view!(@bind Iq4NlTable::from_bytes(b, dim), $t, $body),
            Format::Iq4XsSplit => with_view!(@bind Iq4XsTable::from_bytes(b, dim), $t, $body),
            Format::Iq3S => with_view!(@bind Iq3STable::from_bytes(b, dim), $t, $body),
            _ => with_view!(@bind Q6KTable::from_bytes(b, dim), $t, $body),
        }
    }};
}
