//! A zero-copy, allocation-free GGUF reader: walks the header, metadata and
//! tensor infos of a GGUF file held in memory (memory-mapped, in flash,
//! `include_bytes!`), finds tensors by name and returns their
//! [`formats`](crate::formats) table views.
//!
//! Layout (`ggml/docs/gguf.md`, versions 2 and 3; all little-endian):
//! `"GGUF"` · `u32 version` · `u64 n_tensors` · `u64 n_kv` · `n_kv` ×
//! (`string key` · `u32 type` · value) · `n_tensors` × (`string name` ·
//! `u32 n_dims` · `u64 ne[n_dims]` · `u32 ggml_type` · `u64 offset`) ·
//! padding to `general.alignment` (default 32) · tensor data. A string is a
//! `u64` length and that many bytes. `ne[0]` is the row width; a token table
//! `token_embd.weight` has `ne = [n_embd, n_vocab]`.
//!
//! [`Gguf::parse`] validates the whole header once (every length, every
//! nesting, UTF-8 keys and names, tensor count and dimensions); later
//! lookups walk the already validated bytes again, so nothing is stored and
//! nothing is allocated. Hostile bytes give an [`Error`], never a panic or an
//! out-of-bounds read (fuzzed: `fuzz/fuzz_targets/gguf.rs`).

mod reader;

use crate::Error;
use crate::formats::{
    AnyTable, Bf16Table, F16Table, F32Table, Format, Iq3STable, Iq4NlTable, Iq4XsTable, Q2KTable,
    Q3KTable, Q4_0Table, Q4_1Table, Q4KTable, Q5_0Table, Q5_1Table, Q5KTable, Q6KTable, Q8_0Table,
};
use reader::Cursor;

/// Most dimensions a tensor may have (`GGML_MAX_DIMS`).
pub const MAX_DIMS: usize = 4;

/// A parsed GGUF file: borrowed bytes and the offsets of its sections.
///
/// ```
/// # fn file() -> Vec<u8> {
/// #     let mut f = b"GGUF".to_vec();
/// #     f.extend(3u32.to_le_bytes()); f.extend(1u64.to_le_bytes()); f.extend(1u64.to_le_bytes());
/// #     let s = |f: &mut Vec<u8>, x: &str| { f.extend((x.len() as u64).to_le_bytes()); f.extend(x.as_bytes()); };
/// #     s(&mut f, "general.architecture"); f.extend(8u32.to_le_bytes()); s(&mut f, "llama");
/// #     s(&mut f, "token_embd.weight"); f.extend(2u32.to_le_bytes());
/// #     f.extend(32u64.to_le_bytes()); f.extend(3u64.to_le_bytes()); // ne = [32, 3]
/// #     f.extend(8u32.to_le_bytes()); f.extend(0u64.to_le_bytes()); // Q8_0 at offset 0
/// #     while f.len() % 32 != 0 { f.push(0); }
/// #     f.extend([0u8; 3 * 34]);
/// #     f
/// # }
/// use inlayer::formats::Table;
/// use inlayer::gguf::Gguf;
/// let bytes = file(); // a GGUF file with a 3 x 32 Q8_0 token table
/// let gguf = Gguf::parse(&bytes)?;
/// assert_eq!(gguf.architecture(), Some("llama"));
/// let info = gguf.tensor("token_embd.weight").expect("present");
/// let table = info.table()?;
/// assert_eq!((table.rows(), table.dim()), (3, 32));
/// assert!(gguf.tensor("output.weight").is_none());
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Gguf<'a> {
    bytes: &'a [u8],
    version: u32,
    n_kv: u64,
    n_tensors: u64,
    kv_start: usize,
    tensors_start: usize,
    data_start: usize,
    alignment: usize,
}

/// A metadata value, borrowed from the file.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// `u8`.
    U8(u8),
    /// `i8`.
    I8(i8),
    /// `u16`.
    U16(u16),
    /// `i16`.
    I16(i16),
    /// `u32`.
    U32(u32),
    /// `i32`.
    I32(i32),
    /// `f32`.
    F32(f32),
    /// `bool`.
    Bool(bool),
    /// A string's bytes (UTF-8 by the spec; see [`Value::as_str`]).
    Str(&'a [u8]),
    /// An array: its element type id, its length, and its raw bytes (not
    /// decoded).
    Array {
        /// GGUF type id of the elements.
        elem_type: u32,
        /// Number of elements.
        len: u64,
        /// The elements' bytes as stored.
        bytes: &'a [u8],
    },
    /// `u64`.
    U64(u64),
    /// `i64`.
    I64(i64),
    /// `f64`.
    F64(f64),
}

