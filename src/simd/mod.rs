//! The tiny vector abstraction every kernel is written over.
//!
//! One type, [`F32x8`] (eight `f32` lanes), with the handful of operations the
//! kernels need, and the integer lanes the table decoders build it from
//! (`I32x8`, and `U8x16` / `U16x8`, whose every operation is one SSE2/NEON
//! instruction on the whole vector: byte and 16-bit work stays in those and
//! widens to 32-bit lanes only at the end). It has two interchangeable backends, chosen at compile time:
//!
//! - `lanes_wide.rs` (default): `wide::f32x8`, which compiles to AVX-512/AVX2,
//!   SSE2, NEON or simd128 according to the target features of the build, and
//!   to plain arrays elsewhere;
//! - `lanes_scalar.rs`: plain `[f32; 8]` loops, selected with
//!   `RUSTFLAGS="--cfg inlayer_force_scalar"` so that the whole test suite can
//!   run on the portable path.
//!
//! Only IEEE-754 basic operations (add, sub, mul) are used where results are
//! promised bit-identical to the [`reference`](crate::reference): no fused
//! multiply-add, whose availability differs between targets.

#[cfg(inlayer_force_scalar)]
mod lanes_scalar;
#[cfg(not(inlayer_force_scalar))]
mod lanes_wide;

#[cfg(inlayer_force_scalar)]
pub(crate) use lanes_scalar::{F32x8, I32x8, U8x16, U16x8};
#[cfg(not(inlayer_force_scalar))]
pub(crate) use lanes_wide::{F32x8, I32x8, U8x16, U16x8};

#[cfg(all(
    not(inlayer_force_scalar),
    target_arch = "x86_64",
    target_feature = "avx512f"
))]
mod lanes16;
#[cfg(all(
    not(inlayer_force_scalar),
    target_arch = "x86_64",
    target_feature = "avx512f"
))]
pub(crate) use lanes16::{F32x16, I32x16};

/// Number of `f32` lanes in the vector type the kernels are written over.
pub const LANES: usize = 8;

/// Whether the lanes are real SIMD registers (SSE2, NEON, simd128): then
/// kernels may keep two independent vectors in flight for latency; on the
/// portable-array fallback (e.g. Cortex-M, RISC-V) that only doubles the
/// code.
pub(crate) const SIMD_REGISTERS: bool = !cfg!(inlayer_force_scalar)
    && cfg!(any(
        all(
            any(target_arch = "x86", target_arch = "x86_64"),
            target_feature = "sse2"
        ),
        all(target_arch = "aarch64", target_feature = "neon"),
        all(target_arch = "wasm32", target_feature = "simd128")
    ));

/// The SIMD backend this build of `inlayer` runs, as chosen at compile time.
///
/// `wide` picks its implementation from the target features enabled for the
/// build (`-C target-cpu=...` or `-C target-feature=...`), not at run time: a
/// default `x86_64` build gets SSE2.
///
/// ```
/// println!("inlayer runs on {}", inlayer::BACKEND);
/// assert!(!inlayer::BACKEND.is_empty());
/// ```
pub const BACKEND: &str = backend_name();

const fn backend_name() -> &'static str {
    if cfg!(inlayer_force_scalar) {
        "scalar (forced by --cfg inlayer_force_scalar)"
    } else if cfg!(all(target_arch = "x86_64", target_feature = "avx512f")) {
        "wide: AVX-512F (x86_64)"
    } else if cfg!(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx2"
    )) {
        "wide: AVX2 (x86)"
    } else if cfg!(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse2"
    )) {
        "wide: SSE2 (x86)"
    } else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
        "wide: NEON (aarch64)"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        "wide: simd128 (wasm32)"
    } else {
        "wide: portable arrays (no SIMD target feature)"
    }
}
