//! The row kernels of the gather: copy, and the fused epilogue
//! `out = src * scale + add`, on [`F32x8`] lanes with a scalar tail.
//!
//! Each kernel performs exactly the IEEE operations of the
//! [`reference`](crate::reference::gather), in the same order, element by
//! element (one rounding per operation, no fused multiply-add), so results are
//! bit-identical to it on every backend. The tail uses the same scalar
//! operation as the lanes, so where the vector/tail boundary falls does not
//! change a bit.

use crate::formats::Post;
use crate::simd::F32x8;

/// Per-row epilogue parameters after validation.
#[derive(Clone, Copy)]
pub(crate) enum Op<'a> {
    /// `out = src`
    Copy,
    /// `out = src * s`
    Scale(f32),
    /// `out = src + a`
    Add(&'a [f32]),
    /// `out = src * s + a`
    ScaleAdd(f32, &'a [f32]),
}

impl Op<'_> {
    /// The operation on the values from `k` on (its add row cut there).
    #[inline(always)]
    fn from(self, k: usize) -> Self {
        match self {
            Op::Add(a) => Op::Add(tail(a, k)),
            Op::ScaleAdd(s, a) => Op::ScaleAdd(s, tail(a, k)),
            op => op,
        }
    }
}

/// [`apply`], first by the AVX2 body where that runs ([`avx2_epilogue`]),
/// for rows longer than [`INLINE_COPY_MAX`].
#[inline(always)]
pub(crate) fn apply_wide(op: Op<'_>, src: &[f32], out: &mut [f32]) {
    let k = avx2_epilogue(op, src, out);
    apply(op.from(k), tail(src, k), tail_mut(out, k));
}

/// Applies `op` from `src` into `out` (`src.len() == out.len()`, and the add
/// row, if any, has the same length).
#[inline(always)]
pub(crate) fn apply(op: Op<'_>, src: &[f32], out: &mut [f32]) {
    match op {
        Op::Copy => copy(src, out),
        Op::Scale(s) => map1(src, out, s, |x, s| x * s, |x, s| x * s),
        Op::Add(a) => map2(src, a, out, 0.0, |x, a, _| x + a, |x, a, _| x + a),
        Op::ScaleAdd(s, a) => map2(src, a, out, s, |x, a, s| x * s + a, |x, a, s| x * s + a),
    }
}

/// The epilogue of a row by the AVX2 body (`crate::arch::f32_rows`), where
/// the CPU has AVX2 and the build does not (its 32-byte stores against the
/// lanes' 16); returns how many values it did (the whole row there, none
/// elsewhere; a copy stays a `memcpy`). For rows longer than
/// [`INLINE_COPY_MAX`]: shorter ones lose more to the call than they gain
/// (D = 64, T = 512: 0.67 → 0.49× the per-row `memcpy`).
#[inline(always)]
fn avx2_epilogue(op: Op<'_>, src: &[f32], out: &mut [f32]) -> usize {
    use crate::arch::f32_rows;
    match op {
        Op::Copy => 0,
        Op::Scale(times) => f32_rows::<true, false>(src, Post { times, add: &[] }, out),
        Op::Add(add) => f32_rows::<false, true>(src, Post { times: 1.0, add }, out),
        Op::ScaleAdd(times, add) => f32_rows::<true, true>(src, Post { times, add }, out),
    }
}

/// `x[k..]`, empty past the end.
#[inline(always)]
fn tail(x: &[f32], k: usize) -> &[f32] {
    x.get(k..).unwrap_or(&[])
}

/// `x[k..]`, empty past the end.
#[inline(always)]
fn tail_mut(x: &mut [f32], k: usize) -> &mut [f32] {
    x.get_mut(k..).unwrap_or(&mut [])
}

/// Applies `op` in place: `out = out * s + a` (the path for decoded rows).
#[inline(always)]
pub(crate) fn apply_in_place(op: Op<'_>, out: &mut [f32]) {
    match op {
        Op::Copy => {}
        Op::Scale(s) => out.iter_mut().for_each(|x| *x *= s),
        Op::Add(a) => out.iter_mut().zip(a).for_each(|(x, a)| *x += a),
        Op::ScaleAdd(s, a) => out.iter_mut().zip(a).for_each(|(x, a)| *x = *x * s + a),
    }
}

