//! The table kernel: many consecutive positions by exact rotation in f64.
//!
//! For `T` consecutive positions, `(sin, cos)` of position `p + 1` is the
//! rotation of position `p`'s by the angle `ω_i`:
//! `s' = s·cos ω + c·sin ω`, `c' = c·cos ω − s·sin ω`. Done in f64 with
//! separate multiplies and adds (no fused multiply-add: the same bits on
//! every target), each row rounded once to f32. The start of every run of
//! [`ANCHOR`] rows is re-anchored from the exact integer phase `p · F_i`
//! (`libm::sin`/`libm::cos` of the f64 angle), and the rotation angle is the
//! exact fixed-point step `F_i`, so the error does not grow with `p`.
//!
//! Error bound per output, against the exact `sin`/`cos(p · ω_i)`: the f32
//! rounding (`2^-25`, values are at most 1) plus the f64 error: anchor
//! `< 1e-15`, each rotation step adds `< 1.5e-15` (three roundings and the
//! rounding of `sin ω`, `cos ω`), at most `ANCHOR` steps: `< 2e-12`; plus the
//! rounding of `F_i` (`≤ 2^-33` turn = 7.4e-10 rad for `p < 2^32`).
//! Total `< 3.1e-8`: well inside the 2^-22 contract, and plain loops that
//! the compiler vectorizes for every target.

use super::kernel::{BLOCK, Shape};

/// Rows between exact re-anchorings.
pub(crate) const ANCHOR: usize = 1024;

/// sin and cos of `2π · phase / 2^64` in f64 (error `< 1e-15`).
#[inline]
fn sincos_f64(phase: u64) -> (f64, f64) {
    // 2π / 2^64 (exact scaling of the f64 2π).
    const RAD: f64 = core::f64::consts::TAU / 18_446_744_073_709_551_616.0;
    let a = phase as i64 as f64 * RAD;
    (libm::sin(a), libm::cos(a))
}

/// Writes positions `start, start + 1, …` (the rows of `out`, dense, width
/// `shape.dim`) for frequencies `i0 .. i0 + turns.len()` (at most
/// [`BLOCK`]). Padding rows are skipped (the caller zeroes them).
pub(crate) fn rotate_rows(shape: &Shape, turns: &[u64], i0: usize, start: u32, out: &mut [f32]) {
    let n = turns.len().min(BLOCK);
    let turns = &turns[..n];
    let (mut s, mut c) = ([0.0f64; BLOCK], [0.0f64; BLOCK]);
    let (mut rs, mut rc) = ([0.0f64; BLOCK], [0.0f64; BLOCK]);
    for (k, &f) in turns.iter().enumerate() {
        (rs[k], rc[k]) = sincos_f64(f);
    }
    let (s, c, rs, rc) = (&mut s[..n], &mut c[..n], &rs[..n], &rc[..n]);
    let full_cos = i0 + n <= shape.n_cos;
    for (k, row) in out.chunks_exact_mut(shape.dim.max(1)).enumerate() {
        let pos = start.wrapping_add(k as u32);
        if k % ANCHOR == 0 {
            for ((s, c), &f) in s.iter_mut().zip(c.iter_mut()).zip(turns) {
                (*s, *c) = sincos_f64(u64::from(pos).wrapping_mul(f));
            }
        }
        if shape.padding_row != Some(pos) {
            if full_cos && shape.interleaved {
                if let Some(d) = row.get_mut(2 * i0..2 * (i0 + n)) {
                    for ((d, &s), &c) in d.chunks_exact_mut(2).zip(s.iter()).zip(c.iter()) {
                        d[0] = s as f32;
                        d[1] = c as f32;
                    }
                }
            } else if full_cos {
                if let Some(d) = row.get_mut(i0..i0 + n) {
                    for (d, &s) in d.iter_mut().zip(s.iter()) {
                        *d = s as f32;
                    }
                }
                let c0 = shape.n_sin + i0;
                if let Some(d) = row.get_mut(c0..c0 + n) {
                    for (d, &c) in d.iter_mut().zip(c.iter()) {
                        *d = c as f32;
                    }
                }
            } else {
                write_generic(shape, i0, s, c, row);
            }
        }
        for (((s, c), &rs), &rc) in s.iter_mut().zip(c.iter_mut()).zip(rs).zip(rc) {
            let (s0, c0) = (*s, *c);
            *s = s0 * rc + c0 * rs;
            *c = c0 * rc - s0 * rs;
        }
    }
}

/// Column by column, for the block that holds an odd width's extra sine.
#[cold]
fn write_generic(shape: &Shape, i0: usize, s: &[f64], c: &[f64], row: &mut [f32]) {
    for (k, (&s, &c)) in s.iter().zip(c).enumerate() {
        let j = i0 + k;
        let (sc, cc) = if shape.interleaved {
            (2 * j, 2 * j + 1)
        } else {
            (j, shape.n_sin + j)
        };
        if let Some(d) = row.get_mut(sc) {
            *d = s as f32;
        }
        if j < shape.n_cos
            && let Some(d) = row.get_mut(cc)
        {
            *d = c as f32;
        }
    }
}
