//! The crate's one error type.
//!
//! Every kernel validates its whole input (ids, lengths, shapes, configs)
//! before its first store, so an `Err` always leaves the output buffer exactly
//! as it was. Each variant carries the offending value and the bound it broke.

use core::fmt;

/// What went wrong, with the offending value and the bound it broke.
///
/// ```
/// use inlayer::Error;
/// let e = Error::TokenOutOfRange { index: 3, token: 70_000, vocab: 32_000 };
/// assert_eq!(
///     e.to_string(),
///     "token id 70000 at index 3 is out of range for a vocabulary of 32000 rows"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// `tokens[index] = token` is not a row of a table with `vocab` rows.
    TokenOutOfRange {
        /// Position of the bad id in the token slice.
        index: usize,
        /// The bad id.
        token: u32,
        /// Number of rows in the table.
        vocab: usize,
    },
    /// A buffer has the wrong length.
    LengthMismatch {
        /// Which buffer (a parameter name, e.g. `"out"`).
        what: &'static str,
        /// The length the call needs.
        expected: usize,
        /// The length it got.
        actual: usize,
    },
    /// A byte buffer is not a whole number of rows (or elements, or blocks).
    NotWholeRows {
        /// Length of the byte buffer.
        len: usize,
        /// Size in bytes of one row (or element, or block).
        row_bytes: usize,
    },
    /// A shape parameter is invalid (e.g. a row width of zero where one is
    /// needed, or an output stride shorter than a row).
    InvalidShape {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: usize,
    },
    /// A size computation overflowed `usize` (possible on 16/32-bit targets).
    Overflow,
    /// An encoder got a NaN or infinite input value.
    NotFinite {
        /// Position of the value in the input slice.
        index: usize,
    },
    /// A file (e.g. GGUF) is malformed or truncated.
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Byte offset in the file where it went wrong.
        offset: usize,
    },
    /// A file or configuration uses a feature this crate does not support (a
    /// GGUF version or tensor type, or an option invalid for this shape, such
    /// as an odd width with a layout whose framework rejects it).
    Unsupported {
        /// What is unsupported.
        what: &'static str,
        /// The offending value (a version, a type id, a width...).
        value: u64,
    },
    /// A numeric configuration parameter (a RoPE base or scaling factor, an
    /// ALiBi bias, a T5 bucket count, ...) is outside its valid range.
    InvalidConfig {
        /// Which parameter (its name in the config, e.g. `"base"`).
        what: &'static str,
        /// Its value (as `f64`; integers convert exactly below 2^53).
        value: f64,
        /// The rule it broke, e.g. `"finite and > 1"`.
        bound: &'static str,
    },
    /// A position is outside the range a call can handle (past the end of a
    /// cos/sin cache, or `start + T` beyond `u32::MAX`).
    PositionOutOfRange {
        /// Index of the token whose position is bad.
        index: usize,
        /// The bad position.
        position: u64,
        /// Positions must be below this.
        limit: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::TokenOutOfRange {
                index,
                token,
                vocab,
            } => write!(
                f,
                "token id {token} at index {index} is out of range for a vocabulary of {vocab} rows"
            ),
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(f, "`{what}` has length {actual}, expected {expected}"),
            Error::NotWholeRows { len, row_bytes } => write!(
                f,
                "{len} bytes is not a whole number of {row_bytes}-byte rows"
            ),
            Error::InvalidShape { what, value } => write!(f, "invalid `{what}`: {value}"),
            Error::Overflow => f.write_str("size computation overflows usize"),
            Error::NotFinite { index } => {
                write!(f, "value at index {index} is NaN or infinite")
            }
            Error::Malformed { what, offset } => {
                write!(f, "malformed or truncated file: {what} at byte {offset}")
            }
            Error::Unsupported { what, value } => write!(f, "unsupported {what}: {value}"),
            Error::InvalidConfig { what, value, bound } => {
                write!(f, "invalid `{what}` = {value}: must be {bound}")
            }
            Error::PositionOutOfRange {
                index,
                position,
                limit,
            } => write!(
                f,
                "position {position} of token {index} is out of range (must be below {limit})"
            ),
        }
    }
}

impl core::error::Error for Error {}
