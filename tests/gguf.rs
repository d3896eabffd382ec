//! The GGUF reader on small files built in memory by a test-only writer:
//! metadata, tensor lookup, table views equal to the reference decode, and
//! clear errors (never a panic) on truncated or corrupted files.

use inlayer::Error;
use inlayer::formats::{Format, Table};
use inlayer::gather::{Epilogue, gather_view};
use inlayer::gguf::{Gguf, Value};
use proptest::prelude::*;

/// A minimal GGUF writer (version 3).
#[derive(Default)]
struct Writer {
    kv: Vec<u8>,
    n_kv: u64,
    infos: Vec<u8>,
    data: Vec<u8>,
    n_tensors: u64,
    alignment: usize,
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl Writer {
    fn new() -> Self {
        Self {
            alignment: 32,
            ..Self::default()
        }
    }
    fn kv(&mut self, key: &str, ty: u32, value: &[u8]) -> &mut Self {
        string(&mut self.kv, key);
        self.kv.extend(ty.to_le_bytes());
        self.kv.extend(value);
        self.n_kv += 1;
        self
    }
    fn kv_str(&mut self, key: &str, v: &str) -> &mut Self {
        let mut b = Vec::new();
        string(&mut b, v);
        self.kv(key, 8, &b)
    }
    fn tensor(&mut self, name: &str, ne: &[u64], ty: u32, bytes: &[u8]) -> &mut Self {
        while !self.data.len().is_multiple_of(self.alignment) {
            self.data.push(0);
        }
        string(&mut self.infos, name);
        self.infos.extend((ne.len() as u32).to_le_bytes());
        for n in ne {
            self.infos.extend(n.to_le_bytes());
        }
        self.infos.extend(ty.to_le_bytes());
        self.infos.extend((self.data.len() as u64).to_le_bytes());
        self.data.extend(bytes);
        self.n_tensors += 1;
        self
    }
    fn finish(&self) -> Vec<u8> {
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(self.n_tensors.to_le_bytes());
        f.extend(self.n_kv.to_le_bytes());
        f.extend(&self.kv);
        f.extend(&self.infos);
        while !f.len().is_multiple_of(self.alignment) {
            f.push(0);
        }
        f.extend(&self.data);
        f
    }
}

fn q8_0_table(rows: usize, dim: usize) -> (Vec<f32>, Vec<u8>) {
    let x: Vec<f32> = (0..rows * dim)
        .map(|i| ((i * 37) % 101) as f32 / 10.0 - 5.0)
        .collect();
    let mut b = vec![0u8; rows * dim / 32 * 34];
    inlayer::formats::encode_q8_0(&x, &mut b).unwrap();
    (x, b)
}

fn model() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (_, tok) = q8_0_table(10, 64);
    let mut pos = vec![0u8; 4 * 64 * 2];
    inlayer::formats::encode_f16(&vec![0.5f32; 4 * 64], &mut pos).unwrap();
    let mut w = Writer::new();
    let mut arr = Vec::new();
    arr.extend(8u32.to_le_bytes());
    arr.extend(2u64.to_le_bytes());
    string(&mut arr, "<s>");
    string(&mut arr, "</s>");
    w.kv_str("general.architecture", "llama")
        .kv("llama.embedding_length", 4, &64u32.to_le_bytes())
        .kv("llama.context_length", 10, &4096u64.to_le_bytes())
        .kv("llama.rope.freq_base", 6, &500_000.0f32.to_le_bytes())
        .kv("tokenizer.ggml.tokens", 9, &arr)
        .kv("general.alignment", 4, &64u32.to_le_bytes());
    w.alignment = 64;
    w.tensor("token_embd.weight", &[64, 10], 8, &tok).tensor(
        "position_embd.weight",
        &[64, 4],
        1,
        &pos,
    );
    (w.finish(), tok, pos)
}

#[test]
fn reads_metadata_as_borrowed_values() {
    let (f, _, _) = model();
    let g = Gguf::parse(&f).unwrap();
    assert_eq!(g.version(), 3);
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.architecture(), Some("llama"));
    assert_eq!(g.embedding_length(), Some(64));
    assert_eq!(g.context_length(), Some(4096));
    assert_eq!(g.rope_freq_base(), Some(500_000.0));
    match g.get("tokenizer.ggml.tokens") {
        Some(Value::Array {
            elem_type: 8,
            len: 2,
            bytes,
        }) => assert_eq!(bytes.len(), 8 + 3 + 8 + 4),
        v => panic!("{v:?}"),
    }
    assert_eq!(g.metadata().count(), 6);
    assert_eq!(g.get("missing"), None);
}

