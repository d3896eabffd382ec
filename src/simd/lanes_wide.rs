//! [`F32x8`] on `wide::f32x8`: SIMD on every target `wide` supports.

use core::ops::{Add, BitAnd, BitOr, BitXor, Mul, Shl, Shr, Sub};

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

    /// `table[k & 31]` in each lane, `k` the lane of `k` (the
    /// table-driven `sin`/`cos` of `crate::math`; one lookup a lane).
    #[inline(always)]
    pub(crate) fn lookup32(table: &[f32; 32], k: I32x8) -> Self {
        Self(wide::f32x8::new(
            k.0.to_array().map(|k| table[(k & 31) as usize]),
        ))
    }

    /// Converts each lane exactly-rounded from `i32` (`cvtdq2ps`).
    #[inline(always)]
    pub(crate) fn from_i32(v: I32x8) -> Self {
        if cfg!(target_feature = "avx2") {
            Self(wide::f32x8::from_i32x8(v.0))
        } else {
            // wide's f32x8 conversion falls back to eight scalar conversions
            // without AVX2; its f32x4 one is a single SSE2/NEON instruction.
            let [a, b]: [wide::i32x4; 2] = bytemuck::cast(v.0);
            Self(bytemuck::cast([
                wide::f32x4::from_i32x4(a),
                wide::f32x4::from_i32x4(b),
            ]))
        }
    }

    /// Interleaves two vectors: `([a0 b0 a1 b1 a2 b2 a3 b3], [a4 b4 … a7 b7])`.
    #[inline(always)]
    pub(crate) fn interleave(a: Self, b: Self) -> (Self, Self) {
        let [a0, a1]: [wide::f32x4; 2] = bytemuck::cast(a.0);
        let [b0, b1]: [wide::f32x4; 2] = bytemuck::cast(b.0);
        (
            Self(bytemuck::cast([a0.unpack_lo(b0), a0.unpack_hi(b0)])),
            Self(bytemuck::cast([a1.unpack_lo(b1), a1.unpack_hi(b1)])),
        )
    }

    /// Lane-wise minimum of lanes that are not NaN (`minps`; with a NaN
    /// the backends may differ).
    #[inline(always)]
    pub(crate) fn min(self, o: Self) -> Self {
        Self(self.0.fast_min(o.0))
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

    /// Bitwise XOR of each lane's bits with the bits of `m` (e.g. to flip
    /// signs with `m = 1 << 31`).
    #[inline(always)]
    pub(crate) fn xor_bits(self, m: I32x8) -> Self {
        let m: wide::f32x8 = bytemuck::cast(m.0);
        Self(self.0 ^ m)
    }
}

/// Pair shuffles for the interleaved RoPE kernel (LLVM lowers the array
/// permutations to one `unpck`/`shufps`/`vpermilps` per register).
impl F32x8 {
    /// `[a0, a0, a1, a1, a2, a2, a3, a3]`.
    #[inline(always)]
    pub(crate) fn load_dup_pairs(a: &[f32; 4]) -> Self {
        Self(wide::f32x8::new([
            a[0], a[0], a[1], a[1], a[2], a[2], a[3], a[3],
        ]))
    }

    /// Swaps the lanes of each adjacent pair: `[x1, x0, x3, x2, ...]`.
    #[inline(always)]
    pub(crate) fn swap_pairs(self) -> Self {
        let x = self.0.to_array();
        Self(wide::f32x8::new([
            x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6],
        ]))
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

    /// Lanes `hi[i] << 16 | lo[i]`: two 16-bit halves joined into each
    /// 32-bit lane (one `punpcklwd`/`punpckhwd` pair on SSE2).
    #[inline(always)]
    pub(crate) fn join16(lo: U16x8, hi: U16x8) -> Self {
        // LLVM lowers this interleave to the unpack pair; wide has no
        // public 16-bit unpack.
        let (l, h) = (lo.0.to_array(), hi.0.to_array());
        let w: [u16; 16] = core::array::from_fn(|i| if i % 2 == 0 { l[i / 2] } else { h[i / 2] });
        Self(bytemuck::cast(w))
    }

    /// Lanes `h[i] << 16` (the low halves zero).
    #[inline(always)]
    pub(crate) fn from_high16(h: U16x8) -> Self {
        Self(wide::i32x8::from_u16x8(h.0) << 16)
    }
}

/// Sixteen `u8` lanes, for the byte side of the table decoders: every
/// operation is one SSE2/NEON instruction on the whole vector.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct U8x16(wide::u8x16);

