//! The table kernel: many consecutive positions by angle addition from
//! exact anchors.
//!
//! Rows come in groups of [`GROUP`] consecutive positions `a, a + 1, …`. For
//! each group, the anchor `(sin aω, cos aω)` is known in f64; every row of
//! the group adds a small offset angle `kω` (`k < GROUP`) in f32:
//! `sin((a+k)ω) = sA·Ck + cA·Sk`, `cos((a+k)ω) = cA·Ck − sA·Sk`, with `sA`,
//! `cA`, `Sk`, `Ck` the f32 roundings of the exact values: four multiplies
//! and two adds per sin/cos pair, on [`F32x8`] lanes (a scalar tail doing the
//! same IEEE operations, so the result does not depend on the lane width).
//!
//! The f64 side: the offsets `(sin kω, cos kω)` are an f64 rotation from
//! `(0, 1)` by `ω`, and the anchors advance by the f64 rotation by `GROUP·ω`
//! that the same steps reach after `GROUP` rotations (relative error below
//! `1e-14`, so at most `ANCHOR / GROUP` advances stay far below `1e-12`);
//! they are set exactly (`libm::sin`/`libm::cos` of the exact phase
//! `p · F_i`) every [`ANCHOR`] rows, so the error does not grow with `p`. Separate multiplies
//! and adds everywhere (no fused multiply-add): the same bits on every target.
//!
//! Error bound per output, against the exact `sin`/`cos(p · ω_i)`: the four
//! f32 inputs are each within `2^-25` (+ < 1e-12 of f64 error) of exact, which
//! moves the result by at most `2^-25·(|sA|+|cA|+|Sk|+|Ck|) ≤ 2√2·2^-25`; the
//! two products round by at most `2^-24·(|sA·Ck| + |cA·Sk|) ≤ 2^-24`, the sum
//! by at most `2^-24`: in all `< 2.043e-7`, plus the rounding of `F_i`
//! (`≤ 2^-33` turn, 7.4e-10 rad for `p < 2^32`): below
//! [`TABLE_MAX_ABS_ERR`](super::TABLE_MAX_ABS_ERR) = 2.06e-7 < 2^-22.

use super::kernel::{BLOCK, Shape, put_pairs, put1, put8};
use crate::simd::F32x8;

/// Consecutive rows that share one f64 anchor.
pub(crate) const GROUP: usize = 16;

/// Rows between exact re-anchorings (a multiple of [`GROUP`]).
pub(crate) const ANCHOR: usize = 1024;

const _: () = assert!(ANCHOR.is_multiple_of(GROUP));

/// sin and cos of `2π · phase / 2^64` in f64 (error `< 1e-15`).
#[inline]
fn sincos_f64(phase: u64) -> (f64, f64) {
    // 2π / 2^64 (exact scaling of the f64 2π).
    const RAD: f64 = core::f64::consts::TAU / 18_446_744_073_709_551_616.0;
    let a = phase as i64 as f64 * RAD;
    (libm::sin(a), libm::cos(a))
}

/// Rotates `(s, c)` by the angle whose sine and cosine are `(rs, rc)`.
#[inline(always)]
fn rotate(s: &mut [f64], c: &mut [f64], rs: &[f64], rc: &[f64]) {
    for (((s, c), &rs), &rc) in s.iter_mut().zip(c.iter_mut()).zip(rs).zip(rc) {
        let (s0, c0) = (*s, *c);
        *s = s0 * rc + c0 * rs;
        *c = c0 * rc - s0 * rs;
    }
}

/// f32 sine and cosine of an anchor plus an offset (see the module docs).
#[inline(always)]
fn add_angles(sa: f32, ca: f32, so: f32, co: f32) -> (f32, f32) {
    (sa * co + ca * so, ca * co - sa * so)
}

