//! The AVX2 bodies of the many-token gather, for x86_64 CPUs with AVX2
//! running a build that does not enable it: the rows through an epilogue
//! (`× scale`, `+ add` row), and the plain copy of short rows.
//! `#[target_feature]` functions with safe bodies, called only through
//! `crate::arch` (`gather_epilogue_rows`, `gather_copy_rows`), which checks
//! (once, by `cpuid`) that the CPU runs them; that call is the `unsafe`
//! part.
//!
//! The whole token loop runs inside the body (the loop, prefetch and bounds
//! of `NativeRows::each`), so a row costs no call and no dispatch: rows of
//! any length take the 32-byte epilogue of `formats::avx2::f32`. Short rows
//! gain most: one call per row of 64 values cost more than the wider stores
//! saved. The same IEEE operations in the same order as the lanes, so the
//! same bits.

use super::NativeRows;
use crate::formats::Post;

/// `out[t] = table[tokens[t]]` times `times` (`S`), plus add row `t`
/// (`A`, `add` holding a row of `rows.width` per token), for every token.
#[target_feature(enable = "avx2")]
pub(crate) fn epilogue_rows<const S: bool, const A: bool>(
    rows: NativeRows<'_, '_>,
    times: f32,
    add: &[f32],
) {
    let width = rows.width;
    rows.each(false, |t, src, row| {
        let add = if A {
            add.get(t * width..(t + 1) * width).unwrap_or(&[])
        } else {
            &[]
        };
        crate::formats::avx2::f32::<S, A>(src, Post { times, add }, row);
    });
}

/// `out[t] = table[tokens[t]]` for every token: the plain copy of short
/// whole rows into a dense `out` (`gather::short_rows`), 32 bytes a move
/// where the SSE2 lanes move 16, and every bit as it was (NaN payloads
/// too: moves, no arithmetic).
#[target_feature(enable = "avx2")]
pub(crate) fn copy_rows(rows: NativeRows<'_, '_>) {
    rows.each(true, |_, src, row| {
        let (o8, o1) = row.as_chunks_mut::<8>();
        let (s8, s1) = src.as_chunks::<8>();
        for (o, s) in o8.iter_mut().zip(s8) {
            *o = *s;
        }
        for (o, s) in o1.iter_mut().zip(s1) {
            *o = *s;
        }
    });
}
