//! [`F32x8`] on `wide::f32x8`: SIMD on every target `wide` supports.

use core::ops::{Add, Mul, Sub};

/// Eight `f32` lanes.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct F32x8(wide::f32x8);

impl F32x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: f32) -> Self {
        Self(wide::f32x8::splat(x))
    }

    /// Loads eight values from any (unaligned) place.
    #[inline(always)]
    pub(crate) fn load(a: &[f32; 8]) -> Self {
        Self(wide::f32x8::new(*a))
    }

    /// Stores the eight lanes to any (unaligned) place.
    #[inline(always)]
    pub(crate) fn store(self, a: &mut [f32; 8]) {
        *a = self.0.to_array();
    }
}

impl Add for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0)
    }
}

impl Sub for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(self.0 - o.0)
    }
}

/// Pair shuffles for the interleaved RoPE kernel (LLVM lowers the array
/// permutations to one `unpck`/`shufps`/`vpermilps` per register).
impl F32x8 {
    /// `[a0, a0, a1, a1, a2, a2, a3, a3]`.
    #[inline(always)]
    pub(crate) fn load_dup_pairs(a: &[f32; 4]) -> Self {
        Self(wide::f32x8::new([a[0], a[0], a[1], a[1], a[2], a[2], a[3], a[3]]))
    }

    /// Swaps the lanes of each adjacent pair: `[x1, x0, x3, x2, ...]`.
    #[inline(always)]
    pub(crate) fn swap_pairs(self) -> Self {
        let x = self.0.to_array();
        Self(wide::f32x8::new([x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6]]))
    }
}

impl Mul for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self(self.0 * o.0)
    }
}