/// Writes positions `start, start + 1, …` (the rows of `out`, dense, width
/// `shape.dim`) for frequencies `i0 .. i0 + turns.len()` (at most
/// [`BLOCK`]), storing (`ADD = false`) or adding. Padding rows are skipped
/// (`kernel::row_edges` writes them).
pub(crate) fn rotate_rows<const ADD: bool>(
    shape: &Shape,
    turns: &[u64],
    i0: usize,
    start: u32,
    out: &mut [f32],
) {
    let n = turns.len().min(BLOCK);
    let turns = &turns[..n];
    // f64: the anchor, and the rotation by GROUP steps.
    let (mut s, mut c) = ([0.0f64; BLOCK], [0.0f64; BLOCK]);
    let (mut gs, mut gc) = ([0.0f64; BLOCK], [0.0f64; BLOCK]);
    // f32: the offsets k·ω, k < GROUP (row k of the group), and the anchor.
    let (mut os, mut oc) = ([[0.0f32; BLOCK]; GROUP], [[0.0f32; BLOCK]; GROUP]);
    let (mut sa, mut ca) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
    {
        // The step ω into (gs, gc) for now; the offsets rotate from (0, 1).
        for ((gs, gc), &f) in gs.iter_mut().zip(gc.iter_mut()).zip(turns) {
            (*gs, *gc) = sincos_f64(f);
        }
        let (s, c) = (&mut s[..n], &mut c[..n]);
        s.fill(0.0);
        c.fill(1.0);
        for (os, oc) in os.iter_mut().zip(oc.iter_mut()) {
            for (((os, oc), &s), &c) in os.iter_mut().zip(oc.iter_mut()).zip(&*s).zip(&*c) {
                (*os, *oc) = (s as f32, c as f32);
            }
            rotate(s, c, &gs[..n], &gc[..n]);
        }
        // After GROUP rotations by ω, (s, c) is the rotation by GROUP·ω:
        // the step of the anchors.
        gs[..n].copy_from_slice(s);
        gc[..n].copy_from_slice(c);
    }
    let (s, c, gs, gc) = (&mut s[..n], &mut c[..n], &gs[..n], &gc[..n]);
    let (sa, ca) = (&mut sa[..n], &mut ca[..n]);
    let row_len = shape.dim.max(1);
    for (g, group) in out
        .chunks_mut(GROUP.saturating_mul(row_len).max(1))
        .enumerate()
    {
        let first = g * GROUP;
        let anchor = start.wrapping_add(first as u32);
        if first.is_multiple_of(ANCHOR) {
            for ((s, c), &f) in s.iter_mut().zip(c.iter_mut()).zip(turns) {
                (*s, *c) = sincos_f64(u64::from(anchor).wrapping_mul(f));
            }
        }
        for (((sa, ca), &s), &c) in sa.iter_mut().zip(ca.iter_mut()).zip(&*s).zip(&*c) {
            (*sa, *ca) = (s as f32, c as f32);
        }
        let no_padding = shape
            .padding_row
            .is_none_or(|p| p.wrapping_sub(anchor) as usize >= GROUP);
        // (Only where the lanes are SIMD registers: on MCUs the second
        // copy of the row body would only grow the firmware.)
        if let (true, Ok(sa), Ok(ca)) = (
            crate::simd::SIMD_REGISTERS && no_padding && i0 + BLOCK <= shape.n_cos,
            <&[f32; BLOCK]>::try_from(&*sa),
            <&[f32; BLOCK]>::try_from(&*ca),
        ) {
            // A whole block of columns, no padding row: fixed-size rows,
            // by the AVX2 body where that runs (`crate::arch`), else here.
            let layout = (shape.interleaved, shape.n_sin, i0);
            if !crate::arch::rotate_group::<ADD, BLOCK>(
                layout,
                (sa, ca),
                (&os, &oc),
                group,
                row_len,
            ) {
                for ((row, os), oc) in group.chunks_exact_mut(row_len).zip(&os).zip(&oc) {
                    write_block::<ADD>(shape, i0, (sa, ca), (os, oc), row);
                }
            }
        } else {
            for (k, row) in group.chunks_exact_mut(row_len).enumerate() {
                if shape.padding_row != Some(anchor.wrapping_add(k as u32))
                    && let (Some(os), Some(oc)) = (os.get(k), oc.get(k))
                    && let (Some(os), Some(oc)) = (os.get(..n), oc.get(..n))
                {
                    write_row::<ADD>(shape, i0, (sa, ca), (os, oc), row);
                }
            }
        }
        rotate(s, c, gs, gc);
    }
}

