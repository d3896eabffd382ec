//! Fuzz target for the GGUF reader on arbitrary bytes: parsing, metadata
//! lookups, tensor iteration and table views must never panic or read out of
//! bounds; every view that is returned must decode its last row.

#![no_main]

use inlayer::formats::Table;
use inlayer::gguf::Gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Start from a valid magic and version half of the time so the fuzzer
    // reaches the metadata and tensor walkers quickly.
    let mut bytes = Vec::with_capacity(data.len() + 8);
    if data.first().is_some_and(|b| b & 1 == 1) {
        bytes.extend(b"GGUF\x03\0\0\0");
        bytes.extend(&data[1..]);
    } else {
        bytes.extend(data);
    }
    let Ok(g) = Gguf::parse(&bytes) else { return };
    let _ = (
        g.architecture(),
        g.embedding_length(),
        g.context_length(),
        g.rope_freq_base(),
    );
    for (k, v) in g.metadata() {
        let _ = (k.len(), v.as_u64(), v.as_f32(), v.as_str());
    }
    for t in g.tensors() {
        let _ = g.tensor(t.name());
        if let Ok(table) = t.table() {
            let (rows, dim) = (table.rows(), table.dim());
            if rows > 0 && dim <= 1 << 16 {
                let mut row = vec![0.0f32; dim];
                table.decode_into(rows - 1, 0, &mut row);
            }
        }
    }
});