impl<'a> Value<'a> {
    /// The value as an unsigned integer, if it is a non-negative integer.
    ///
    /// ```
    /// use inlayer::gguf::Value;
    /// assert_eq!(Value::U32(4096).as_u64(), Some(4096));
    /// assert_eq!(Value::I32(-1).as_u64(), None);
    /// ```
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(x) => Some(x.into()),
            Value::U16(x) => Some(x.into()),
            Value::U32(x) => Some(x.into()),
            Value::U64(x) => Some(x),
            Value::I8(x) => u64::try_from(x).ok(),
            Value::I16(x) => u64::try_from(x).ok(),
            Value::I32(x) => u64::try_from(x).ok(),
            Value::I64(x) => u64::try_from(x).ok(),
            _ => None,
        }
    }

    /// The value as `f32`, if it is an `f32` (or an `f64`, rounded).
    ///
    /// ```
    /// assert_eq!(inlayer::gguf::Value::F32(1e4).as_f32(), Some(1e4));
    /// ```
    #[must_use]
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            Value::F32(x) => Some(x),
            Value::F64(x) => Some(x as f32),
            _ => None,
        }
    }

    /// The value as a string, if it is a valid UTF-8 string.
    ///
    /// ```
    /// assert_eq!(inlayer::gguf::Value::Str(b"llama").as_str(), Some("llama"));
    /// ```
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::Str(s) => core::str::from_utf8(s).ok(),
            _ => None,
        }
    }
}

/// One tensor's header: name, shape, type, and its (bounds-checked) data.
#[derive(Clone, Copy, Debug)]
pub struct TensorInfo<'a> {
    name: &'a str,
    n_dims: usize,
    ne: [u64; MAX_DIMS],
    ggml_type: u32,
    offset: u64,
    data: &'a [u8],
}

impl<'a> TensorInfo<'a> {
    /// The tensor's name.
    #[must_use]
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The dimensions `ne[0..n_dims]`, innermost (row width) first.
    #[must_use]
    pub fn dims(&self) -> &[u64] {
        &self.ne[..self.n_dims]
    }

    /// The ggml type id (`0` f32, `1` f16, `2` Q4_0, `3` Q4_1, `6` Q5_0,
    /// `7` Q5_1, `8` Q8_0, `10` Q2_K, `11` Q3_K, `12` Q4_K, `13` Q5_K,
    /// `14` Q6_K, `20` IQ4_NL, `21` IQ3_S, `23` IQ4_XS, `30` bf16, ...).
    #[must_use]
    pub const fn ggml_type(&self) -> u32 {
        self.ggml_type
    }

    /// The offset of the tensor's data from the start of the data section.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The table format of the tensor's type, if this crate reads it.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for another ggml type.
    pub const fn format(&self) -> Result<Format, Error> {
        Ok(match self.ggml_type {
            0 => Format::F32,
            1 => Format::F16,
            2 => Format::Q4_0Split,
            3 => Format::Q4_1Split,
            6 => Format::Q5_0Split,
            7 => Format::Q5_1Split,
            8 => Format::Q8_0,
            10 => Format::Q2KSplit,
            11 => Format::Q3KSplit,
            12 => Format::Q4KSplit,
            13 => Format::Q5KSplit,
            14 => Format::Q6KSplit,
            20 => Format::Iq4NlSplit,
            21 => Format::Iq3S,
            23 => Format::Iq4XsSplit,
            30 => Format::Bf16,
            t => {
                return Err(Error::Unsupported {
                    what: "ggml tensor type",
                    value: t as u64,
                });
            }
        })
    }

