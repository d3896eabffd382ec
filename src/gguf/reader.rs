//! The byte cursor and the walkers behind [`Gguf`](super::Gguf): every read
//! is a checked `get` on the file's bytes, every size computation is checked,
//! and nested arrays are walked with a depth limit, so hostile bytes give an
//! `Err`, never a panic or an out-of-bounds read. Each element read consumes
//! at least one byte, so a walk is linear in the file size.

use super::Value;
use crate::Error;

/// Deepest array-of-array nesting accepted (GGUF files in the wild use 1).
pub(super) const MAX_DEPTH: u32 = 4;

#[derive(Clone, Copy)]
pub(super) struct Cursor<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

#[cold]
fn malformed(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

impl<'a> Cursor<'a> {
    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(malformed(what, self.pos))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(malformed(what, self.pos))?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(super) fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A length that must fit the rest of the file (so also `usize`).
    pub(super) fn len(&mut self, what: &'static str) -> Result<usize, Error> {
        let at = self.pos;
        let n = self.u64(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= self.bytes.len() => Ok(n),
            _ => Err(malformed(what, at)),
        }
    }

    /// A GGUF string: `u64` length, then that many bytes.
    pub(super) fn bytes_str(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let n = self.len(what)?;
        self.take(n, what)
    }

    /// A GGUF string that must be UTF-8.
    pub(super) fn str(&mut self, what: &'static str) -> Result<&'a str, Error> {
        let at = self.pos;
        core::str::from_utf8(self.bytes_str(what)?).map_err(|_| malformed(what, at))
    }

    /// Reads a value of GGUF type `ty`.
    pub(super) fn value(&mut self, ty: u32, depth: u32) -> Result<Value<'a>, Error> {
        Ok(match ty {
            0 => Value::U8(self.array::<1>("value")?[0]),
            1 => Value::I8(self.array::<1>("value")?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array("value")?)),
            3 => Value::I16(i16::from_le_bytes(self.array("value")?)),
            4 => Value::U32(self.u32("value")?),
            5 => Value::I32(i32::from_le_bytes(self.array("value")?)),
            6 => Value::F32(f32::from_le_bytes(self.array("value")?)),
            7 => Value::Bool(self.array::<1>("value")?[0] != 0),
            8 => Value::Str(self.bytes_str("string value")?),
            9 => {
                let at = self.pos;
                if depth >= MAX_DEPTH {
                    return Err(Error::Unsupported {
                        what: "GGUF array nesting depth",
                        value: u64::from(depth + 1),
                    });
                }
                let elem = self.u32("array type")?;
                if elem > 12 {
                    return Err(Error::Unsupported {
                        what: "GGUF metadata value type",
                        value: u64::from(elem),
                    });
                }
                let count = self.u64("array length")?;
                let start = self.pos;
                match fixed_size(elem) {
                    Some(size) => {
                        let n = usize::try_from(count)
                            .ok()
                            .and_then(|c| c.checked_mul(size))
                            .ok_or(malformed("array length", at))?;
                        self.take(n, "array data")?;
                    }
                    None => {
                        for _ in 0..count {
                            self.value(elem, depth + 1)?;
                        }
                    }
                }
                Value::Array {
                    elem_type: elem,
                    len: count,
                    bytes: self.bytes.get(start..self.pos).unwrap_or(&[]),
                }
            }
            10 => Value::U64(self.u64("value")?),
            11 => Value::I64(i64::from_le_bytes(self.array("value")?)),
            12 => Value::F64(f64::from_le_bytes(self.array("value")?)),
            t => {
                return Err(Error::Unsupported {
                    what: "GGUF metadata value type",
                    value: u64::from(t),
                });
            }
        })
    }
}

/// Size in bytes of a fixed-size GGUF value type (`None` for strings and
/// arrays, and for unknown types, which [`Cursor::value`] rejects).
fn fixed_size(ty: u32) -> Option<usize> {
    match ty {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}