/// [`write_row`] of a whole block of [`BLOCK`] frequencies whose cosines
/// all exist (`i0 + BLOCK <= n_cos`): fixed sizes, so no check is left
/// between the octets. (Calling [`write_row`] with slices of the arrays
/// instead measured 7 % slower natively: [2048 × 512] 8.28 → 7.6–7.8 G
/// elem/s.)
#[inline(always)]
fn write_block<const ADD: bool>(
    shape: &Shape,
    i0: usize,
    (sa, ca): (&[f32; BLOCK], &[f32; BLOCK]),
    (so, co): (&[f32; BLOCK], &[f32; BLOCK]),
    row: &mut [f32],
) {
    fn octets(x: &[f32; BLOCK]) -> impl Iterator<Item = F32x8> + '_ {
        x.as_chunks::<8>().0.iter().map(F32x8::load)
    }
    let lanes = octets(sa)
        .zip(octets(ca))
        .zip(octets(so))
        .zip(octets(co))
        .map(|(((sa, ca), so), co)| (sa * co + ca * so, ca * co - sa * so));
    if shape.interleaved {
        if let Some(d) = row.get_mut(2 * i0..2 * (i0 + BLOCK))
            && let Ok(d) = <&mut [f32; 2 * BLOCK]>::try_from(d)
        {
            for (d, (s, c)) in d.as_chunks_mut::<16>().0.iter_mut().zip(lanes) {
                put_pairs::<ADD>(d, s, c);
            }
        }
    } else {
        let (sin, cos) = row.split_at_mut(shape.n_sin.min(row.len()));
        if let (Some(ds), Some(dc)) = (sin.get_mut(i0..i0 + BLOCK), cos.get_mut(i0..i0 + BLOCK))
            && let (Ok(ds), Ok(dc)) = (
                <&mut [f32; BLOCK]>::try_from(ds),
                <&mut [f32; BLOCK]>::try_from(dc),
            )
        {
            let ds = ds.as_chunks_mut::<8>().0.iter_mut();
            let dc = dc.as_chunks_mut::<8>().0.iter_mut();
            for ((ds, dc), (s, c)) in ds.zip(dc).zip(lanes) {
                put8::<ADD>(ds, s);
                put8::<ADD>(dc, c);
            }
        }
    }
}

/// One row: anchor `(sa, ca)` plus offset `(so, co)` for frequencies
/// `i0 .. i0 + sa.len()`, in the configured layout.
#[inline(always)]
fn write_row<const ADD: bool>(
    shape: &Shape,
    i0: usize,
    (sa, ca): (&[f32], &[f32]),
    (so, co): (&[f32], &[f32]),
    row: &mut [f32],
) {
    let n = sa.len();
    if i0 + n > shape.n_cos {
        return write_generic::<ADD>(shape, i0, (sa, ca), (so, co), row);
    }
    let (sa8, _) = sa.as_chunks::<8>();
    let (ca8, _) = ca.as_chunks::<8>();
    let (so8, _) = so.as_chunks::<8>();
    let (co8, _) = co.as_chunks::<8>();
    let lanes = sa8
        .iter()
        .zip(ca8)
        .zip(so8)
        .zip(co8)
        .map(|(((sa, ca), so), co)| {
            let (sa, ca) = (F32x8::load(sa), F32x8::load(ca));
            let (so, co) = (F32x8::load(so), F32x8::load(co));
            (sa * co + ca * so, ca * co - sa * so)
        });
    let done = 8 * sa8.len();
    if shape.interleaved {
        if let Some(d) = row.get_mut(2 * i0..2 * (i0 + done)) {
            for (d, (s, c)) in d.as_chunks_mut::<16>().0.iter_mut().zip(lanes) {
                let (lo, hi) = F32x8::interleave(s, c);
                let (a, b) = d.split_at_mut(8);
                put8::<ADD>(a, lo);
                put8::<ADD>(b, hi);
            }
        }
    } else {
        let (sin, cos) = row.split_at_mut(shape.n_sin.min(row.len()));
        if let (Some(ds), Some(dc)) = (sin.get_mut(i0..i0 + done), cos.get_mut(i0..i0 + done)) {
            let ds = ds.as_chunks_mut::<8>().0.iter_mut();
            let dc = dc.as_chunks_mut::<8>().0.iter_mut();
            for ((ds, dc), (s, c)) in ds.zip(dc).zip(lanes) {
                put8::<ADD>(ds, s);
                put8::<ADD>(dc, c);
            }
        }
    }
    if done < n {
        fn t(x: &[f32], done: usize) -> &[f32] {
            x.get(done..).unwrap_or(&[])
        }
        let t = |x| t(x, done);
        write_generic::<ADD>(shape, i0 + done, (t(sa), t(ca)), (t(so), t(co)), row);
    }
}

/// Column by column: the tail of a block, and the block that holds an odd
/// width's extra sine.
#[inline(never)]
fn write_generic<const ADD: bool>(
    shape: &Shape,
    i0: usize,
    (sa, ca): (&[f32], &[f32]),
    (so, co): (&[f32], &[f32]),
    row: &mut [f32],
) {
    for (k, (((&sa, &ca), &so), &co)) in sa.iter().zip(ca).zip(so).zip(co).enumerate() {
        let (s, c) = add_angles(sa, ca, so, co);
        let j = i0 + k;
        let (sc, cc) = if shape.interleaved {
            (2 * j, 2 * j + 1)
        } else {
            (j, shape.n_sin + j)
        };
        if let Some(d) = row.get_mut(sc) {
            put1::<ADD>(d, s);
        }
        if j < shape.n_cos
            && let Some(d) = row.get_mut(cc)
        {
            put1::<ADD>(d, c);
        }
    }
}
