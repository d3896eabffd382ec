//! Runs on the host before the firmware is compiled:
//! - puts `memory.x` on the linker's search path for cortex-m-rt's `link.x`;
//! - computes the sinusoidal frequencies of `SinusoidalConfig::transformer()`
//!   at width `D` with `inlayer` itself (f64 `pow`, exact fixed-point turns)
//!   and writes them as a Rust array to `OUT_DIR/turns.rs`, which
//!   `src/layer.rs` includes: the firmware builds its plan with
//!   `Sinusoidal::from_turns` and links no f64 frequency code;
//! - computes the RoPE frequencies ω_j of `RopeConfig::new(D, 10000)` (f64
//!   `powf` on the host) into `OUT_DIR/rope_inv_freqs.rs`, which the device
//!   turns into a `Rope` with `Rope::from_inv_freqs` (integer-only);
//! - encodes the token table `wte.bin` into the quantized formats with
//!   inlayer's own encoders (`OUT_DIR/wte_bf16.bin`, `wte_q8_0.bin`,
//!   `wte_q4_0.bin`, `wte_i8.bin` + `wte_i8_scales.rs`), which the firmware
//!   embeds with `include_bytes!` and gathers from with `gather_view`.
use inlayer::formats::{encode_bf16, encode_i8_per_row, encode_q4_0, encode_q8_0};
use inlayer::rope::RopeConfig;
use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use std::{env, fs, path::PathBuf};

/// Must equal `layer::D` (the firmware checks the table's length at run time:
/// `from_turns` rejects a table of another width).
const D: usize = 16;
/// Must equal `layer::QD`: the width of the block-quantized view of `wte`.
const QD: usize = 32;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is readable");
    println!("cargo:rustc-link-search={}", out.display());

    let cfg = SinusoidalConfig::transformer();
    let mut storage = vec![0u64; Sinusoidal::turns_len(&cfg, D)];
    let pe = Sinusoidal::try_new(cfg, D, &mut storage).expect("a valid configuration");
    let turns: Vec<String> = pe.turns().iter().map(|t| format!("{t:#018x}")).collect();
    fs::write(out.join("turns.rs"), format!("[{}]\n", turns.join(", ")))
        .expect("OUT_DIR is writable");

    // RoPE: the LLaMA default at head width D, as f64 bit patterns.
    let mut omega = [0.0f64; D / 2];
    RopeConfig::new(D, 10_000.0)
        .inv_freqs(1, &mut omega)
        .expect("a valid RoPE configuration");
    let omega: Vec<String> = omega
        .iter()
        .map(|w| format!("f64::from_bits({:#018x})", w.to_bits()))
        .collect();
    fs::write(
        out.join("rope_inv_freqs.rs"),
        format!("[{}]\n", omega.join(", ")),
    )
    .expect("OUT_DIR is writable");

    // The quantized token tables, from the f32 values of wte.bin.
    let wte: Vec<f32> = fs::read("wte.bin")
        .expect("wte.bin is readable")
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let write = |name: &str, bytes: &[u8]| {
        fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
    };
    let mut bf16 = vec![0u8; 2 * wte.len()];
    encode_bf16(&wte, &mut bf16).expect("bf16 encoding");
    write("wte_bf16.bin", &bf16);
    let blocks = wte.len() / QD;
    let mut q8 = vec![0u8; 34 * blocks];
    encode_q8_0(&wte, &mut q8).expect("Q8_0 encoding");
    write("wte_q8_0.bin", &q8);
    let mut q4 = vec![0u8; 18 * blocks];
    encode_q4_0(&wte, &mut q4).expect("Q4_0 encoding");
    write("wte_q4_0.bin", &q4);
    let (mut q, mut scales) = (vec![0u8; wte.len()], vec![0.0f32; wte.len() / D]);
    encode_i8_per_row(&wte, D, &mut q, &mut scales).expect("int8 encoding");
    write("wte_i8.bin", &q);
    let scales: Vec<String> = scales
        .iter()
        .map(|s| format!("f32::from_bits({:#010x})", s.to_bits()))
        .collect();
    fs::write(
        out.join("wte_i8_scales.rs"),
        format!("[{}]\n", scales.join(", ")),
    )
    .expect("OUT_DIR is writable");

    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=wte.bin");
    println!("cargo:rerun-if-changed=build.rs");
}
