//! Helpers shared by the integration tests (`mod common;`).

/// FNV-1a over the bits of the values: the known-answer hashes of the
/// bit-identity tests.
pub fn fnv(v: &[f32]) -> u64 {
    v.iter().fold(0xcbf2_9ce4_8422_2325, |h, x| {
        (h ^ u64::from(x.to_bits())).wrapping_mul(0x0100_0000_01b3)
    })
}
