//! Shared by `benches/gather.rs` and `examples/gather_speed.rs`: the physical
//! limit of a gather and the fused epilogue as a bare loop.

/// The physical limit: one `memcpy` (`copy_from_slice`) per row.
pub fn memcpy_rows(table: &[f32], dim: usize, ids: &[u32], out: &mut [f32]) {
    for (o, &i) in out.chunks_exact_mut(dim).zip(ids) {
        let r = i as usize * dim;
        o.copy_from_slice(&table[r..r + dim]);
    }
}

/// The fused epilogue as a plain Rust loop (no validation, vectorized by the
/// compiler): what the same three streams (table row, add row, output) cost
/// without a library around them.
pub fn naive_scale_add(
    table: &[f32],
    dim: usize,
    ids: &[u32],
    s: f32,
    add: &[f32],
    out: &mut [f32],
) {
    for ((o, &i), a) in out
        .chunks_exact_mut(dim)
        .zip(ids)
        .zip(add.chunks_exact(dim))
    {
        let r = i as usize * dim;
        for ((o, x), a) in o.iter_mut().zip(&table[r..r + dim]).zip(a) {
            *o = *x * s + *a;
        }
    }
}
