//! [`F32x16`] and [`I32x16`] on `wide::f32x16` / `wide::i32x16`, only on
//! AVX-512 builds: one 64-byte register a vector, so a kernel issues half
//! the instructions of two eight-lane vectors (Zen 4 still executes each
//! as two 32-byte halves). Used by the single-row `sin`/`cos`
//! (`crate::math::sincos_octets`: the D = 4096 sinusoidal row went from 3.3
//! to 3.7 G values/s on one vector a step, 4.3 on three, before the
//! AVX-512 body took the row over); every other
//! kernel stays on [`F32x8`].

use super::F32x8;
use core::ops::{Add, Mul, Shl, Shr, Sub};

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

    /// `table[k & 31]` in each lane, `k` the lane of `k` (the
    /// table-driven `sin`/`cos` of `crate::math`; one lookup a lane).
    #[inline(always)]
    pub(crate) fn lookup32(table: &[f32; 32], k: I32x16) -> Self {
        Self(wide::f32x16::new(
            k.0.to_array().map(|k| table[(k & 31) as usize]),
        ))
    }

    /// Converts each lane exactly-rounded from `i32` (`vcvtdq2ps`).
    #[inline(always)]
    pub(crate) fn from_i32(v: I32x16) -> Self {
        Self(wide::f32x16::from_i32x16(v.0))
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

/// `impl $op for $t`: the operator on the `wide` vector inside.
macro_rules! lanewise {
    ($t:ident: $($op:ident $method:ident $sym:tt),*) => {$(
        impl $op for $t {
            type Output = Self;
            #[inline(always)]
            fn $method(self, o: Self) -> Self {
                Self(self.0 $sym o.0)
            }
        }
    )*};
}

lanewise!(F32x16: Add add +, Sub sub -, Mul mul *);
lanewise!(I32x16: Add add +);

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
