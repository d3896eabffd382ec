//! Relative position schemes: ALiBi slopes and biases (BLOOM, MPT) and T5
//! relative-position buckets.
//!
//! | what | entry point |
//! |---|---|
//! | ALiBi slopes, exact | [`alibi_slopes`] |
//! | ALiBi slopes, ggml / BLOOM f32 `powf` chain | [`alibi_slopes_ggml`] |
//! | ALiBi bias `[H][q][k]` | [`alibi_bias`] with an [`AlibiOffset`] |
//! | T5 bucket of one relative position | [`T5Buckets::bucket`] |
//! | T5 bucket matrix / bias from the bias table | [`T5Buckets::fill_buckets`], [`T5Buckets::fill_bias`] |
//!
//! Oracles: [`reference::relative`](crate::reference::relative).

mod alibi;
mod t5;

pub use alibi::{AlibiOffset, alibi_bias, alibi_slopes, alibi_slopes_ggml};
pub use t5::{MAX_BUCKETS, T5Buckets};
