//! Differential fuzz target for the decode-gather of every table format:
//! the input picks a format, a row width, a table (raw bytes: every bit
//! pattern is a valid block), ids, a column range, an epilogue and an output
//! stride; `gather_cols` must equal `inlayer::reference::formats::gather`
//! bit for bit (NaNs compare equal) or return the same `Err` (leaving the output untouched), and
//! must never panic.

#![no_main]

use inlayer::formats::{
    Bf16Table, F16Table, F32Table, Fbgemm4Table, Fbgemm8Table, Format, I8Table, Iq3STable,
    Iq4NlTable, Iq4XsTable, Q2KTable, Q3KTable, Q4_0Table, Q4_1Table, Q4KTable, Q5_0Table,
    Q5_1Table, Q5KTable, Q6KTable, Q8_0Table, Table,
};
use inlayer::gather::{Epilogue, gather_cols};
use inlayer::reference::formats as rf;
use libfuzzer_sys::fuzz_target;

const ALL: &[Format] = Format::ALL;

fn view<'a>(
    format: Format,
    b: &'a [u8],
    dim: usize,
    scales: &'a [f32],
) -> Result<Box<dyn Table + 'a>, inlayer::Error> {
    Ok(match format {
        Format::F32 => Box::new(F32Table::from_bytes(b, dim)?),
        Format::F16 => Box::new(F16Table::from_bytes(b, dim)?),
        Format::Bf16 => Box::new(Bf16Table::from_bytes(b, dim)?),
        Format::I8 if scales.len() == 1 => Box::new(I8Table::per_tensor(b, dim, scales[0])?),
        Format::I8 => Box::new(I8Table::per_row(b, dim, scales)?),
        Format::Fbgemm8 => Box::new(Fbgemm8Table::from_bytes(b, dim)?),
        Format::Fbgemm4LowFirst => Box::new(Fbgemm4Table::from_bytes(b, dim)?),
        Format::Q8_0 => Box::new(Q8_0Table::from_bytes(b, dim)?),
        Format::Q4_0Split => Box::new(Q4_0Table::from_bytes(b, dim)?),
        Format::Q4_1Split => Box::new(Q4_1Table::from_bytes(b, dim)?),
        Format::Q5_0Split => Box::new(Q5_0Table::from_bytes(b, dim)?),
        Format::Q5_1Split => Box::new(Q5_1Table::from_bytes(b, dim)?),
        Format::Q2KSplit => Box::new(Q2KTable::from_bytes(b, dim)?),
        Format::Q3KSplit => Box::new(Q3KTable::from_bytes(b, dim)?),
        Format::Q4KSplit => Box::new(Q4KTable::from_bytes(b, dim)?),
        Format::Q5KSplit => Box::new(Q5KTable::from_bytes(b, dim)?),
        Format::Iq4NlSplit => Box::new(Iq4NlTable::from_bytes(b, dim)?),
        Format::Iq4XsSplit => Box::new(Iq4XsTable::from_bytes(b, dim)?),
        Format::Iq3S => Box::new(Iq3STable::from_bytes(b, dim)?),
        _ => Box::new(Q6KTable::from_bytes(b, dim)?),
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (head, rest) = data.split_at(16);
    let format = ALL[usize::from(head[0]) % ALL.len()];
    let e = format.block_elems();
    let dim = if e == 1 {
        usize::from(head[1] % 40)
    } else {
        e * usize::from(head[1] % 3)
    };
    let rows = usize::from(head[2] % 6);
    let n_tok = usize::from(head[3] % 8);
    let c0 = usize::from(head[4]) % (dim + 2);
    let c1 = usize::from(head[5]) % (dim + 2);
    let gap = usize::from(head[6] % 3);
    let flags = head[7];
    let scale = f32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    let padding_id = u32::from(head[12] % 8);
    let ragged = usize::from(head[13] % 3);

    let row_bytes = format.row_bytes(dim).unwrap_or(1);
    let len = (rows * row_bytes).saturating_sub(ragged * usize::from(flags & 0x40 != 0));
    let table: Vec<u8> = rest.iter().copied().cycle().take(len).collect();
    let scales: Vec<f32> = (0..rows)
        .map(|i| f32::from_bits(u32::from_le_bytes([head[14], head[15], i as u8, 0x3f])))
        .collect();
    let tokens: Vec<u32> = rest
        .iter()
        .rev()
        .take(n_tok)
        .map(|&b| u32::from(b % 8))
        .collect();
    let n = tokens.len();
    let width = c1.saturating_sub(c0);
    let add: Vec<f32> = (0..n * width)
        .map(|i| f32::from_bits(0x3f80_0000 ^ (i as u32).wrapping_mul(2_654_435_761)))
        .collect();
    let mut epi = Epilogue::new();
    if flags & 1 != 0 {
        epi.scale = Some(scale);
    }
    if flags & 2 != 0 {
        epi.add = Some(&add);
    }
    if flags & 4 != 0 {
        epi.padding_id = Some(padding_id);
    }

    let mut want = vec![0.0f32; n * width];
    let r = rf::gather(
        format,
        &table,
        dim,
        &scales,
        &tokens,
        c0..c1,
        epi.scale,
        epi.add,
        epi.padding_id,
        &mut want,
    );
    let t = match view(format, &table, dim, &scales) {
        Ok(t) => t,
        Err(err) => {
            assert_eq!(Err(err), r, "view rejected what the reference accepts");
            return;
        }
    };
    let stride = width + gap;
    let out_len = if n == 0 { 0 } else { (n - 1) * stride + width };
    let sentinel = f32::from_bits(0x7fc0_dead);
    let mut out = vec![sentinel; out_len];
    let f = gather_cols(&*t, &tokens, c0..c1, &epi, &mut out, stride);
    assert_eq!(f, r);
    if f.is_err() {
        assert!(out.iter().all(|x| x.to_bits() == sentinel.to_bits()));
        return;
    }
    for ti in 0..n {
        for j in 0..width {
            let (a, b) = (out[ti * stride + j], want[ti * width + j]);
            // NaN payloads are not specified once two NaNs meet in one
            // operation (LLVM may commute it), so NaNs compare equal.
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{format:?} dim {dim} cols {c0}..{c1} t {ti} j {j}: {a} vs {b}"
            );
        }
    }
});
