//! AVX2 bodies of the input layer's row sums (`kernel::combine_k`) and
//! LayerNorm (`kernel::layer_norm`), for
//! x86_64 CPUs with AVX2 running a build that does not enable it:
//! `#[target_feature]` functions with safe bodies, called only through
//! `crate::arch::{input_combine, layer_norm_stats, layer_norm_apply}`, which check (once,
//! by `cpuid`) that the CPU runs them; that call is the `unsafe` part.
//!
//! The same operations in the same order as the lanes, so the same bits:
//! each of the four `F32x8` accumulators of `kernel::sum32` is one 32-byte
//! vector here (SSE2 adds its two 16-byte halves, lane by lane: the same
//! sums), reduced in the same order, and the normalisation is the lanes'
//! plain loop on 32-byte vectors (no fused multiply-add). The square root
//! between them stays with the caller (`libm`).

use core::arch::x86_64::{__m256, _mm256_add_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_sub_ps};

/// The sum of `x` (or, `SQUARES`, of `(x - m)²`) in four 8-lane
/// accumulators, the tail padded with `pad`: `kernel::sum32`, operation for
/// operation.
#[target_feature(enable = "avx2")]
#[inline]
fn sum32<const SQUARES: bool>(x: &[f32], pad: f32, m: f32) -> f32 {
    let m = _mm256_set1_ps(m);
    let mut acc = [_mm256_set1_ps(0.0); 4];
    let (whole, rest) = x.as_chunks::<32>();
    let mut tail = [pad; 32];
    for (t, &v) in tail.iter_mut().zip(rest) {
        *t = v;
    }
    for c in whole.iter().chain([&tail]) {
        let c: [[f32; 8]; 4] = bytemuck::cast(*c);
        for (a, c) in acc.iter_mut().zip(c) {
            let v: __m256 = bytemuck::cast(c);
            let v = if SQUARES {
                let d = _mm256_sub_ps(v, m);
                _mm256_mul_ps(d, d)
            } else {
                v
            };
            *a = _mm256_add_ps(*a, v);
        }
    }
    let l: [f32; 8] = bytemuck::cast(_mm256_add_ps(
        _mm256_add_ps(acc[0], acc[1]),
        _mm256_add_ps(acc[2], acc[3]),
    ));
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// The mean and the variance of `row`: `kernel::norm_stats`, the same bits.
#[target_feature(enable = "avx2")]
pub(crate) fn norm_stats(row: &[f32]) -> (f32, f32) {
    let d = row.len() as f32;
    let mean = sum32::<false>(row, 0.0, 0.0) / d;
    (mean, sum32::<true>(row, mean, mean) / d)
}

/// `row = ((row - mean) · rstd) · gamma + beta`: `kernel::norm_apply`, the
/// same bits.
#[target_feature(enable = "avx2")]
pub(crate) fn norm_apply(row: &mut [f32], mean: f32, rstd: f32, gamma: &[f32], beta: &[f32]) {
    for ((o, &g), &b) in row.iter_mut().zip(gamma).zip(beta) {
        *o = (*o - mean) * rstd * g + b;
    }
}

/// `o = ((x · s) + a) + b [+ o]` for the terms present (`S`, `A`, `B`,
/// `ACC`): `kernel::combine_k`, the same loop compiled for AVX2 (32-byte
/// vectors), so the same operations and bits.
#[target_feature(enable = "avx2")]
pub(crate) fn combine<const S: bool, const A: bool, const B: bool, const ACC: bool>(
    o: &mut [f32],
    x: &[f32],
    s: f32,
    a: &[f32],
    b: &[f32],
) {
    super::kernel::combine_k::<S, A, B, ACC>(o, x, s, a, b);
}
