//! [`F32x8`] on plain `[f32; 8]` loops: the forced-scalar backend
//! (`--cfg inlayer_force_scalar`), so that every test also runs without SIMD.

use core::ops::{Add, BitAnd, BitOr, BitXor, Mul, Shl, Shr, Sub};

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

    /// `table[k & 31]` in each lane, `k` the lane of `k` (the
    /// table-driven `sin`/`cos` of `crate::math`; one lookup a lane).
    #[inline(always)]
    pub(crate) fn lookup32(table: &[f32; 32], k: I32x8) -> Self {
        Self(k.0.map(|k| table[(k & 31) as usize]))
    }

    /// Converts each lane exactly-rounded from `i32`.
    #[inline(always)]
    pub(crate) fn from_i32(v: I32x8) -> Self {
        Self(v.0.map(|x| x as f32))
    }

    /// Lane-wise minimum of lanes that are not NaN.
    #[inline(always)]
    pub(crate) fn min(self, o: Self) -> Self {
        self.zip(o, f32::min)
    }

    /// Reinterprets the bits of each lane as `f32`.
    #[inline(always)]
    pub(crate) fn from_bits(v: I32x8) -> Self {
        Self(v.0.map(|x| f32::from_bits(x as u32)))
    }

    /// Reinterprets each lane as `i32` bits.
    #[inline(always)]
    pub(crate) fn to_bits(self) -> I32x8 {
        I32x8(self.0.map(|x| x.to_bits() as i32))
    }

    /// Interleaves two vectors: `([a0 b0 a1 b1 a2 b2 a3 b3], [a4 b4 … a7 b7])`.
    #[inline(always)]
    pub(crate) fn interleave(a: Self, b: Self) -> (Self, Self) {
        let mut lo = [0.0; 8];
        let mut hi = [0.0; 8];
        for k in 0..4 {
            lo[2 * k] = a.0[k];
            lo[2 * k + 1] = b.0[k];
            hi[2 * k] = a.0[k + 4];
            hi[2 * k + 1] = b.0[k + 4];
        }
        (Self(lo), Self(hi))
    }

    /// Bitwise XOR of each lane's bits with the bits of `m` (e.g. to flip
    /// signs with `m = 1 << 31`).
    #[inline(always)]
    pub(crate) fn xor_bits(self, m: I32x8) -> Self {
        let mut r = self.0;
        for (r, m) in r.iter_mut().zip(m.0) {
            *r = f32::from_bits(r.to_bits() ^ m.cast_unsigned());
        }
        Self(r)
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

/// Eight `i32` lanes, for the integer side of the table decoders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct I32x8([i32; 8]);

impl I32x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: i32) -> Self {
        Self([x; 8])
    }

    /// The eight values of `a`.
    #[inline(always)]
    pub(crate) fn new(a: [i32; 8]) -> Self {
        Self(a)
    }

    /// Lanes `hi[i] << 16 | lo[i]`: two 16-bit halves joined into each
    /// 32-bit lane.
    #[inline(always)]
    pub(crate) fn join16(lo: U16x8, hi: U16x8) -> Self {
        Self(core::array::from_fn(|i| {
            (u32::from(hi.0[i]) << 16 | u32::from(lo.0[i])).cast_signed()
        }))
    }

    /// Lanes `h[i] << 16` (the low halves zero).
    #[inline(always)]
    pub(crate) fn from_high16(h: U16x8) -> Self {
        Self::join16(U16x8::splat(0), h)
    }

    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(i32, i32) -> i32) -> Self {
        let mut r = [0; 8];
        for ((r, a), b) in r.iter_mut().zip(self.0).zip(o.0) {
            *r = f(a, b);
        }
        Self(r)
    }
}

impl Add for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, i32::wrapping_add)
    }
}

impl BitAnd for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        self.zip(o, |a, b| a & b)
    }
}

/// Arithmetic (sign-filling) right shift of every lane; `n < 32`.
impl Shr<u32> for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0.map(|x| x.wrapping_shr(n)))
    }
}

/// Left shift of every lane; `n < 32`.
impl Shl<u32> for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0.map(|x| x.wrapping_shl(n)))
    }
}

impl BitOr for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        self.zip(o, |a, b| a | b)
    }
}

