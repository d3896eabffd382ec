//! Angular frequency → 64-bit fixed-point turns per position.
//!
//! Algorithm: write `ω = m · 2^e` (m a 53-bit integer) and multiply `m`
//! exactly by `⌊2^1152 / 2π⌋` (18 64-bit limbs), then read the 64 bits of
//! the product that weigh `2^-1 … 2^-64` turns, rounding on the next bit
//! (the Payne–Hanek idea, in integers). The truncated tail of 1/2π is below
//! `2^(53 + e + 64 - 1152)` units, which is `< 2^-49` units for every finite
//! f64 `ω` (`e ≤ 971`), so the result is the correctly rounded
//! `round(ω / 2π · 2^64) mod 2^64` except possibly at an exact tie.
//!
//! Error bound: `|F - ω/2π·2^64 (mod 2^64)| ≤ 1/2 + 2^-49` units of
//! `2^-64` turns; hence the phase `p·F` is within `p · 2^-65` turns
//! (plus `2^-49·p` units) of exact, `≤ 2^-33` turns for every `p < 2^32`.
//! Source of the constant: 1152 bits of 1/(2π), computed with mpmath.

/// `⌊2^1152 / (2π)⌋`, most significant limb first.
const INV_TWO_PI: [u64; 18] = [
    0x28BE_60DB_9391_054A,
    0x7F09_D5F4_7D4D_3770,
    0x36D8_A566_4F10_E410,
    0x7F94_58EA_F7AE_F158,
    0x6DC9_1B8E_9093_74B8,
    0x0192_4BBA_8274_6487,
    0x3F87_7AC7_2C4A_69CF,
    0xBA20_8D7D_4BAE_D121,
    0x3A67_1C09_AD17_DF90,
    0x4E64_758E_60D4_CE7D,
    0x2721_17E2_EF7E_4A0E,
    0xC7FE_25FF_F781_6603,
    0xFBCB_C462_D682_9B47,
    0xDB4D_9FB3_C9F2_C26D,
    0xD3D1_8FD9_A797_FA8B,
    0x5D49_EEB1_FAF9_7C5E,
    0xCF41_CE7D_E294_A4BA,
    0x9AFE_D7EC_47E3_5742,
];

/// Number of bits in the fixed-point 1/2π.
const BITS: i32 = 64 * INV_TWO_PI.len() as i32;

/// Angular frequency `omega` (radians per position) as 64-bit fixed-point
/// turns per position: `round(omega / 2π · 2^64) mod 2^64`.
///
/// The phase of position `p` is `p.wrapping_mul(F)`, exact modulo one turn
/// up to the rounding of `F` (see the module docs for the bound).
///
/// `omega` must be finite and `≥ 0`; callers validate that (a NaN, infinite
/// or negative `omega` gives an unspecified but non-panicking result: the
/// sign is ignored and non-finite values give 0).
#[must_use]
pub(crate) fn turns_per_pos(omega: f64) -> u64 {
    if !omega.is_finite() {
        return 0;
    }
    let bits = omega.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    // omega = m · 2^e with m < 2^53.
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    if m == 0 {
        return 0;
    }
    // F = round(m · INV · 2^(e + 64 - BITS)), INV the 1152-bit integer.
    // The product P = m · INV has 19 limbs (little-endian below); we need
    // bits [sh, sh + 64) of P and the rounding bit sh - 1, sh = BITS - 64 - e.
    let sh = BITS - 64 - e;
    // sh ≥ 1152 - 64 - 971 = 117 > 0 always. If sh - 1 ≥ 53 + BITS, P < 2^(sh-1):
    // the value is below half a unit and rounds to 0.
    if sh > 53 + BITS {
        return 0;
    }
    let mut prod = [0u64; 19];
    let mut carry: u128 = 0;
    for (k, &limb) in INV_TWO_PI.iter().rev().enumerate() {
        let t = u128::from(limb) * u128::from(m) + carry;
        prod[k] = t as u64;
        carry = t >> 64;
    }
    prod[18] = carry as u64;
    let bit = |pos: i32| -> u64 {
        // Bits of P from `pos` (may be negative: zeros below bit 0).
        if pos < 0 {
            return 0;
        }
        let (limb, off) = ((pos / 64) as usize, pos % 64);
        let lo = prod.get(limb).copied().unwrap_or(0) >> off;
        let hi = if off == 0 {
            0
        } else {
            prod.get(limb + 1).copied().unwrap_or(0) << (64 - off)
        };
        lo | hi
    };
    let word = bit(sh);
    let round = bit(sh - 1) & 1;
    word.wrapping_add(round)
}

