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
    let Some((x1, rest)) = x.split_at_mut_checked(h) else {
        return;
    };
    let Some(x2) = rest.get_mut(..h) else {
        return;
    };
    let (a8, at) = x1.as_chunks_mut::<8>();
    let (b8, bt) = x2.as_chunks_mut::<8>();
    let (c8, ct) = c.as_chunks::<8>();
    let (s8, st) = s.as_chunks::<8>();
    for (((a, b), c), s) in a8.iter_mut().zip(b8).zip(c8).zip(s8) {
        let (va, vb) = (F32x8::load(a), F32x8::load(b));
        let (vc, vs) = (F32x8::load(c), F32x8::load(s));
        (va * vc - vb * vs).store(a);
        (vb * vc + va * vs).store(b);
    }
    for (((a, b), &c), &s) in at.iter_mut().zip(bt).zip(ct).zip(st) {
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
    let Some(x) = x.get_mut(..2 * h) else {
        return;
    };
    let sign = F32x8::load(&SIGN);
    let (x8, xt) = x.as_chunks_mut::<8>();
    let (c4, ct) = c.as_chunks::<4>();
    let (s4, st) = s.as_chunks::<4>();
    for ((x, c), s) in x8.iter_mut().zip(c4).zip(s4) {
        let v = F32x8::load(x);
        let vc = F32x8::load_dup_pairs(c);
        let vs = F32x8::load_dup_pairs(s) * sign;
        (v * vc + v.swap_pairs() * vs).store(x);
    }
    for (([a, b], &c), &s) in xt.as_chunks_mut::<2>().0.iter_mut().zip(ct).zip(st) {
        let (x0, x1) = (*a, *b);
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
    }
}

/// Largest `h` for which the interleaved kernels expand a cos/sin row once
/// and reuse it across heads (two stack rows of `2·EXPAND_MAX` floats).
pub(crate) const EXPAND_MAX: usize = 128;

/// Expands `(c, s)` to `cd = [c0, c0, c1, c1, ..]`, `sd = [−s0, s0, −s1, s1, ..]`
/// (`2h` each), so [`rotate_interleaved_expanded`] needs no shuffles of
/// cos/sin: worth it when several heads share one position.
#[inline(always)]
pub(crate) fn expand_pairs(c: &[f32], s: &[f32], cd: &mut [f32], sd: &mut [f32]) {
    let (cd2, _) = cd.as_chunks_mut::<2>();
    let (sd2, _) = sd.as_chunks_mut::<2>();
    for (((&c, &s), cd), sd) in c.iter().zip(s).zip(cd2).zip(sd2) {
        *cd = [c, c];
        *sd = [-s, s];
    }
}

/// [`rotate_interleaved_expanded`] of every head of one token (`tok` holds
/// whole heads of `dh` values, rotary part `cd.len()`), eight values of all
/// heads at a time: each loaded `cd`/`sd` lane vector serves every head.
/// The same IEEE operations per element, so the same bits.
#[inline(always)]
pub(crate) fn rotate_heads_interleaved_expanded(
    tok: &mut [f32],
    dh: usize,
    cd: &[f32],
    sd: &[f32],
) {
    let n = cd.len().min(sd.len()).min(dh);
    let (c8, _) = cd.as_chunks::<8>();
    let (s8, _) = sd.as_chunks::<8>();
    for (k, (c, s)) in c8.iter().zip(s8).enumerate() {
        let (vc, vs) = (F32x8::load(c), F32x8::load(s));
        for head in tok.chunks_exact_mut(dh.max(1)) {
            if let Some(x) = head.get_mut(8 * k..8 * k + 8)
                && let Ok(x) = <&mut [f32; 8]>::try_from(x)
            {
                let v = F32x8::load(x);
                (v * vc + v.swap_pairs() * vs).store(x);
            }
        }
    }
    let done = 8 * c8.len();
    if done < n {
        for head in tok.chunks_exact_mut(dh.max(1)) {
            if let (Some(x), Some(c), Some(s)) =
                (head.get_mut(done..n), cd.get(done..n), sd.get(done..n))
            {
                rotate_interleaved_expanded(x, c, s);
            }
        }
    }
}

/// Interleaved rotation of `x[..2h]` from an expanded row (`cd`, `sd`, `2h`
/// long): the same IEEE operations as [`rotate_interleaved`].
#[inline(always)]
pub(crate) fn rotate_interleaved_expanded(x: &mut [f32], cd: &[f32], sd: &[f32]) {
    let Some(x) = x.get_mut(..cd.len()) else {
        return;
    };
    let (x8, xt) = x.as_chunks_mut::<8>();
    let (c8, ct) = cd.as_chunks::<8>();
    let (s8, st) = sd.as_chunks::<8>();
    for ((x, c), s) in x8.iter_mut().zip(c8).zip(s8) {
        let v = F32x8::load(x);
        (v * F32x8::load(c) + v.swap_pairs() * F32x8::load(s)).store(x);
    }
    let pairs = xt.as_chunks_mut::<2>().0.iter_mut();
    for (([a, b], [c, _]), [_, s]) in pairs.zip(ct.as_chunks::<2>().0).zip(st.as_chunks::<2>().0) {
        let (x0, x1) = (*a, *b);
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
    }
}
