//! Oracle for the turn-fraction sine and cosine used by the position kernels.
//!
//! Written for obviousness: the phase becomes an f64 fraction of a turn in
//! `[-1/2, 1/2)` (exact up to 2^-53 turn), then `libm::sin`/`libm::cos` of
//! `2π` times it. Error ≤ ~4e-16 absolute: far below the f32 kernels' bounds.
//! It does not call `crate::math`.

/// sin and cos of `2π · phase / 2^64`, in f64 (absolute error < 1e-15).
///
/// ```
/// let (s, c) = inlayer::reference::math::sincos_turns_exact(1 << 62); // a quarter turn
/// assert!((s - 1.0).abs() < 1e-15 && c.abs() < 1e-15);
/// ```
#[must_use]
pub fn sincos_turns_exact(phase: u64) -> (f64, f64) {
    // Signed fraction of a turn: phase as i64 / 2^64 ∈ [-1/2, 1/2).
    let turns = phase as i64 as f64 / 18_446_744_073_709_551_616.0;
    let angle = core::f64::consts::TAU * turns;
    (libm::sin(angle), libm::cos(angle))
}
