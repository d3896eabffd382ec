//! Differential fuzz target for the f32 gather: the input is decoded into a
//! shape, a table given as raw bytes (at any alignment), ids, an epilogue and
//! an output stride; the public API must equal `inlayer::reference` bit for
//! bit (NaNs compare equal) or return the same `Err`, and must never panic.
//! An `Err` must leave the output untouched. The backward is checked too.

#![no_main]

use inlayer::formats::F32Table;
use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference;
use libfuzzer_sys::fuzz_target;

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let (head, rest) = data.split_at(12);
    let dim = usize::from(head[0] % 70) + 1;
    let n_tok = usize::from(head[1] % 24);
    let offset = usize::from(head[2] % 4);
    let gap = usize::from(head[3] % 5);
    let flags = head[4];
    let scale = f32::from_le_bytes([head[5], head[6], head[7], head[8]]);
    let padding_id = u32::from(head[9] % 8);
    let table_rows = usize::from(head[10] % 12);

    // Table bytes (copied to an offset buffer so alignment varies), then ids.
    let want_bytes = table_rows * dim * 4 + usize::from(flags & 0x10 != 0); // sometimes ragged
    let mut tbuf = vec![0u8; offset];
    tbuf.extend(rest.iter().copied().cycle().take(want_bytes));
    let ids: Vec<u32> = rest
        .iter()
        .rev()
        .take(n_tok)
        .map(|&b| u32::from(b % (table_rows as u8 + 3)))
        .collect();
    let mut ids = ids;
    if head[11] & 1 != 0 && !ids.is_empty() {
        ids[0] = u32::MAX; // the largest id a caller can pass
    }
    let n_tok = ids.len();
    let add: Vec<f32> = (0..n_tok * dim)
        .map(|i| f32::from_bits(0x3f80_0000 ^ (i as u32).wrapping_mul(2_654_435_761)))
        .collect();

    let view = match F32Table::from_bytes(&tbuf[offset..], dim) {
        Ok(v) => v,
        Err(e) => {
            assert!(want_bytes % (dim * 4) != 0, "valid table rejected: {e}");
            return;
        }
    };
    let table: Vec<f32> = tbuf[offset..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();

    let epi = Epilogue {
        scale: (flags & 1 != 0).then_some(scale),
        add: (flags & 2 != 0).then_some(&add[..]),
        padding_id: (flags & 4 != 0).then_some(padding_id),
    };
    let mut want = vec![0.0f32; n_tok * dim];
    let r = if table_rows == 0 {
        // The reference cannot express an empty table (`dim` rows of nothing);
        // every id is out of range then, unless it is the padding id.
        match ids.iter().position(|&t| Some(t) != epi.padding_id) {
            Some(index) => Err(inlayer::Error::TokenOutOfRange {
                index,
                token: ids[index],
                vocab: 0,
            }),
            None => Ok(()),
        }
    } else {
        reference::gather::gather(
            &table,
            dim,
            &ids,
            epi.scale,
            epi.add,
            epi.padding_id,
            &mut want,
        )
    };
    if table_rows == 0 && r.is_ok() {
        for (t, w) in want.chunks_exact_mut(dim).enumerate() {
            for (j, w) in w.iter_mut().enumerate() {
                *w = epi.add.map_or(0.0, |a| 0.0 + a[t * dim + j]);
            }
        }
    }

    let stride = dim + gap;
    let fill = f32::from_bits(0x7fc0_1234);
    let mut got = vec![fill; n_tok * stride];
    let g = gather_view(&view, &ids, &epi, &mut got, stride);
    assert_eq!(r, g);
    for (t, row) in got.chunks(stride).enumerate() {
        if g.is_ok() {
            assert!(same(&row[..dim], &want[t * dim..(t + 1) * dim]));
        } else {
            assert!(row[..dim].iter().all(|x| x.to_bits() == fill.to_bits()));
        }
        assert!(row[dim..].iter().all(|x| x.to_bits() == fill.to_bits()));
    }

    // Backward: accumulate the fuzzed "gradients" into the table.
    if table_rows > 0 {
        let grads: Vec<f32> = add.clone();
        let mut gw = table.clone();
        let mut gg = table.clone();
        let r = reference::gather::gather_backward(&grads, &ids, dim, epi.padding_id, &mut gw);
        let g = inlayer::gather_backward_dyn(&grads, &ids, dim, epi.padding_id, &mut gg);
        assert_eq!(r, g);
        assert!(same(&gw, &gg));
    }
});
