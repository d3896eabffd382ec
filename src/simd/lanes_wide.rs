//! [`F32x8`] on `wide::f32x8`: SIMD on every target `wide` supports.

use core::ops::{Add, BitAnd, BitOr, Mul, Sub};

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

    /// Converts each lane exactly-rounded from `i32` (`cvtdq2ps`).
    #[inline(always)]
    pub(crate) fn from_i32(v: I32x8) -> Self {
        Self(wide::f32x8::from_i32x8(v.0))
    }

    /// Reinterprets the bits of each lane as `f32`.
    #[inline(always)]
    pub(crate) fn from_bits(v: I32x8) -> Self {
        Self(bytemuck::cast(v.0))
    }

    /// Reinterprets each lane as `i32` bits.
    #[inline(always)]
    pub(crate) fn to_bits(self) -> I32x8 {
        I32x8(bytemuck::cast(self.0))
    }
}

/// Eight `i32` lanes, for the integer side of the table decoders.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct I32x8(wide::i32x8);

impl I32x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: i32) -> Self {
        Self(wide::i32x8::splat(x))
    }

    /// The eight values of `a`.
    #[inline(always)]
    pub(crate) fn new(a: [i32; 8]) -> Self {
        Self(wide::i32x8::new(a))
    }

    /// Eight little-endian `u16`, zero-extended.
    #[inline(always)]
    pub(crate) fn load_u16(b: &[u8; 16]) -> Self {
        let h: [u16; 8] = core::array::from_fn(|i| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]));
        Self(wide::i32x8::from_u16x8(wide::u16x8::new(h)))
    }

    /// Eight `u8`, zero-extended.
    #[inline(always)]
    pub(crate) fn load_u8(b: &[u8; 8]) -> Self {
        let mut a = [0u8; 16];
        a[..8].copy_from_slice(b);
        let h = wide::i16x8::from_u8x16_low(wide::u8x16::new(a));
        Self(wide::i32x8::from_i16x8(h))
    }

    /// Shifts each lane left by `n < 32` bits.
    #[inline(always)]
    pub(crate) fn shl(self, n: u32) -> Self {
        Self(self.0 << n)
    }

    /// Shifts each lane right by `n < 32` bits, copying the sign bit.
    #[inline(always)]
    pub(crate) fn shr(self, n: u32) -> Self {
        Self(self.0 >> n)
    }

    /// Lanes of `a` where `self` is zero, lanes of `b` elsewhere.
    #[inline(always)]
    pub(crate) fn select_zero(self, a: Self, b: Self) -> Self {
        Self(self.0.simd_eq(wide::i32x8::splat(0)).bitselect(a.0, b.0))
    }
}

impl Add for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0)
    }
}

impl Sub for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(self.0 - o.0)
    }
}

impl BitAnd for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
}

impl BitOr for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        Self(self.0 | o.0)
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

impl Mul for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self(self.0 * o.0)
    }
}
