//! [`F32x16`] and [`I32x16`] on `wide::f32x16` / `wide::i32x16`, only on
//! AVX-512 builds: one 64-byte register a vector, so a kernel bound by the
//! number of instructions in flight (not by the execution units, which
//! Zen 4 shares between the two halves of a 64-byte operation) issues half
//! as many. Used by the single-row `sin`/`cos` polynomial
//! (`crate::math::sincos_octets`); every other kernel stays on [`F32x8`].

use super::F32x8;
use core::ops::{Add, BitAnd, BitXor, Mul, Shl, Shr, Sub};

/// Sixteen `f32` lanes.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct F32x16(wide::f32x16);

/// Sixteen `i32` lanes.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct I32x16(wide::i32x16);

impl F32x16 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: f32) -> Self {
        Self(wide::f32x16::splat(x))
    }

    /// Converts each lane exactly-rounded from `i32` (`vcvtdq2ps`).
    #[inline(always)]
    pub(crate) fn from_i32(v: I32x16) -> Self {
        Self(wide::f32x16::from_i32x16(v.0))
    }

    /// Reinterprets each lane as `i32` bits.
    #[inline(always)]
    pub(crate) fn to_bits(self) -> I32x16 {
        I32x16(bytemuck::cast(self.0))
    }

    /// Bitwise XOR of each lane's bits with the bits of `m`.
    #[inline(always)]
    pub(crate) fn xor_bits(self, m: I32x16) -> Self {
        let m: wide::f32x16 = bytemuck::cast(m.0);
        Self(self.0 ^ m)
    }

    /// Lanes 0–7 and 8–15.
    #[inline(always)]
    pub(crate) fn halves(self) -> [F32x8; 2] {
        let [a, b]: [[f32; 8]; 2] = bytemuck::cast(self.0.to_array());
        [F32x8::load(&a), F32x8::load(&b)]
    }
}

impl I32x16 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: i32) -> Self {
        Self(wide::i32x16::splat(x))
    }

    /// The sixteen values of `a`.
    #[inline(always)]
    pub(crate) fn new(a: [i32; 16]) -> Self {
        Self(wide::i32x16::new(a))
    }
}

impl Add for F32x16 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0)
    }
}

impl Sub for F32x16 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(self.0 - o.0)
    }
}

impl Mul for F32x16 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self(self.0 * o.0)
    }
}

impl Sub for I32x16 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(self.0 - o.0)
    }
}

impl BitAnd for I32x16 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
}

impl BitXor for I32x16 {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, o: Self) -> Self {
        Self(self.0 ^ o.0)
    }
}

/// Arithmetic (sign-filling) right shift of every lane; `n < 32`.
impl Shr<u32> for I32x16 {
    type Output = Self;
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0 >> n)
    }
}

/// Left shift of every lane; `n < 32`.
impl Shl<u32> for I32x16 {
    type Output = Self;
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0 << n)
    }
}
