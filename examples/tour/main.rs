//! The tour: `cargo run --release --example tour`.
//!
//! Builds a small deterministic model in memory (no downloads), runs the
//! input layer through the public API, checks every result against
//! `inlayer::reference`, and prints throughput next to the baselines.
//! Each part of the crate adds one module here.

mod formats;
mod gather;
mod positions;
mod rope;
mod util;

fn main() {
    println!(
        "inlayer tour — backend: {}; AVX2 table decoders: {}; sinusoidal row: {}\n",
        inlayer::BACKEND,
        inlayer::formats::avx2_decoders(),
        inlayer::sinusoidal::row_kernel()
    );
    gather::run();
    positions::run();
    rope::run();
    formats::run();
}
