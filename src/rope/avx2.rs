//! AVX2 bodies of the rotation kernels (`kernel.rs`), for x86_64 CPUs with
//! AVX2 running a build that does not enable it: `#[target_feature]`
//! functions with safe bodies, called only through
//! `crate::arch::{rope_heads, rope_heads_expanded}`, which check (once, by
//! `cpuid`) that the CPU runs them; that call is the `unsafe` part.
//!
//! On 32-byte vectors, where a default build's lanes are SSE2's 16 bytes:
//! the half-split rotation as a plain loop that LLVM vectorizes, the
//! interleaved one as the lanes do it (`x·[c0, c0, ..] + swap_pairs(x)·[−s0,
//! s0, ..]`, with `vpermilps` for the swap; as a plain loop over the pairs
//! LLVM's shuffles made it slower than the SSE2 lanes). Each element gets
//! the kernels' IEEE operations in their order (no fused multiply-add): the
//! same bits.

use core::arch::x86_64::{
    __m128, __m256, _mm_unpackhi_ps, _mm_unpacklo_ps, _mm256_add_ps, _mm256_mul_ps,
    _mm256_permute_ps, _mm256_set_m128,
};

/// `[-1, 1, -1, 1, ...]`: folds the sign of `sin` into the even lanes.
const SIGN: [f32; 8] = [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0];

/// `x · cd + swap_pairs(x) · sd` on eight values (four pairs).
#[target_feature(enable = "avx2")]
#[inline]
fn rotate8(x: &mut [f32; 8], cd: __m256, sd: __m256) {
    let v: __m256 = bytemuck::cast(*x);
    let swapped = _mm256_permute_ps::<0b10_11_00_01>(v);
    *x = bytemuck::cast(_mm256_add_ps(
        _mm256_mul_ps(v, cd),
        _mm256_mul_ps(swapped, sd),
    ));
}

/// `[a0, a0, a1, a1, a2, a2, a3, a3]`.
#[target_feature(enable = "avx2")]
#[inline]
fn dup_pairs(a: &[f32; 4]) -> __m256 {
    let a: __m128 = bytemuck::cast(*a);
    _mm256_set_m128(_mm_unpackhi_ps(a, a), _mm_unpacklo_ps(a, a))
}

/// One pair `(x0, x1)` rotated by `(c, s)`: the kernels' scalar tail.
#[inline(always)]
fn rotate_pair([a, b]: &mut [f32; 2], c: f32, s: f32) {
    let (x0, x1) = (*a, *b);
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
}

/// Rotates the first `2h` values (`h = c.len()`) of every head of `tok`
/// (whole heads of `dh` values) by `(c, s)`: `rotate_half_split` or
/// `rotate_interleaved` on each head.
#[target_feature(enable = "avx2")]
pub(crate) fn rotate_heads(interleaved: bool, tok: &mut [f32], dh: usize, c: &[f32], s: &[f32]) {
    let h = c.len().min(s.len());
    let sign: __m256 = bytemuck::cast(SIGN);
    for v in tok.chunks_exact_mut(dh.max(1)) {
        if interleaved {
            let Some(x) = v.get_mut(..2 * h) else {
                continue;
            };
            let (x8, xt) = x.as_chunks_mut::<8>();
            let (c4, ct) = c.as_chunks::<4>();
            let (s4, st) = s.as_chunks::<4>();
            for ((x, c), s) in x8.iter_mut().zip(c4).zip(s4) {
                rotate8(x, dup_pairs(c), _mm256_mul_ps(dup_pairs(s), sign));
            }
            for ((x, &c), &s) in xt.as_chunks_mut::<2>().0.iter_mut().zip(ct).zip(st) {
                rotate_pair(x, c, s);
            }
        } else {
            // The common rotary widths with a constant trip count (the
            // loop unrolled), as the lanes' `each_head`.
            match h {
                64 => half_split::<64>(v, c, s),
                128 => half_split::<128>(v, c, s),
                _ => half_split::<0>(v, c, s),
            }
        }
    }
}

/// Half-split rotation of `v[..2h]` by `(c, s)`, `h = c.len()`, or `H`
/// where that is not 0 (then `c.len() == H`).
#[target_feature(enable = "avx2")]
#[inline]
fn half_split<const H: usize>(v: &mut [f32], c: &[f32], s: &[f32]) {
    let h = if H == 0 { c.len().min(s.len()) } else { H };
    let (Some(c), Some(s)) = (c.get(..h), s.get(..h)) else {
        return;
    };
    let Some((x1, rest)) = v.split_at_mut_checked(h) else {
        return;
    };
    let Some(x2) = rest.get_mut(..h) else {
        return;
    };
    for (((a, b), &c), &s) in x1.iter_mut().zip(x2).zip(c).zip(s) {
        let (p, q) = (*a, *b);
        *a = p * c - q * s;
        *b = q * c + p * s;
    }
}

/// Rotates the first `cd.len()` values of every interleaved head of `tok`
/// by an expanded row (`cd = [c0, c0, ..]`, `sd = [−s0, s0, ..]`):
/// `rotate_interleaved_expanded` on each head.
#[target_feature(enable = "avx2")]
pub(crate) fn rotate_heads_expanded(tok: &mut [f32], dh: usize, cd: &[f32], sd: &[f32]) {
    let n = cd.len().min(sd.len()) / 2 * 2;
    let (c8, ct) = cd[..n].as_chunks::<8>();
    let (s8, st) = sd[..n].as_chunks::<8>();
    for v in tok.chunks_exact_mut(dh.max(1)) {
        let Some(x) = v.get_mut(..n) else {
            continue;
        };
        let (x8, xt) = x.as_chunks_mut::<8>();
        for ((x, c), s) in x8.iter_mut().zip(c8).zip(s8) {
            rotate8(x, bytemuck::cast(*c), bytemuck::cast(*s));
        }
        let pairs = xt.as_chunks_mut::<2>().0.iter_mut();
        for ((x, [c, _]), [_, s]) in pairs.zip(ct.as_chunks::<2>().0).zip(st.as_chunks::<2>().0) {
            rotate_pair(x, *c, *s);
        }
    }
}
