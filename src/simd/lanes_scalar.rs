//! [`F32x8`] on plain `[f32; 8]` loops: the forced-scalar backend
//! (`--cfg inlayer_force_scalar`), so that every test also runs without SIMD.

use core::ops::{Add, Mul, Sub};

/// Eight `f32` lanes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct F32x8([f32; 8]);

impl F32x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: f32) -> Self {
        Self([x; 8])
    }

    /// Loads eight values.
    #[inline(always)]
    pub(crate) fn load(a: &[f32; 8]) -> Self {
        Self(*a)
    }

    /// Stores the eight lanes.
    #[inline(always)]
    pub(crate) fn store(self, a: &mut [f32; 8]) {
        *a = self.0;
    }

    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        let mut r = [0.0; 8];
        for ((r, a), b) in r.iter_mut().zip(self.0).zip(o.0) {
            *r = f(a, b);
        }
        Self(r)
    }
}

impl Add for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
}

impl Sub for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }
}

/// Pair shuffles for the interleaved RoPE kernel.
impl F32x8 {
    /// `[a0, a0, a1, a1, a2, a2, a3, a3]`.
    #[inline(always)]
    pub(crate) fn load_dup_pairs(a: &[f32; 4]) -> Self {
        Self([a[0], a[0], a[1], a[1], a[2], a[2], a[3], a[3]])
    }

    /// Swaps the lanes of each adjacent pair: `[x1, x0, x3, x2, ...]`.
    #[inline(always)]
    pub(crate) fn swap_pairs(self) -> Self {
        let x = self.0;
        Self([x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6]])
    }
}

impl Mul for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }
}
