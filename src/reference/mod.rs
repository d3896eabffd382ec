//! Oracles: the plainest possible implementation of every kernel, written for
//! obviousness and never for speed.
//!
//! The fast kernels are tested against these bit for bit (or within the
//! bound stated in the accuracy table where transcendentals are involved).
//! They are public so that users' own harnesses can compare against them too.
//! Nothing here calls a fast kernel: an oracle that calls the code it checks
//! proves nothing.

// Oracles index arrays the way the definitions are written.
#![allow(clippy::needless_range_loop)]

pub mod formats;
pub mod gather;
pub mod input;
pub mod math;
pub mod relative;
pub mod rope;
pub mod sinusoidal;