#[test]
fn finds_tensors_by_name_and_views_them_zero_copy() {
    let (f, tok, pos) = model();
    let g = Gguf::parse(&f).unwrap();
    assert_eq!(g.tensor_count(), 2);
    let t = g.tensor("token_embd.weight").unwrap();
    assert_eq!((t.dims(), t.ggml_type()), (&[64u64, 10][..], 8));
    let table = t.table().unwrap();
    assert_eq!(
        (table.format(), table.rows(), table.dim()),
        (Format::Q8_0, 10, 64)
    );
    let p = g.tensor("position_embd.weight").unwrap().table().unwrap();
    assert_eq!(p.format(), Format::F16);
    assert!(g.tensor("output.weight").is_none());

    // Gather through the GGUF view equals the reference on the raw bytes.
    let tokens = [9u32, 0, 3];
    let mut got = vec![0.0f32; 3 * 64];
    gather_view(&table, &tokens, &Epilogue::new().scale(8.0), &mut got, 64).unwrap();
    let mut want = vec![0.0f32; 3 * 64];
    inlayer::reference::formats::gather(
        Format::Q8_0,
        &tok,
        64,
        &[],
        &tokens,
        0..64,
        Some(8.0),
        None,
        None,
        &mut want,
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let mut row = [0.0f32; 64];
    p.decode_into(3, 0, &mut row);
    assert!(row.iter().all(|&x| x == 0.5));
    assert_eq!(pos.len(), 4 * 64 * 2);
}

#[test]
fn every_supported_type_maps_to_its_format() {
    for (ty, format) in [
        (0u32, Format::F32),
        (1, Format::F16),
        (2, Format::Q4_0Split),
        (3, Format::Q4_1Split),
        (6, Format::Q5_0Split),
        (7, Format::Q5_1Split),
        (8, Format::Q8_0),
        (10, Format::Q2KSplit),
        (11, Format::Q3KSplit),
        (12, Format::Q4KSplit),
        (13, Format::Q5KSplit),
        (14, Format::Q6KSplit),
        (20, Format::Iq4NlSplit),
        (21, Format::Iq3S),
        (23, Format::Iq4XsSplit),
        (30, Format::Bf16),
    ] {
        let dim = 256;
        let bytes = vec![0u8; 2 * format.row_bytes(dim).unwrap()];
        let f = Writer::new()
            .tensor("t", &[dim as u64, 2], ty, &bytes)
            .finish();
        let g = Gguf::parse(&f).unwrap();
        let t = g.tensor("t").unwrap().table().unwrap();
        assert_eq!((t.format(), t.rows(), t.dim()), (format, 2, dim));
    }
}

#[test]
fn bad_files_are_clear_errors() {
    let (f, _, _) = model();
    assert!(matches!(Gguf::parse(b"GGUF"), Err(Error::Malformed { .. })));
    assert_eq!(
        Gguf::parse(b"GGML\x03\0\0\0").unwrap_err(),
        Error::Malformed {
            what: "magic",
            offset: 0
        }
    );
    let mut v1 = f.clone();
    v1[4] = 1;
    assert_eq!(
        Gguf::parse(&v1).unwrap_err(),
        Error::Unsupported {
            what: "GGUF version",
            value: 1
        }
    );
    // Every truncation of the header is an error; truncating the data is an
    // error only when the tensor view is asked for.
    let g = Gguf::parse(&f).unwrap();
    let header_end = (0..=f.len())
        .find(|&n| Gguf::parse(&f[..n]).is_ok())
        .unwrap();
    assert!(header_end > 300, "{header_end}");
    assert!((header_end..=f.len()).all(|n| Gguf::parse(&f[..n]).is_ok()));
    let short = &f[..f.len() - 1];
    let g2 = Gguf::parse(short).unwrap();
    assert!(matches!(
        g2.tensor("position_embd.weight").unwrap().table(),
        Err(Error::Malformed {
            what: "tensor data",
            ..
        })
    ));
    assert!(g.tensor("token_embd.weight").unwrap().table().is_ok());
    // Unsupported tensor type, bad row width.
    let f = Writer::new()
        .tensor("t", &[256, 1], 16, &[0u8; 66]) // IQ2_XXS
        .finish();
    assert_eq!(
        Gguf::parse(&f)
            .unwrap()
            .tensor("t")
            .unwrap()
            .table()
            .unwrap_err(),
        Error::Unsupported {
            what: "ggml tensor type",
            value: 16
        }
    );
    let f = Writer::new().tensor("t", &[48, 1], 8, &[0u8; 68]).finish();
    assert_eq!(
        Gguf::parse(&f)
            .unwrap()
            .tensor("t")
            .unwrap()
            .table()
            .unwrap_err(),
        Error::InvalidShape {
            what: "dim",
            value: 48
        }
    );
    // A huge array length, too many dims, deep nesting.
    let mut arr = Vec::new();
    arr.extend(4u32.to_le_bytes());
    arr.extend(u64::MAX.to_le_bytes());
    let f = Writer::new().kv("a", 9, &arr).finish();
    assert!(matches!(Gguf::parse(&f), Err(Error::Malformed { .. })));
    let f = Writer::new()
        .tensor("t", &[1, 1, 1, 1, 1], 0, &[0u8; 4])
        .finish();
    assert!(matches!(
        Gguf::parse(&f),
        Err(Error::Malformed {
            what: "tensor dims",
            ..
        })
    ));
    let mut nested = Vec::new();
    for _ in 0..10 {
        nested.extend(9u32.to_le_bytes());
        nested.extend(1u64.to_le_bytes());
    }
    nested.extend(0u32.to_le_bytes());
    nested.extend(0u64.to_le_bytes());
    let f = Writer::new().kv("n", 9, &nested[12..]).finish();
    assert!(matches!(Gguf::parse(&f), Err(Error::Unsupported { .. })));
    let f = Writer::new()
        .kv("general.alignment", 4, &3u32.to_le_bytes())
        .finish();
    assert!(matches!(
        Gguf::parse(&f),
        Err(Error::Malformed {
            what: "general.alignment",
            ..
        })
    ));
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() * 4))]

    /// Corrupting any bytes of a valid file never panics; whatever parses
    /// yields views that decode without panicking.
    #[test]
    fn corrupted_files_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let (mut f, _, _) = model();
        for (i, b) in edits {
            let n = f.len();
            f[i % n] = b;
        }
        f.truncate(cut % (f.len() + 1));
        if let Ok(g) = Gguf::parse(&f) {
            let _ = (g.architecture(), g.embedding_length(), g.context_length(), g.rope_freq_base());
            for t in g.tensors() {
                if let Ok(table) = t.table() {
                    let mut row = vec![0.0f32; table.dim().min(1 << 16)];
                    if table.rows() > 0 && row.len() == table.dim() {
                        table.decode_into(table.rows() - 1, 0, &mut row);
                    }
                }
            }
        }
    }
}
