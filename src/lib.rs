//! # inlayer
//!
//! The input layer of transformer language models as `#![no_std]`,
//! allocation-free kernels: token ids in, embedding vectors out.
//!
//! ## Overview: the data flow
//!
//! bytes → **table view** ([`formats`]) → **gather** and decode of the rows
//! asked for ([`gather`](mod@gather)) → **scale** and **+ row** (the gather's
//! [`Epilogue`](gather::Epilogue), in the same pass) → the caller's buffer.
//!
//! Positions: **+ sinusoidal encoding** ([`sinusoidal`], position-exact for
//! every `p < 2^32`, from the exact turn arithmetic of the crate-private
//! `math` module) or a learned table; the fused **input layer** ([`input`])
//! does gather · scale + position (+ token type) → LayerNorm in one pass.
//!
//! Every kernel has a plain oracle in [`reference`](mod@reference), and the fast kernels are
//! proven equal to it (bit for bit for data movement and IEEE arithmetic) by
//! property tests on every SIMD backend. SIMD comes from `wide` through the
//! one small vector type in `simd/`.
//!
//! ## Example
//!
//! ```
//! use inlayer::gather::{Epilogue, gather_with};
//! const D: usize = 4;
//! let wte = [[0.25f32; D]; 100]; // token table
//! let wpe = [[1.0f32; D]; 16]; // learned positions (GPT-2 style)
//! let tokens = [7, 42, 99];
//! let mut out = [[0.0f32; D]; 3];
//! let epi = Epilogue::new().scale(2.0).add(wpe[..3].as_flattened());
//! gather_with(&wte, &tokens, &epi, &mut out)?;
//! assert_eq!(out[0], [1.5; D]);
//! // A bad id is an error, and `out` is left as it was:
//! assert!(inlayer::gather(&wte, &[100], &mut out[..1]).is_err());
//! # Ok::<(), inlayer::Error>(())
//! ```
//!
//! ## Platform support
//!
//! `wide` selects its SIMD implementation at **compile time** from the
//! target features of the build ([`BACKEND`] says which one this build got):
//! a default `x86_64` build uses SSE2; `RUSTFLAGS="-C target-cpu=native"` (or
//! `-C target-cpu=x86-64-v3` / `x86-64-v4`) enables AVX2 / AVX-512; aarch64
//! gets NEON by default; `wasm32` needs `-C target-feature=+simd128`.
//! `RUSTFLAGS="--cfg inlayer_force_scalar"` forces the portable scalar
//! backend. On x86_64 the decoders of most table formats also use AVX2 and
//! F16C wherever the CPU has them, found at run time on a default build
//! ([`formats::avx2_decoders`]), with the same bits.
//!
//! ## Errors
//!
//! One small [`Error`] enum. Kernels validate everything before the first
//! store: on `Err`, the output buffer is exactly as it was.
//!
//! ## Features
//!
//! None: the crate is `no_std`, never allocates, and has no optional parts.

#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

#[cfg(test)]
extern crate std;

mod arch;
mod error;
pub mod formats;
pub mod gather;
pub mod gguf;
pub mod input;
mod math;
mod prefetch;
pub mod reference;
pub mod relative;
pub mod rope;
mod simd;
pub mod sinusoidal;

pub use error::Error;
pub use gather::{gather, gather_backward, gather_backward_dyn, gather_dyn};
pub use simd::{BACKEND, LANES};

/// The README's code blocks, compiled and run as doc tests so the README
/// stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