/// Short rows are copied with inline vector moves rather than a `memcpy`
/// call (the call overhead dominates below a few hundred bytes).
pub(crate) const INLINE_COPY_MAX: usize = 64;

#[inline(always)]
fn copy(src: &[f32], out: &mut [f32]) {
    if src.len() <= INLINE_COPY_MAX {
        map1(src, out, 0.0, |x, _| x, |x, _| x);
    } else {
        memcpy(src, out);
    }
}

/// `out.copy_from_slice(src)` (a `memcpy` call for a length not known at
/// compile time) without its length-mismatch panic path.
#[inline(always)]
pub(crate) fn memcpy(src: &[f32], out: &mut [f32]) {
    // Equal lengths by construction; slicing both to `n` lets the
    // optimiser see it, so no length-mismatch panic path is linked.
    let n = src.len().min(out.len());
    if let (Some(o), Some(s)) = (out.get_mut(..n), src.get(..n)) {
        o.copy_from_slice(s);
    }
}

#[inline(always)]
fn map1(
    src: &[f32],
    out: &mut [f32],
    s: f32,
    v: impl Fn(F32x8, F32x8) -> F32x8,
    e: impl Fn(f32, f32) -> f32,
) {
    let vs = F32x8::splat(s);
    let (o8, o1) = out.as_chunks_mut::<8>();
    let (i8, i1) = src.as_chunks::<8>();
    for (o, i) in o8.iter_mut().zip(i8) {
        v(F32x8::load(i), vs).store(o);
    }
    for (o, &i) in o1.iter_mut().zip(i1) {
        *o = e(i, s);
    }
}

#[inline(always)]
fn map2(
    src: &[f32],
    add: &[f32],
    out: &mut [f32],
    s: f32,
    v: impl Fn(F32x8, F32x8, F32x8) -> F32x8,
    e: impl Fn(f32, f32, f32) -> f32,
) {
    let vs = F32x8::splat(s);
    let (o8, o1) = out.as_chunks_mut::<8>();
    let (i8, i1) = src.as_chunks::<8>();
    let (a8, a1) = add.as_chunks::<8>();
    for ((o, i), a) in o8.iter_mut().zip(i8).zip(a8) {
        v(F32x8::load(i), F32x8::load(a), vs).store(o);
    }
    for ((o, &i), &a) in o1.iter_mut().zip(i1).zip(a1) {
        *o = e(i, a, s);
    }
}

/// `out = src * s + out` (`src + out` without a scale), in place: the fused
/// input layer adds the scaled token row to the encoding already in `out`
/// (the same IEEE operations as `src * s` followed by `+ pe`).
#[inline(always)]
pub(crate) fn scale_accumulate(src: &[f32], s: Option<f32>, out: &mut [f32]) {
    // The AVX2 body first, where it runs (as in `avx2_epilogue`).
    let k = match s {
        _ if src.len() <= INLINE_COPY_MAX => 0,
        Some(t) => crate::arch::f32_onto_rows::<true>(src, t, out),
        None => crate::arch::f32_onto_rows::<false>(src, 1.0, out),
    };
    let (src, out) = (tail(src, k), tail_mut(out, k));
    let (o8, o1) = out.as_chunks_mut::<8>();
    let (i8, i1) = src.as_chunks::<8>();
    match s {
        Some(s) => {
            let vs = F32x8::splat(s);
            for (o, i) in o8.iter_mut().zip(i8) {
                (F32x8::load(i) * vs + F32x8::load(o)).store(o);
            }
            for (o, &i) in o1.iter_mut().zip(i1) {
                *o += i * s;
            }
        }
        None => {
            for (o, i) in o8.iter_mut().zip(i8) {
                (F32x8::load(i) + F32x8::load(o)).store(o);
            }
            for (o, &i) in o1.iter_mut().zip(i1) {
                *o += i;
            }
        }
    }
}

/// `acc += g`, the gather's backward step for one row.
#[inline(always)]
pub(crate) fn accumulate(g: &[f32], acc: &mut [f32]) {
    let (o8, o1) = acc.as_chunks_mut::<8>();
    let (i8, i1) = g.as_chunks::<8>();
    for (o, i) in o8.iter_mut().zip(i8) {
        (F32x8::load(o) + F32x8::load(i)).store(o);
    }
    for (o, &i) in o1.iter_mut().zip(i1) {
        *o += i;
    }
}