#[cfg(test)]
mod tests {
    use super::turns_per_pos;

    /// Independent check: double-double `omega · (1/2π)` with a three-part
    /// 1/2π, valid (to well under one unit) for `omega < 2^20`.
    fn dd_turns(omega: f64) -> u64 {
        const C0: f64 = 0.159_154_943_091_895_35;
        const C1: f64 = -9.839_338_337_591_243e-18;
        let hi = omega * C0;
        let lo = libm::fma(omega, C0, -hi) + omega * C1;
        let fl = libm::floor(hi);
        let f = (hi - fl) + lo; // in [−ε, 1 + ε)
        // Split f·2^64 into exact integer parts: fh = f rounded to 2^-32.
        let f32p = libm::floor(f * 4_294_967_296.0);
        let rest = ((hi - fl) - f32p / 4_294_967_296.0) + lo;
        let low = libm::round(rest * 18_446_744_073_709_551_616.0);
        ((f32p as i64 as u64) << 32).wrapping_add(low as i64 as u64)
    }

    #[test]
    fn turns_per_pos_matches_double_double_within_one_unit() {
        let mut x = 0x1234_5678_9abc_def0_u64;
        for k in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // omega in [2^-40, 2^19], log-uniform-ish
            let e = (k % 60) - 40;
            let omega = (1.0 + (x >> 11) as f64 / (1u64 << 53) as f64) * libm::exp2(f64::from(e));
            let a = turns_per_pos(omega);
            let b = dd_turns(omega);
            let d = a.wrapping_sub(b) as i64;
            assert!(d.abs() <= 1, "omega={omega:e}: {a:#x} vs {b:#x}");
        }
    }

    #[test]
    fn turns_per_pos_is_correctly_rounded_on_known_values() {
        // Expected values: round(omega / 2π · 2^64) mod 2^64 with mpmath at
        // 3000 bits, for the f64 `omega` as written.
        assert_eq!(turns_per_pos(0.0), 0);
        assert_eq!(turns_per_pos(f64::NAN), 0);
        assert_eq!(turns_per_pos(f64::INFINITY), 0);
        // The f64 π is 1.22e-16 rad below π: 360.46 units below half a turn.
        assert_eq!(
            turns_per_pos(core::f64::consts::PI),
            9_223_372_036_854_775_448
        );
        assert_eq!(
            turns_per_pos(core::f64::consts::FRAC_PI_2),
            4_611_686_018_427_387_724
        );
        assert_eq!(
            turns_per_pos(core::f64::consts::TAU),
            18_446_744_073_709_550_897
        );
        assert_eq!(turns_per_pos(1.0), 2_935_890_503_282_001_226);
        assert_eq!(turns_per_pos(1e-4), 293_589_050_328_200);
        assert_eq!(turns_per_pos(123_456.789), 0xc21b_3446_5f00_376e);
        assert_eq!(turns_per_pos(1e300), 0xa705_623b_8bf4_109e);
        assert_eq!(
            turns_per_pos(1.5 * libm::exp2(900.0)),
            0xdba5_7c67_b63f_7d11
        );
        // Tiny and extreme finite values do not panic.
        assert_eq!(turns_per_pos(f64::from_bits(1)), 0);
        let _ = turns_per_pos(f64::MIN_POSITIVE);
        let _ = turns_per_pos(f64::MAX);
    }
}