impl BitXor for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, o: Self) -> Self {
        self.zip(o, |a, b| a ^ b)
    }
}

/// Sixteen `u8` lanes, for the byte side of the table decoders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct U8x16([u8; 16]);

impl U8x16 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: u8) -> Self {
        Self([x; 16])
    }

    /// Loads sixteen bytes.
    #[inline(always)]
    pub(crate) fn load(b: &[u8; 16]) -> Self {
        Self(*b)
    }

    /// Each byte shifted right by `n < 8` (logical).
    #[inline(always)]
    pub(crate) fn shr(self, n: u32) -> Self {
        Self(self.0.map(|x| x >> n))
    }

    /// Each byte shifted left by `n < 8` (bits shifted out are lost).
    #[inline(always)]
    pub(crate) fn shl(self, n: u32) -> Self {
        Self(self.0.map(|x| x << n))
    }

    /// Byte `idx[i] % 16` of the table `self` in lane `i`.
    #[inline(always)]
    pub(crate) fn lookup(self, idx: Self) -> Self {
        Self(idx.0.map(|k| self.0[usize::from(k & 15)]))
    }

    /// All ones where the lanes are equal, zero elsewhere.
    #[inline(always)]
    pub(crate) fn eq(self, o: Self) -> Self {
        Self(core::array::from_fn(|i| {
            if self.0[i] == o.0[i] { 0xff } else { 0 }
        }))
    }

    /// Interleaves two vectors: `([a0 b0 … a7 b7], [a8 b8 … a15 b15])`.
    #[inline(always)]
    pub(crate) fn zip(a: Self, b: Self) -> (Self, Self) {
        let z = |k: usize| -> [u8; 16] {
            core::array::from_fn(|i| {
                if i % 2 == 0 {
                    a.0[k + i / 2]
                } else {
                    b.0[k + i / 2]
                }
            })
        };
        (Self(z(0)), Self(z(8)))
    }

    /// The sixteen lanes minus `bias`, as exact `f32`: lanes 0–7, lanes
    /// 8–15.
    #[inline(always)]
    pub(crate) fn to_f32_minus(self, bias: u8) -> [F32x8; 2] {
        let f = |k: usize| {
            F32x8(core::array::from_fn(|i| {
                f32::from(self.0[k + i]) - f32::from(bias)
            }))
        };
        [f(0), f(8)]
    }

    #[inline(always)]
    fn zip_with(self, o: Self, f: impl Fn(u8, u8) -> u8) -> Self {
        Self(core::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
}

impl BitAnd for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        self.zip_with(o, |a, b| a & b)
    }
}

impl BitOr for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        self.zip_with(o, |a, b| a | b)
    }
}

impl BitXor for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, o: Self) -> Self {
        self.zip_with(o, |a, b| a ^ b)
    }
}

/// Eight `u16` lanes (wrapping arithmetic), for the 16-bit formats.
#[derive(Clone, Copy, Debug)]
pub(crate) struct U16x8([u16; 8]);

impl U16x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: u16) -> Self {
        Self([x; 8])
    }

    /// Eight little-endian `u16`.
    #[inline(always)]
    pub(crate) fn load_le(b: &[u8; 16]) -> Self {
        Self(core::array::from_fn(|i| {
            u16::from_le_bytes([b[2 * i], b[2 * i + 1]])
        }))
    }

    /// All ones where `self`'s lane is the greater as an `i16`, zero
    /// elsewhere.
    #[inline(always)]
    pub(crate) fn gt_signed(self, o: Self) -> Self {
        self.zip_with(o, |a, b| {
            if a.cast_signed() > b.cast_signed() {
                0xffff
            } else {
                0
            }
        })
    }

    #[inline(always)]
    fn zip_with(self, o: Self, f: impl Fn(u16, u16) -> u16) -> Self {
        Self(core::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
}

impl Add for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip_with(o, u16::wrapping_add)
    }
}

impl BitAnd for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        self.zip_with(o, |a, b| a & b)
    }
}

impl BitOr for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        self.zip_with(o, |a, b| a | b)
    }
}

/// Logical right shift of every lane; `n < 16`.
impl Shr<u32> for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0.map(|x| x >> n))
    }
}

/// Left shift of every lane; `n < 16`.
impl Shl<u32> for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0.map(|x| x << n))
    }
}
