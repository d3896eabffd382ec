//! Runs on the host before the firmware is compiled:
//! - puts `memory.x` on the linker's search path for cortex-m-rt's `link.x`;
//! - computes the sinusoidal frequencies of `SinusoidalConfig::transformer()`
//!   at width `D` with `inlayer` itself (f64 `pow`, exact fixed-point turns)
//!   and writes them as a Rust array to `OUT_DIR/turns.rs`, which
//!   `src/layer.rs` includes: the firmware builds its plan with
//!   `Sinusoidal::from_turns` and links no f64 frequency code.
use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig};
use std::{env, fs, path::PathBuf};

/// Must equal `layer::D` (the firmware checks the table's length at run time:
/// `from_turns` rejects a table of another width).
const D: usize = 16;

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

    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
