//! T5 relative-position buckets (`_relative_position_bucket` of HF
//! `modeling_t5.py`, from Mesh TensorFlow), reproduced exactly.
//!
//! The reference formula maps a distance `n ≥ max_exact` to
//! `max_exact + trunc(logf(f32(n) / f32(max_exact)) / f32(ln(M / max_exact)) · f32(B − max_exact))`,
//! capped at `B − 1`, all in float32. Every step is monotone in `n`, so the
//! bucket only changes at a few integer thresholds. [`T5Buckets::try_new`]
//! finds them once (binary search over `n ∈ [max_exact, 2^31]` evaluating the
//! f32 formula itself), and [`T5Buckets::bucket`] is then integer-only: a
//! count of thresholds below `n`. Equal to the formula for every `i32`
//! relative position (proved by the extensive test behind
//! `INLAYER_EXTENSIVE=1`, which walks every distinct `f32(n)`), with
//! `libm::logf` (correctly rounded in practice) standing in for PyTorch's log.

use crate::Error;

/// Largest supported `num_buckets`.
pub const MAX_BUCKETS: u32 = 1024;

/// A T5 bucketing scheme with its threshold table.
///
/// ```
/// use inlayer::relative::T5Buckets;
/// let enc = T5Buckets::try_new(true, 32, 128)?; // T5 encoder defaults
/// assert_eq!(enc.bucket(0), 0);
/// assert_eq!(enc.bucket(-3), 3);
/// assert_eq!(enc.bucket(3), 19); // keys after the query use the upper half
/// assert_eq!(enc.bucket(-1000), 15);
/// let dec = T5Buckets::try_new(false, 32, 128)?;
/// assert_eq!(dec.bucket(5), 0); // the future is one bucket
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct T5Buckets {
    bidirectional: bool,
    num_buckets: u32,
    /// Buckets per side (`num_buckets`, halved if bidirectional).
    side: u32,
    max_exact: u32,
    /// `thresholds[k]`: smallest `n` in bucket `max_exact + 1 + k`.
    thresholds: [u32; (MAX_BUCKETS / 2) as usize],
    count: usize,
}

impl T5Buckets {
    /// Builds the scheme: `bidirectional` (encoder) or not (decoder),
    /// `num_buckets` (T5: 32), `max_distance` (T5: 128).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `num_buckets` leaves fewer than 2 buckets
    /// per side or exceeds [`MAX_BUCKETS`], or if
    /// `max_distance <= max_exact` (the formula would divide by `ln 1 = 0`).
    pub fn try_new(
        bidirectional: bool,
        num_buckets: u32,
        max_distance: u32,
    ) -> Result<Self, Error> {
        let side = if bidirectional {
            num_buckets / 2
        } else {
            num_buckets
        };
        if side < 2 || num_buckets > MAX_BUCKETS {
            return Err(Error::InvalidConfig {
                what: "num_buckets",
                value: f64::from(num_buckets),
                bound: "in 2..=1024 (4..=1024 if bidirectional)",
            });
        }
        let max_exact = side / 2;
        if max_distance <= max_exact {
            return Err(Error::InvalidConfig {
                what: "max_distance",
                value: f64::from(max_distance),
                bound: "> num_buckets / 2 (/ 4 if bidirectional)",
            });
        }
        let mut s = Self {
            bidirectional,
            num_buckets,
            side,
            max_exact,
            thresholds: [u32::MAX; (MAX_BUCKETS / 2) as usize],
            count: 0,
        };
        let f = Formula::new(side, max_distance);
        // Buckets max_exact + 1 ..= side - 1 each start at a threshold.
        for (k, target) in (max_exact + 1..side).enumerate() {
            // Smallest n in [max_exact, 2^31] with f(n) >= target, if any.
            let (mut lo, mut hi) = (u64::from(max_exact), 1u64 << 31);
            if f.eval(hi) < target {
                break;
            }
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if f.eval(mid) >= target {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if let Some(t) = s.thresholds.get_mut(k) {
                *t = lo as u32;
                s.count = k + 1;
            }
        }
        Ok(s)
    }

    /// `num_buckets` as given.
    #[must_use]
    pub const fn num_buckets(&self) -> u32 {
        self.num_buckets
    }

    /// The bucket of `relative_position = key − query`.
    #[must_use]
    #[inline]
    pub fn bucket(&self, relative_position: i32) -> u32 {
        let r = i64::from(relative_position);
        let (base, n) = if self.bidirectional {
            (if r > 0 { self.side } else { 0 }, r.unsigned_abs())
        } else {
            (0, (-r).max(0).unsigned_abs())
        };
        if n < u64::from(self.max_exact) {
            return base + n as u32;
        }
        let above = self
            .thresholds
            .get(..self.count)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&t| u64::from(t) <= n)
            .count() as u32;
        base + self.max_exact + above
    }

