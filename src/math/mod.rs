//! Exact phase arithmetic and the sine/cosine of a fraction of a turn.
//!
//! Positional encodings (sinusoidal, rotary) need `sin(p·ω)` and `cos(p·ω)`
//! for positions `p` up to `2^32` and more. Forming `p·ω` in floating point
//! loses the angle long before that (f32 at p = 10^6 is off by ~0.06 rad;
//! even f64 rounds `p·ω` by ~2^-22 rad at p ≈ 2^32). This module avoids the
//! problem altogether:
//!
//! 1. [`turns_per_pos`] turns an angular frequency ω (radians per position)
//!    into a **64-bit fixed-point number of turns per position**
//!    `F = round(ω / 2π · 2^64) mod 2^64`, computed exactly (an integer
//!    product with 1152 bits of 1/2π, see `turns.rs`);
//! 2. the phase of position `p` is then `p.wrapping_mul(F)` (exact modulo one
//!    turn), or `phase + F` when stepping to the next position;
//! 3. [`sincos_octets`] / [`sincos_turns`] evaluate sin and cos of
//!    `2π·phase/2^64` with an exact reduction to the nearest 32nd of a turn
//!    on the integer phase, two short polynomials of the remainder and an
//!    angle addition from a 32-entry table, on [`F32x8`](crate::simd::F32x8) lanes (no fused
//!    multiply-add, so results are bit-identical on every target and
//!    backend, and the scalar twin equals one lane of the vector version).
//!
//! Error bound (absolute, against the exact value): see [`SINCOS_TURNS_MAX_ABS_ERR`];
//! the phase `p·F` itself is off by at most `p · 2^-65` turns (`≤ 2^-33` turns for `p < 2^32`).

mod sincos;
mod turns;

#[allow(
    unused_imports,
    reason = "the bound is for the tests and the rope kernels"
)]
pub(crate) use sincos::SINCOS_TURNS_MAX_ABS_ERR;
#[cfg(target_arch = "x86_64")]
pub(crate) use sincos::coefficients as sincos_coefficients;
pub(crate) use sincos::{sincos_octets, sincos_turns, sincos_turns8};
pub(crate) use turns::turns_per_pos;
