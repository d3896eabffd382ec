//! Reference ALiBi slopes and T5 buckets, written as the original code
//! reads: Press's `get_slopes` (Python floats, i.e. `f64`, then `f32`),
//! BLOOM's `build_alibi_tensor` (an f32 base raised to integer powers), and
//! HF T5's `_relative_position_bucket` in float32.

/// Press et al.'s `get_slopes(n)`: `start = 2^(−2^−(log2 n − 3))`,
/// slopes `start · start^i` in `f64`; for a non-power-of-two `n`, the
/// slopes of the largest power of two `c` below, then every other slope of
/// `2c`. Rounded once to `f32` (what `torch.tensor` does).
///
/// ```
/// let mut m = [0.0f32; 3];
/// inlayer::reference::relative::alibi_slopes_press(&mut m);
/// assert_eq!(m, [0.0625, 0.00390625, 0.25]);
/// ```
pub fn alibi_slopes_press(out: &mut [f32]) {
    fn power_of_2(n: usize, k: usize) -> f64 {
        // start * ratio**k with start = ratio = 2**(-2**-(log2(n)-3))
        let start = libm::pow(2.0, -libm::pow(2.0, -(libm::log2(n as f64) - 3.0)));
        start * libm::pow(start, k as f64)
    }
    let n = out.len();
    if n == 0 {
        return;
    }
    let c = 1usize << n.ilog2();
    for (h, o) in out.iter_mut().enumerate() {
        let v = if h < c {
            power_of_2(c, h)
        } else {
            // get_slopes(2c)[0::2][h - c]
            power_of_2(2 * c, 2 * (h - c))
        };
        *o = v as f32;
    }
}

/// BLOOM's `build_alibi_tensor` slopes: `base = f32(2^(−2^−(log2 c − 3)))`,
/// `torch.pow(base, [1..=c])` in f32; extra heads `torch.pow(extra_base,
/// [1, 3, 5, ..])` with the base of `2c`.
///
/// ```
/// let mut m = [0.0f32; 2];
/// inlayer::reference::relative::alibi_slopes_bloom(&mut m);
/// assert_eq!(m, [0.0625, 0.00390625]);
/// ```
pub fn alibi_slopes_bloom(out: &mut [f32]) {
    let n = out.len();
    if n == 0 {
        return;
    }
    let c = 1usize << n.ilog2();
    let base_of = |c: usize| libm::pow(2.0, -libm::pow(2.0, -(libm::log2(c as f64) - 3.0))) as f32;
    let base = base_of(c);
    let extra_base = base_of(2 * c);
    for (h, o) in out.iter_mut().enumerate() {
        *o = if h < c {
            libm::powf(base, (h + 1) as f32)
        } else {
            libm::powf(extra_base, (2 * (h - c) + 1) as f32)
        };
    }
}

/// The ALiBi bias of one head for key `j`: `slope · (j − zero)` in f32,
/// with `zero` the query position `i` (relative form), `0` (key index) or
/// `k_len − 1` (MPT).
///
/// ```
/// // query at 5, key at 1, relative form: −0.25 · (5 − 1)
/// assert_eq!(inlayer::reference::relative::alibi_bias(0.25, 1, 5), -1.0);
/// ```
#[must_use]
pub fn alibi_bias(slope: f32, j: i64, zero: i64) -> f32 {
    slope * (j - zero) as f32
}

/// HF T5 `_relative_position_bucket` for one `relative_position`
/// (`key − query`), in float32 exactly as written (`torch.log` →
/// `libm::logf`).
///
/// ```
/// use inlayer::reference::relative::t5_bucket;
/// assert_eq!(t5_bucket(-20, true, 32, 128), 10);
/// ```
#[must_use]
pub fn t5_bucket(
    relative_position: i64,
    bidirectional: bool,
    num_buckets: u32,
    max_distance: u32,
) -> u32 {
    let mut num_buckets = i64::from(num_buckets);
    let mut relative_buckets = 0i64;
    let relative_position = if bidirectional {
        num_buckets /= 2;
        if relative_position > 0 {
            relative_buckets += num_buckets;
        }
        relative_position.abs()
    } else {
        -relative_position.min(0)
    };
    let max_exact = num_buckets / 2;
    let is_small = relative_position < max_exact;
    let log_ratio = libm::log(f64::from(max_distance) / max_exact as f64) as f32;
    let large = libm::logf(relative_position as f32 / max_exact as f32) / log_ratio
        * (num_buckets - max_exact) as f32;
    let large = (max_exact + large as i64).min(num_buckets - 1);
    relative_buckets += if is_small { relative_position } else { large };
    relative_buckets as u32
}
