//! The rotation kernels: rotate the first `2h` channels of one head vector in
//! place by the angles whose cosines and sines are `c[..h]`, `s[..h]`.
//!
//! Half-split (pair `j` = `(x[j], x[j+h])`) is vertical as it stands:
//! `y1 = x1·c − x2·s`, `y2 = x2·c + x1·s`, eight pairs per step.
//! Interleaved (pair `j` = `(x[2j], x[2j+1])`) is made vertical with two
//! register shuffles: `y = x·[c0,c0,c1,c1,..] + swap_pairs(x)·[−s0,s0,−s1,s1,..]`,
//! four pairs per step; the sign fold is a multiply by ±1 (exact), so every
//! element gets exactly the IEEE operations of the
//! [reference](crate::reference::rope) (`x0·c − x1·s`, `x0·s + x1·c`: one
//! rounding per multiply and per add, no fused multiply-add). Results are
//! therefore bit-identical to the reference for the same cos/sin values, on
//! every backend (NaN payloads aside).

use crate::simd::F32x8;

/// Half-split rotation of `x[..2h]`, `h = c.len() = s.len()`.
#[inline(always)]
pub(crate) fn rotate_half_split(x: &mut [f32], c: &[f32], s: &[f32]) {
    let h = c.len();
    let (x1, rest) = x.split_at_mut(h);
    let x2 = &mut rest[..h];
    let mut a = x1.chunks_exact_mut(8);
    let mut b = x2.chunks_exact_mut(8);
    let mut cc = c.chunks_exact(8);
    let mut ss = s.chunks_exact(8);
    for (((a, b), c), s) in (&mut a).zip(&mut b).zip(&mut cc).zip(&mut ss) {
        if let (Ok(a), Ok(b), Ok(c), Ok(s)) = (
            <&mut [f32; 8]>::try_from(a),
            <&mut [f32; 8]>::try_from(b),
            <&[f32; 8]>::try_from(c),
            <&[f32; 8]>::try_from(s),
        ) {
            let (va, vb) = (F32x8::load(a), F32x8::load(b));
            let (vc, vs) = (F32x8::load(c), F32x8::load(s));
            (va * vc - vb * vs).store(a);
            (vb * vc + va * vs).store(b);
        }
    }
    for (((a, b), &c), &s) in a
        .into_remainder()
        .iter_mut()
        .zip(b.into_remainder())
        .zip(cc.remainder())
        .zip(ss.remainder())
    {
        let (x1, x2) = (*a, *b);
        *a = x1 * c - x2 * s;
        *b = x2 * c + x1 * s;
    }
}

/// `[-1, 1, -1, 1, ...]`: folds the sign of `sin` into the even lanes.
const SIGN: [f32; 8] = [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0];

/// Interleaved rotation of `x[..2h]`, `h = c.len() = s.len()`.
#[inline(always)]
pub(crate) fn rotate_interleaved(x: &mut [f32], c: &[f32], s: &[f32]) {
    let h = c.len();
    let x = &mut x[..2 * h];
    let sign = F32x8::load(&SIGN);
    let mut xx = x.chunks_exact_mut(8);
    let mut cc = c.chunks_exact(4);
    let mut ss = s.chunks_exact(4);
    for ((x, c), s) in (&mut xx).zip(&mut cc).zip(&mut ss) {
        if let (Ok(x), Ok(c), Ok(s)) = (
            <&mut [f32; 8]>::try_from(x),
            <&[f32; 4]>::try_from(c),
            <&[f32; 4]>::try_from(s),
        ) {
            let v = F32x8::load(x);
            let vc = F32x8::load_dup_pairs(c);
            let vs = F32x8::load_dup_pairs(s) * sign;
            (v * vc + v.swap_pairs() * vs).store(x);
        }
    }
    for ((p, &c), &s) in xx
        .into_remainder()
        .chunks_exact_mut(2)
        .zip(cc.remainder())
        .zip(ss.remainder())
    {
        if let [a, b] = p {
            let (x0, x1) = (*a, *b);
            *a = x0 * c - x1 * s;
            *b = x0 * s + x1 * c;
        }
    }
}
