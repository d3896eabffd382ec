//! The sinusoidal row kernel: sines and cosines of `p · ω_i` for a block of
//! frequencies, written (or added) into one row in the configured layout.
//!
//! Algorithm: each frequency is held as 64-bit fixed-point turns per
//! position `F_i` ([`turns_per_pos`](crate::math::turns_per_pos)); the phase
//! of position `p` is `p · F_i mod 2^64`, exact integer arithmetic, and
//! `crate::math::sincos_octets` evaluates eight frequencies
//! at a time (the scalar twin handles the tail, bit-identically). On
//! x86_64 a one-row call goes to a body first (`super::avx512`,
//! `super::avx2` where AVX-512 or AVX2 runs, else `super::sse2`, through
//! `crate::arch`), sixteen, eight or four frequencies a vector, the same
//! bits.
//!
//! Error bound per output, against `sin`/`cos` of the exact `p · ω_i` (ω_i
//! the f64 frequency): `SINCOS_TURNS_MAX_ABS_ERR` (2^-23) for the
//! `sin`/`cos` of the exact phase (the truncation of the phase to `2^-32`
//! turn included), plus `2π · p · 2^-65` rad ≤ 7.4e-10 for the rounding of
//! `F_i`, for every `p < 2^32`: below 1.2e-7 < 2^-22.

use super::config::{Layout, OddWidth, SinusoidalConfig};
use crate::math::{sincos_octets, sincos_turns};
use crate::simd::F32x8;

/// The shape facts the kernel needs, derived once from a valid config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) dim: usize,
    /// Number of sine columns (= frequencies).
    pub(crate) n_sin: usize,
    /// Number of cosine columns.
    pub(crate) n_cos: usize,
    pub(crate) interleaved: bool,
    /// The last column is a zero column.
    pub(crate) zero_last: bool,
    pub(crate) padding_row: Option<u32>,
}

impl Shape {
    pub(crate) fn new(cfg: &SinusoidalConfig, dim: usize) -> Self {
        Self {
            dim,
            n_sin: cfg.pairs(dim),
            n_cos: dim / 2,
            interleaved: cfg.layout == Layout::Interleaved,
            zero_last: dim % 2 == 1 && cfg.odd == OddWidth::ZeroColumn,
            padding_row: cfg.padding_row,
        }
    }
}

/// The scalar twin of `put8`: stores `v` (`ADD = false`) or adds it (`ADD =
/// true`: the fused input layer adds the encodings to the scaled token rows
/// already there).
#[inline(always)]
pub(super) fn put1<const ADD: bool>(d: &mut f32, v: f32) {
    *d = if ADD { *d + v } else { v };
}

/// Stores `v` into `dst` (eight values), or adds it (`ADD = true`).
#[inline(always)]
pub(super) fn put8<const ADD: bool>(dst: &mut [f32], v: F32x8) {
    if let Ok(d) = <&mut [f32; 8]>::try_from(dst) {
        if ADD {
            (F32x8::load(d) + v).store(d);
        } else {
            v.store(d);
        }
    }
}

/// Stores (or adds) the pairs `s[k], c[k]` of eight sin/cos lanes into
/// `d` as `[s0, c0, s1, c1, …]`: a permutation LLVM lowers for the build
/// (on AVX-512 one 64-byte store, on AVX2 two 32-byte ones;
/// `F32x8::interleave`'s 128-bit unpacks take four 16-byte stores there).
#[inline(always)]
pub(super) fn put_pairs<const ADD: bool>(d: &mut [f32; 16], s: F32x8, c: F32x8) {
    if !crate::simd::SIMD_REGISTERS {
        // Portable arrays: the two-half interleave is 100 bytes smaller on
        // Cortex-M (the `sinusoidal` firmware family).
        let (lo, hi) = F32x8::interleave(s, c);
        let (a, b) = d.split_at_mut(8);
        put8::<ADD>(a, lo);
        put8::<ADD>(b, hi);
        return;
    }
    let (mut sv, mut cv) = ([0.0f32; 8], [0.0f32; 8]);
    s.store(&mut sv);
    c.store(&mut cv);
    let mut pairs = [0.0f32; 16];
    for ((p, s), c) in pairs.as_chunks_mut::<2>().0.iter_mut().zip(sv).zip(cv) {
        *p = [s, c];
    }
    if ADD {
        for (d, p) in d.iter_mut().zip(pairs) {
            *d += p;
        }
    } else {
        *d = pairs;
    }
}

/// Largest number of frequencies [`emit_rows`] steps at once (and the
/// phase buffer of [`emit`] on targets without SIMD registers).
pub(crate) const BLOCK: usize = 32;