    /// The tensor as a `[rows][ne[0]]` table view over the file's bytes
    /// (rows = the product of the outer dimensions), without copying.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a type this crate does not decode,
    /// [`Error::InvalidShape`] if `ne[0]` is not a whole number of blocks,
    /// [`Error::Overflow`] if the size overflows, [`Error::Malformed`] if the
    /// data runs past the end of the file.
    pub fn table(&self) -> Result<AnyTable<'a>, Error> {
        let format = self.format()?;
        let dim = usize::try_from(self.ne[0]).map_err(|_| Error::Overflow)?;
        let row = format.row_bytes(dim)?;
        let rows = self.ne[1..self.n_dims.max(1)]
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(usize::try_from(n).ok()?))
            .ok_or(Error::Overflow)?;
        let size = rows.checked_mul(row).ok_or(Error::Overflow)?;
        let at = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let bytes = self.data.get(..size).ok_or(Error::Malformed {
            what: "tensor data",
            offset: at,
        })?;
        Ok(match format {
            Format::F32 => AnyTable::F32(F32Table::from_bytes(bytes, dim)?),
            Format::F16 => AnyTable::F16(F16Table::from_bytes(bytes, dim)?),
            Format::Bf16 => AnyTable::Bf16(Bf16Table::from_bytes(bytes, dim)?),
            Format::Q8_0 => AnyTable::Q8_0(Q8_0Table::from_bytes(bytes, dim)?),
            Format::Q4_0Split => AnyTable::Q4_0(Q4_0Table::from_bytes(bytes, dim)?),
            Format::Q4_1Split => AnyTable::Q4_1(Q4_1Table::from_bytes(bytes, dim)?),
            Format::Q5_0Split => AnyTable::Q5_0(Q5_0Table::from_bytes(bytes, dim)?),
            Format::Q5_1Split => AnyTable::Q5_1(Q5_1Table::from_bytes(bytes, dim)?),
            Format::Q2KSplit => AnyTable::Q2K(Q2KTable::from_bytes(bytes, dim)?),
            Format::Q3KSplit => AnyTable::Q3K(Q3KTable::from_bytes(bytes, dim)?),
            Format::Q4KSplit => AnyTable::Q4K(Q4KTable::from_bytes(bytes, dim)?),
            Format::Q5KSplit => AnyTable::Q5K(Q5KTable::from_bytes(bytes, dim)?),
            Format::Iq4NlSplit => AnyTable::Iq4Nl(Iq4NlTable::from_bytes(bytes, dim)?),
            Format::Iq4XsSplit => AnyTable::Iq4Xs(Iq4XsTable::from_bytes(bytes, dim)?),
            Format::Iq3S => AnyTable::Iq3S(Iq3STable::from_bytes(bytes, dim)?),
            _ => AnyTable::Q6K(Q6KTable::from_bytes(bytes, dim)?),
        })
    }
}

