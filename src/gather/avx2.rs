//! The AVX2 body of the many-token gather with an epilogue (`× scale`,
//! `+ add` row), for x86_64 CPUs with AVX2 running a build that does not
//! enable it: a `#[target_feature]` function with a safe body, called only
//! through `crate::arch::gather_epilogue_rows`, which checks (once, by
//! `cpuid`) that the CPU runs it; that call is the `unsafe` part.
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