impl U8x16 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: u8) -> Self {
        Self(wide::u8x16::splat(x))
    }

    /// Loads sixteen bytes from any place.
    #[inline(always)]
    pub(crate) fn load(b: &[u8; 16]) -> Self {
        Self(wide::u8x16::new(*b))
    }

    /// Each byte shifted right by `n < 8` (logical).
    #[inline(always)]
    pub(crate) fn shr(self, n: u32) -> Self {
        // A 16-bit shift, then the bits that crossed from the next byte
        // cleared.
        let w: wide::u16x8 = bytemuck::cast(self.0);
        Self(bytemuck::cast::<_, wide::u8x16>(w >> n) & wide::u8x16::splat(0xff >> n))
    }

    /// Each byte shifted left by `n < 8` (bits shifted out are lost).
    #[inline(always)]
    pub(crate) fn shl(self, n: u32) -> Self {
        let w: wide::u16x8 = bytemuck::cast(self.0);
        Self(bytemuck::cast::<_, wide::u8x16>(w << n) & wide::u8x16::splat(0xff << n))
    }

    /// Byte `idx[i]` (`< 16`) of the table `self` in lane `i` (`pshufb` with
    /// SSSE3, `tbl` on NEON, `swizzle` on simd128; a byte loop elsewhere,
    /// e.g. on a default x86_64 build).
    #[inline(always)]
    pub(crate) fn lookup(self, idx: Self) -> Self {
        Self(self.0.shuffle(idx.0))
    }

    /// All ones where the lanes are equal, zero elsewhere.
    #[inline(always)]
    pub(crate) fn eq(self, o: Self) -> Self {
        Self(self.0.simd_eq(o.0))
    }

    /// Interleaves two vectors: `([a0 b0 … a7 b7], [a8 b8 … a15 b15])`.
    #[inline(always)]
    pub(crate) fn zip(a: Self, b: Self) -> (Self, Self) {
        (
            Self(wide::u8x16::unpack_low(a.0, b.0)),
            Self(wide::u8x16::unpack_high(a.0, b.0)),
        )
    }

    /// The sixteen lanes minus `bias`, as exact `f32`: lanes 0–7, lanes
    /// 8–15.
    #[inline(always)]
    pub(crate) fn to_f32_minus(self, bias: u8) -> [F32x8; 2] {
        // Each byte zero-extended under the high half 0x4b00 reads as the
        // float 2^23 + x; subtracting 2^23 + bias is exact (integers below
        // 2^24). Unpacks and one subtraction, where a widening to i32 and
        // `cvtdq2ps` would cost a bias subtraction more.
        let k = F32x8::splat(8_388_608.0 + f32::from(bias));
        let m = U16x8::splat(0x4b00);
        let lo = U16x8(wide::u16x8::from_u8x16_low(self.0));
        let hi = U16x8(wide::u16x8::from_u8x16_high(self.0));
        [
            F32x8::from_bits(I32x8::join16(lo, m)) - k,
            F32x8::from_bits(I32x8::join16(hi, m)) - k,
        ]
    }
}

impl BitAnd for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
}

impl BitOr for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
}

impl BitXor for U8x16 {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, o: Self) -> Self {
        Self(self.0 ^ o.0)
    }
}

/// Eight `u16` lanes (wrapping arithmetic), for the 16-bit formats.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct U16x8(wide::u16x8);

impl U16x8 {
    /// All lanes equal to `x`.
    #[inline(always)]
    pub(crate) fn splat(x: u16) -> Self {
        Self(wide::u16x8::splat(x))
    }

    /// Eight little-endian `u16` from any place.
    #[inline(always)]
    pub(crate) fn load_le(b: &[u8; 16]) -> Self {
        let h: [u16; 8] = core::array::from_fn(|i| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]));
        Self(wide::u16x8::new(h))
    }

    /// All ones where `self`'s lane is the greater as an `i16`, zero
    /// elsewhere (one SSE2 `pcmpgtw`).
    #[inline(always)]
    pub(crate) fn gt_signed(self, o: Self) -> Self {
        let (a, b): (wide::i16x8, wide::i16x8) = (bytemuck::cast(self.0), bytemuck::cast(o.0));
        Self(bytemuck::cast(a.simd_gt(b)))
    }
}

impl Add for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0)
    }
}

impl BitAnd for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
}

impl BitOr for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
}

/// Logical right shift of every lane; `n < 16`.
impl Shr<u32> for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0 >> n)
    }
}

/// Left shift of every lane; `n < 16`.
impl Shl<u32> for U16x8 {
    type Output = Self;
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0 << n)
    }
}

impl Add for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0)
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

impl BitXor for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, o: Self) -> Self {
        Self(self.0 ^ o.0)
    }
}

/// Arithmetic (sign-filling) right shift of every lane; `n < 32`.
impl Shr<u32> for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0 >> n)
    }
}

/// Left shift of every lane; `n < 32`.
impl Shl<u32> for I32x8 {
    type Output = Self;
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0 << n)
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