#[cold]
fn malformed(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

impl<'a> Gguf<'a> {
    /// Parses and validates the header of a GGUF file (versions 2 and 3).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a bad magic, a truncated file, a length or
    /// count that does not fit the file, a non-UTF-8 key or tensor name, a
    /// bad alignment or a tensor with zero or more than [`MAX_DIMS`]
    /// dimensions; [`Error::Unsupported`] for another version, an unknown
    /// metadata type or arrays nested too deep.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cursor { bytes, pos: 0 };
        if c.take(4, "magic")? != b"GGUF" {
            return Err(malformed("magic", 0));
        }
        let version = c.u32("version")?;
        if !(2..=3).contains(&version) {
            return Err(Error::Unsupported {
                what: "GGUF version",
                value: u64::from(version),
            });
        }
        let n_tensors = c.u64("tensor count")?;
        let n_kv = c.u64("metadata count")?;
        let kv_start = c.pos;
        let mut alignment = 32usize;
        for _ in 0..n_kv {
            let key = c.str("metadata key")?;
            let at = c.pos;
            let ty = c.u32("metadata type")?;
            let v = c.value(ty, 0)?;
            if key == "general.alignment" {
                alignment = match v {
                    Value::U32(a) if a != 0 && a.is_power_of_two() => a as usize,
                    _ => return Err(malformed("general.alignment", at)),
                };
            }
        }
        let tensors_start = c.pos;
        for _ in 0..n_tensors {
            tensor_info(&mut c)?;
        }
        let end = c.pos;
        let data_start = end
            .checked_next_multiple_of(alignment)
            .ok_or(malformed("data section", end))?;
        Ok(Self {
            bytes,
            version,
            n_kv,
            n_tensors,
            kv_start,
            tensors_start,
            data_start,
            alignment,
        })
    }

    /// The GGUF version (2 or 3).
    #[must_use]
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// Number of tensors.
    #[must_use]
    pub const fn tensor_count(&self) -> u64 {
        self.n_tensors
    }

    /// The data alignment (`general.alignment`, default 32).
    #[must_use]
    pub const fn alignment(&self) -> usize {
        self.alignment
    }

    /// The metadata key/value pairs, in file order.
    ///
    /// ```
    /// # let bytes = [b"GGUF".as_slice(), &3u32.to_le_bytes(), &0u64.to_le_bytes(), &0u64.to_le_bytes()].concat();
    /// let gguf = inlayer::gguf::Gguf::parse(&bytes)?;
    /// assert_eq!(gguf.metadata().count(), 0);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    pub fn metadata(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        let mut c = Cursor {
            bytes: self.bytes,
            pos: self.kv_start,
        };
        (0..self.n_kv).map_while(move |_| {
            let key = c.str("metadata key").ok()?;
            let ty = c.u32("metadata type").ok()?;
            Some((key, c.value(ty, 0).ok()?))
        })
    }

    /// The value of metadata key `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.metadata().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The value of `{architecture}.{suffix}`, e.g. `llama.context_length`.
    fn get_arch(&self, suffix: &str) -> Option<Value<'a>> {
        let arch = self.architecture()?;
        self.metadata()
            .find(|(k, _)| {
                k.strip_prefix(arch)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| r == suffix)
            })
            .map(|(_, v)| v)
    }

    /// `general.architecture` (e.g. `"llama"`, `"gemma3"`, `"gpt2"`).
    #[must_use]
    pub fn architecture(&self) -> Option<&'a str> {
        self.get("general.architecture")?.as_str()
    }

    /// `{arch}.embedding_length` (`d_model`).
    #[must_use]
    pub fn embedding_length(&self) -> Option<u64> {
        self.get_arch("embedding_length")?.as_u64()
    }

    /// `{arch}.context_length`.
    #[must_use]
    pub fn context_length(&self) -> Option<u64> {
        self.get_arch("context_length")?.as_u64()
    }

    /// `{arch}.rope.freq_base` (RoPE θ base, e.g. `10000.0`).
    #[must_use]
    pub fn rope_freq_base(&self) -> Option<f32> {
        self.get_arch("rope.freq_base")?.as_f32()
    }

    /// The tensor infos, in file order.
    pub fn tensors(&self) -> impl Iterator<Item = TensorInfo<'a>> + 'a {
        let mut c = Cursor {
            bytes: self.bytes,
            pos: self.tensors_start,
        };
        let data = self.bytes.get(self.data_start..).unwrap_or(&[]);
        (0..self.n_tensors).map_while(move |_| {
            let (name, n_dims, ne, ggml_type, offset) = tensor_info(&mut c).ok()?;
            let tail = usize::try_from(offset)
                .ok()
                .and_then(|o| data.get(o..))
                .unwrap_or(&[]);
            Some(TensorInfo {
                name,
                n_dims,
                ne,
                ggml_type,
                offset,
                data: tail,
            })
        })
    }

    /// The tensor named `name` (e.g. `"token_embd.weight"`,
    /// `"position_embd.weight"`), if present.
    #[must_use]
    pub fn tensor(&self, name: &str) -> Option<TensorInfo<'a>> {
        self.tensors().find(|t| t.name == name)
    }
}

type RawInfo<'a> = (&'a str, usize, [u64; MAX_DIMS], u32, u64);

/// Reads one tensor info.
fn tensor_info<'a>(c: &mut Cursor<'a>) -> Result<RawInfo<'a>, Error> {
    let name = c.str("tensor name")?;
    let at = c.pos;
    let n_dims = c.u32("tensor dims")? as usize;
    if n_dims == 0 || n_dims > MAX_DIMS {
        return Err(malformed("tensor dims", at));
    }
    let mut ne = [1u64; MAX_DIMS];
    for n in &mut ne[..n_dims] {
        *n = c.u64("tensor shape")?;
    }
    let ggml_type = c.u32("tensor type")?;
    let offset = c.u64("tensor offset")?;
    Ok((name, n_dims, ne, ggml_type, offset))
}