/// Writes (`ADD = false`) or adds (`ADD = true`) the encoding of position
/// `pos` for the frequencies of `turns` (all of them) into `row` (the
/// whole row, `row.len() == shape.dim`). Whole-row concerns (padding row,
/// zero column) are the caller's ([`fill_row_edges`]).
#[inline]
pub(crate) fn emit<const ADD: bool>(shape: &Shape, turns: &[u64], pos: u32, row: &mut [f32]) {
    let p = u64::from(pos);
    // On x86_64 a body (`crate::arch`: AVX-512, AVX2 or SSE2) does the
    // leading sixteens, eights or fours of the frequencies with both
    // columns; the lanes the rest.
    let both = turns.len().min(shape.n_cos);
    let i0 = crate::arch::sinusoidal_row::<ADD>(
        turns.get(..both).unwrap_or(&[]),
        pos,
        shape.interleaved,
        shape.n_sin,
        row,
    );
    let turns = turns.get(i0..).unwrap_or(&[]);
    if crate::simd::SIMD_REGISTERS {
        // The phases are formed in registers, eight at a time, right where
        // the sin/cos lanes need them (no round trip through a phase buffer).
        emit_phases::<ADD>(shape, turns, i0, row, |f| p.wrapping_mul(f));
    } else {
        // Portable arrays: through a phase buffer, so this shares its
        // `emit_phases` with `emit_rows` (one copy of the sin/cos lanes).
        let mut ph = [0u64; BLOCK];
        for (b, f) in turns.chunks(BLOCK).enumerate() {
            let ph = &mut ph[..f.len()];
            for (ph, f) in ph.iter_mut().zip(f) {
                *ph = p.wrapping_mul(*f);
            }
            emit_phases::<ADD>(shape, ph, i0 + b * BLOCK, row, |x| x);
        }
    }
}

/// Writes the encodings of positions `start, start + 1, …` (one per row of
/// `out`, dense rows of width `shape.dim`) for frequencies
/// `i0 .. i0 + turns.len()` (`turns.len() <= BLOCK`), stepping the phases by
/// exact integer addition. Rows that are the padding row are skipped.
#[inline]
pub(crate) fn emit_rows(shape: &Shape, turns: &[u64], i0: usize, start: u32, out: &mut [f32]) {
    let n = turns.len().min(BLOCK);
    let turns = &turns[..n];
    let mut ph = [0u64; BLOCK];
    let ph = &mut ph[..n];
    for (ph, f) in ph.iter_mut().zip(turns) {
        *ph = u64::from(start).wrapping_mul(*f);
    }
    for (k, row) in out.chunks_exact_mut(shape.dim.max(1)).enumerate() {
        if shape.padding_row != Some(start.wrapping_add(k as u32)) {
            emit_phases::<false>(shape, ph, i0, row, |x| x);
        }
        for (ph, f) in ph.iter_mut().zip(turns) {
            *ph = ph.wrapping_add(*f);
        }
    }
}

/// The core: sin/cos of the `xs` (frequencies `i0 ..`) into `row`; `x` is
/// a phase, or a frequency, and `phase(x)` is its phase.
#[inline(always)]
fn emit_phases<const ADD: bool>(
    shape: &Shape,
    xs: &[u64],
    i0: usize,
    row: &mut [f32],
    phase: impl Fn(u64) -> u64,
) {
    // Whole sin+cos octets on lanes; the scalar tail below takes the rest.
    let full = xs.len().min(shape.n_cos.saturating_sub(i0));
    let done = sincos_octets(xs.get(..full).unwrap_or(&[]), &phase, |k, s, c| {
        let i = i0 + 8 * k;
        if shape.interleaved {
            if let Some(d) = row.get_mut(2 * i..2 * i + 16)
                && let Ok(d) = <&mut [f32; 16]>::try_from(d)
            {
                put_pairs::<ADD>(d, s, c);
            }
        } else {
            if let Some(d) = row.get_mut(i..i + 8) {
                put8::<ADD>(d, s);
            }
            let c0 = shape.n_sin + i;
            if let Some(d) = row.get_mut(c0..c0 + 8) {
                put8::<ADD>(d, c);
            }
        }
    });
    let i = i0 + done;
    // Scalar tail: the frequencies not done above.
    for (k, &x) in xs.iter().enumerate().skip(i - i0) {
        let j = i0 + k;
        let (s, c) = sincos_turns(phase(x));
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

/// Handles the whole-row cases before [`emit`]: the padding row and an odd
/// width's zero column, whose encoding is zero, written or added (`x + 0`,
/// so a `-0.0` becomes `+0.0` as in the reference's `x·s + pe`). Returns
/// `false` for the padding row: `emit` must be skipped.
#[inline]
pub(crate) fn fill_row_edges<const ADD: bool>(shape: &Shape, pos: u32, row: &mut [f32]) -> bool {
    if shape.padding_row == Some(pos) {
        row.iter_mut().for_each(|o| put1::<ADD>(o, 0.0));
        return false;
    }
    if shape.zero_last
        && let Some(last) = row.last_mut()
    {
        put1::<ADD>(last, 0.0);
    }
    true
}

/// [`fill_row_edges`] for the rows of `out` (positions `start, start + 1,
/// …`, dense rows of `shape.dim`): before the table kernels, which skip
/// them.
pub(crate) fn row_edges<const ADD: bool>(shape: &Shape, start: u32, out: &mut [f32]) {
    for (k, row) in out.chunks_exact_mut(shape.dim.max(1)).enumerate() {
        fill_row_edges::<ADD>(shape, start.wrapping_add(k as u32), row);
    }
}