    /// Fills `out` (`[q_len][k_len]`) with the buckets of queries at
    /// `q_start..q_start + q_len` against keys `0..k_len`.
    ///
    /// ```
    /// use inlayer::relative::T5Buckets;
    /// let b = T5Buckets::try_new(true, 32, 128)?;
    /// let mut out = [0u32; 6];
    /// b.fill_buckets(0, 2, 3, &mut out)?;
    /// assert_eq!(out, [0, 17, 18, 1, 0, 17]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if a position reaches 2^31;
    /// [`Error::LengthMismatch`] if `out` is not `q_len · k_len` long.
    pub fn fill_buckets(
        &self,
        q_start: u32,
        q_len: usize,
        k_len: usize,
        out: &mut [u32],
    ) -> Result<(), Error> {
        check_positions(q_start, q_len, k_len)?;
        let need = q_len.checked_mul(k_len).ok_or(Error::Overflow)?;
        if out.len() != need {
            return Err(len_err("out", need, out.len()));
        }
        if need == 0 {
            return Ok(());
        }
        for (qi, row) in out.chunks_exact_mut(k_len.max(1)).enumerate() {
            let i = i64::from(q_start) + qi as i64;
            for (j, o) in row.iter_mut().enumerate() {
                *o = self.bucket((j as i64 - i) as i32);
            }
        }
        Ok(())
    }

    /// Fills `out` (`[heads][q_len][k_len]`) with `table[bucket][head]`
    /// (`table` is the `relative_attention_bias` embedding,
    /// `[num_buckets][heads]`), as HF's `compute_bias` does.
    ///
    /// ```
    /// use inlayer::relative::T5Buckets;
    /// let b = T5Buckets::try_new(false, 4, 8)?;
    /// let table = [0.0f32, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0]; // 4 buckets × 2 heads
    /// let mut out = [0.0f32; 2 * 1 * 2];
    /// b.fill_bias(&table, 2, 1, 1, 2, &mut out)?; // query at 1, keys 0..2
    /// assert_eq!(out, [1.0, 0.0, 11.0, 10.0]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`fill_buckets`](Self::fill_buckets); [`Error::InvalidShape`] if
    /// `heads == 0`; [`Error::LengthMismatch`] if `table` is not
    /// `num_buckets · heads` long or `out` not `heads · q_len · k_len`.
    pub fn fill_bias(
        &self,
        table: &[f32],
        heads: usize,
        q_start: u32,
        q_len: usize,
        k_len: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        if heads == 0 {
            return Err(Error::InvalidShape {
                what: "heads",
                value: 0,
            });
        }
        check_positions(q_start, q_len, k_len)?;
        let tlen = (self.num_buckets as usize)
            .checked_mul(heads)
            .ok_or(Error::Overflow)?;
        if table.len() != tlen {
            return Err(len_err("table", tlen, table.len()));
        }
        let plane = q_len.checked_mul(k_len).ok_or(Error::Overflow)?;
        let need = plane.checked_mul(heads).ok_or(Error::Overflow)?;
        if out.len() != need {
            return Err(len_err("out", need, out.len()));
        }
        if need == 0 {
            return Ok(());
        }
        for (h, head) in out.chunks_exact_mut(plane.max(1)).enumerate() {
            for (qi, row) in head.chunks_exact_mut(k_len.max(1)).enumerate() {
                let i = i64::from(q_start) + qi as i64;
                for (j, o) in row.iter_mut().enumerate() {
                    let b = self.bucket((j as i64 - i) as i32) as usize;
                    *o = table.get(b * heads + h).copied().unwrap_or(0.0);
                }
            }
        }
        Ok(())
    }
}

/// The float32 large-distance formula, as HF evaluates it.
struct Formula {
    max_exact: u32,
    side: u32,
    /// `f32(math.log(max_distance / max_exact))` (Python f64, then f32).
    log_ratio: f32,
}

impl Formula {
    fn new(side: u32, max_distance: u32) -> Self {
        let max_exact = side / 2;
        let log_ratio = libm::log(f64::from(max_distance) / f64::from(max_exact)) as f32;
        Self {
            max_exact,
            side,
            log_ratio,
        }
    }

    /// Bucket offset within a side for `n >= max_exact` (uncapped beyond
    /// `side - 1`, which is fine for `>=` comparisons below the cap).
    fn eval(&self, n: u64) -> u32 {
        let x = libm::logf(n as f32 / self.max_exact as f32) / self.log_ratio
            * (self.side - self.max_exact) as f32;
        // `as` truncates toward zero and saturates, like `.to(long)` on
        // these finite, non-negative values.
        let v = self.max_exact as u64 + x as u64;
        v.min(u64::from(self.side - 1)) as u32
    }
}

fn check_positions(q_start: u32, q_len: usize, k_len: usize) -> Result<(), Error> {
    const LIMIT: u64 = 1 << 31;
    if u64::from(q_start) + q_len as u64 > LIMIT {
        return Err(Error::InvalidShape {
            what: "q_start + q_len",
            value: (q_start as usize).saturating_add(q_len),
        });
    }
    if k_len as u64 > LIMIT {
        return Err(Error::InvalidShape {
            what: "k_len",
            value: k_len,
        });
    }
    Ok(())
}

#[cold]
fn len_err(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        actual,
    }
}
