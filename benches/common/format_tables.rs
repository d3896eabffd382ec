//! Shared by `benches/formats.rs` and `examples/formats_speed.rs`: a table
//! of every format with moderate scale fields (so no subnormal arithmetic
//! skews the timing; f16/bf16 values stay finite), and its view.

use inlayer::formats::{
    Bf16Table, F16Table, Fbgemm4Table, Fbgemm8Table, Format, I8Table, Q4_0Table, Q4_1Table,
    Q4KTable, Q5_0Table, Q5_1Table, Q6KTable, Q8_0Table, Table,
};

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

/// Every format the benches measure, by bench name.
pub const FORMATS: [(&str, Format); 12] = [
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
    ("q4_k", Format::Q4KSplit),
    ("q6_k", Format::Q6KSplit),
];

/// Random bytes with every scale field a moderate value.
pub fn table_bytes(format: Format, rows: usize, dim: usize, rng: &mut Rng) -> Vec<u8> {
    let row = format.row_bytes(dim).unwrap();
    let mut b: Vec<u8> = (0..rows * row).map(|_| rng.next() as u8).collect();
    let h = 0x2c00u16.to_le_bytes(); // 1/16
    let fields: &[usize] = match format {
        Format::Q8_0 | Format::Q4_0Split | Format::Q5_0Split => &[0],
        Format::Q4_1Split | Format::Q5_1Split | Format::Q4KSplit => &[0, 2],
        Format::Q6KSplit => &[208],
        _ => &[],
    };
    match format {
        Format::F16 | Format::Bf16 => b.chunks_exact_mut(2).for_each(|c| c[1] &= 0x3f),
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

/// The table view of `b` in `format` (`scales`: the int8 row scales).
pub fn view<'a>(format: Format, b: &'a [u8], dim: usize, scales: &'a [f32]) -> Box<dyn Table + 'a> {
    match format {
        Format::Bf16 => Box::new(Bf16Table::from_bytes(b, dim).unwrap()),
        Format::F16 => Box::new(F16Table::from_bytes(b, dim).unwrap()),
        Format::I8 => Box::new(I8Table::per_row(b, dim, scales).unwrap()),
        Format::Fbgemm8 => Box::new(Fbgemm8Table::from_bytes(b, dim).unwrap()),
        Format::Fbgemm4LowFirst => Box::new(Fbgemm4Table::from_bytes(b, dim).unwrap()),
        Format::Q8_0 => Box::new(Q8_0Table::from_bytes(b, dim).unwrap()),
        Format::Q4_0Split => Box::new(Q4_0Table::from_bytes(b, dim).unwrap()),
        Format::Q4_1Split => Box::new(Q4_1Table::from_bytes(b, dim).unwrap()),
        Format::Q5_0Split => Box::new(Q5_0Table::from_bytes(b, dim).unwrap()),
        Format::Q5_1Split => Box::new(Q5_1Table::from_bytes(b, dim).unwrap()),
        Format::Q4KSplit => Box::new(Q4KTable::from_bytes(b, dim).unwrap()),
        _ => Box::new(Q6KTable::from_bytes(b, dim).unwrap()),
    }
}
