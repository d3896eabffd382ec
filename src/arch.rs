//! Target instructions that safe Rust cannot reach: the crate's only
//! `unsafe` code, two calls, each under a `// SAFETY:` comment.
//!
//! - `prefetch`: `_mm_prefetch`, the cache hint the gather issues for the
//!   rows of upcoming tokens (see `prefetch.rs`); x86_64 only, and SSE is
//!   part of its baseline.
//! - `f16x8`: `vcvtph2ps`, the F16C widening of eight `f16`, compiled only
//!   when the build enables F16C and AVX2 (`-C target-cpu=native` on any
//!   x86-64-v3 machine). The issue's "hardware conversion only where the
//!   target enables it": the build, not a run-time test, decides.
//!
//! Calling a `#[target_feature]` function needs `unsafe` even when the
//! whole build enables the feature; the `cfg` on each call is what makes
//! it sound.

#![allow(unsafe_code)]

/// Hints the cache line holding `x` into every cache level (`T0`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    // SAFETY: `_mm_prefetch` only hints the cache hierarchy. It never faults
    // (even on an invalid address) and has no effect visible to the program;
    // the pointer comes from a live reference anyway. SSE is part of the
    // x86_64 baseline, so the instruction always exists.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            core::ptr::from_ref(x).cast(),
        );
    }
}

/// Eight little-endian `f16` (16 bytes) widened to `f32` by F16C, bit for
/// bit the values of the software widening (`formats::lanes`): exact, NaN
/// payloads kept, a signalling NaN still signalling.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "f16c"
))]
#[inline(always)]
pub(crate) fn f16x8(b: &[u8; 16]) -> [f32; 8] {
    // SAFETY: the `cfg` above compiles this call only into builds that
    // enable AVX2 and F16C for every function, so each instruction of
    // `f16x8_f16c` exists on the machine the build targets; it takes and
    // returns plain values (no pointers).
    unsafe { f16x8_f16c(b) }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "f16c"
))]
#[target_feature(enable = "avx2,f16c")]
#[inline]
fn f16x8_f16c(b: &[u8; 16]) -> [f32; 8] {
    use core::arch::x86_64::{
        __m128i, _CMP_UNORD_Q, _mm256_blendv_ps, _mm256_castsi256_ps, _mm256_cmp_ps,
        _mm256_cvtepi16_epi32, _mm256_cvtph_ps, _mm256_or_si256, _mm256_set1_epi32,
        _mm256_slli_epi32,
    };
    let h: __m128i = bytemuck::cast(*b);
    let x = _mm256_cvtph_ps(h);
    // `vcvtph2ps` quiets a signalling NaN; the software widening keeps every
    // NaN's bits. NaN lanes take them from the input instead: the sign
    // (sign-extended to bits 29..31 by the widening to 32 bits), the
    // all-ones exponent, the ten payload bits at 13..22.
    let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
    let bits = _mm256_or_si256(
        _mm256_slli_epi32::<13>(_mm256_cvtepi16_epi32(h)),
        _mm256_set1_epi32(0x7f80_0000),
    );
    bytemuck::cast(_mm256_blendv_ps(x, _mm256_castsi256_ps(bits), nan))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn prefetch_changes_nothing() {
        let row = [7u8; 256];
        for x in row.iter().step_by(64).chain(row.last()) {
            super::prefetch(x);
        }
        assert_eq!(row, [7u8; 256]);
    }

    /// Every `f16` pattern (every 7th under Miri, which is slow).
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "f16c"
    ))]
    #[test]
    fn f16c_widening_equals_the_reference_bit_for_bit() {
        use crate::reference::formats::f16_to_f32;
        let step = if cfg!(miri) { 7 } else { 1 };
        let patterns: std::vec::Vec<u16> = (0..=u16::MAX).step_by(step).collect();
        for h in patterns.chunks(8) {
            let mut b = [0u8; 16];
            for (b, h) in b.chunks_exact_mut(2).zip(h) {
                b.copy_from_slice(&h.to_le_bytes());
            }
            let got = super::f16x8(&b);
            for (&g, &h) in got.iter().zip(h) {
                let want = f16_to_f32(h);
                assert_eq!(g.to_bits(), want.to_bits(), "{h:#06x}: {g:?} != {want:?}");
            }
        }
    }
}
