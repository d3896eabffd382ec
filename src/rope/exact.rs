//! Position-exact cos/sin for RoPE: caches and streaming application.
//!
//! Algorithm: each frequency ω_j (f64, from the config) becomes a 64-bit
//! fixed-point number of turns per position `F_j` ([`math`](crate::math)),
//! the phase of position `p` is the exact integer `p·F_j mod 2^64`, and
//! `sincos_turns8` evaluates sin/cos of eight phases at once on SIMD lanes
//! with an exact integer reduction. No floating-point angle `p·ω` is
//! ever formed, so the error does not grow with the position.
//!
//! Error bound: every cos/sin is within `2^-23 + 2^-32·π` (< 1.2e-7) of the
//! exact value for the f64 frequency, for every position below 2^32
//! (≤ 2^-22 with the attention factor folded in, relative to it). The
//! rotation then adds one f32 rounding per multiply and add, bit-identical
//! to [`reference::rope::rotate`](crate::reference::rope::rotate) given the
//! same cos/sin.
//!
//! Streaming computes one row of cos/sin per position into two stack
//! arrays of `MAX_HALF` floats and rotates every head (Q and K) at that
//! position with it: no cache memory at all.

use super::{
    Expanded, Layout, Order, Positions, RopeConfig, Shape, kernel, len_err, rotate, rotate_token,
    rotate_token_expanded, shape_err,
};
use crate::Error;
use crate::math::{SINCOS_TURNS_MAX_ABS_ERR, sincos_turns, sincos_turns8, turns_per_pos};
use crate::simd::{F32x8, I32x8};

/// The documented bound of the exact cos/sin (2^-22): the `sincos_turns`
/// bound plus the phase rounding (`≤ 2^-33` turn, 7.4e-10 rad) must fit.
const COS_SIN_BOUND: f64 = 1.0 / 4_194_304.0;
const _: () = assert!(SINCOS_TURNS_MAX_ABS_ERR + 7.4e-10 <= COS_SIN_BOUND);

/// Positions handled by the exact path: `0..2^32`.
const POSITION_LIMIT: u64 = 1 << 32;

/// Position-exact RoPE for one configuration: the frequencies as 64-bit
/// turns per position, and the attention factor. `MAX_HALF` is the largest
/// `rotary_dim / 2` it can hold (default 128, i.e. rotary dims up to 256);
/// it also sizes the two stack arrays of the streaming mode.
///
/// ```
/// use inlayer::rope::{Layout, Positions, Rope, RopeConfig, Shape};
/// let rope: Rope = Rope::try_new(&RopeConfig::new(64, 10_000.0), 1)?;
/// // Rotate 2 tokens × 4 heads × 64 in place, positions 1_000_000 and up,
/// // without any cache:
/// let mut q = vec![0.5f32; 2 * 4 * 64];
/// rope.apply(&mut q, &Shape::new(Layout::HalfSplit, 4, 64), Positions::From(1_000_000))?;
/// // Rotations keep the norm of every pair:
/// let (a, b) = (q[0], q[32]);
/// assert!(((a * a + b * b) - 0.5).abs() < 1e-6);
/// # Ok::<(), inlayer::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rope<const MAX_HALF: usize = 128> {
    turns: [u64; MAX_HALF],
    half: usize,
    attention: f64,
    /// Multiplies every cos and sin: 1, or the attention factor if folded.
    cs_scale: f32,
}

impl<const MAX_HALF: usize> Rope<MAX_HALF> {
    /// Frequencies of `cfg` at sequence length `seq_len` (only `Dynamic`
    /// and `LongRope` depend on it; pass the length the model runs at).
    ///
    /// # Errors
    /// As [`RopeConfig::inv_freqs`]; [`Error::InvalidShape`] if
    /// `rotary_dim / 2 > MAX_HALF`.
    pub fn try_new(cfg: &RopeConfig<'_>, seq_len: u64) -> Result<Self, Error> {
        cfg.validate()?;
        let half = cfg.half();
        if half > MAX_HALF {
            return Err(shape_err("rotary_dim", cfg.rotary_dim));
        }
        let mut w = [0.0f64; MAX_HALF];
        let w = w.get_mut(..half).ok_or(Error::Overflow)?;
        let attention = cfg.inv_freqs(seq_len, w)?;
        let mut s = Self::from_inv_freqs(w)?;
        s.attention = attention;
        Ok(s)
    }

    /// From explicit frequencies ω_j (radians per position), attention
    /// factor 1.
    ///
    /// ```
    /// use inlayer::rope::Rope;
    /// let rope = Rope::<4>::from_inv_freqs(&[1.0, 0.5])?;
    /// assert_eq!(rope.rotary_dim(), 4);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidShape`] if `omega` is empty or longer than
    /// `MAX_HALF`; [`Error::InvalidConfig`] for a negative or non-finite ω.
    pub fn from_inv_freqs(omega: &[f64]) -> Result<Self, Error> {
        if omega.is_empty() || omega.len() > MAX_HALF {
            return Err(shape_err("rotary_dim", 2 * omega.len()));
        }
        if let Some(&w) = omega.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::InvalidConfig {
                what: "inv_freq",
                value: w,
                bound: "finite and >= 0",
            });
        }
        let mut turns = [0u64; MAX_HALF];
        for (t, &w) in turns.iter_mut().zip(omega) {
            *t = turns_per_pos(w);
        }
        Ok(Self {
            turns,
            half: omega.len(),
            attention: 1.0,
            cs_scale: 1.0,
        })
    }

    /// The rotary width, `2 · ω.len()`.
    #[must_use]
    pub const fn rotary_dim(&self) -> usize {
        2 * self.half
    }

    /// The attention factor of the config (1 for most schemes). Unless
    /// [`fold_attention_factor`](Self::fold_attention_factor) was called,
    /// cos/sin are *not* scaled: fold its square into the softmax scale.
    #[must_use]
    pub const fn attention_factor(&self) -> f64 {
        self.attention
    }

    /// Multiplies every cos and sin by the attention factor (rounded to
    /// f32), as HF does for YaRN and LongRoPE.
    ///
    /// ```
    /// use inlayer::rope::{Rope, RopeConfig, Scaling, Yarn};
    /// let cfg = RopeConfig::new(64, 1e4).scaling(Scaling::Yarn(Yarn::new(4.0, 4096)));
    /// let rope: Rope = Rope::try_new(&cfg, 4096)?.fold_attention_factor();
    /// let mut row = [0.0f32; 64];
    /// rope.cos_sin(0, &mut row)?;
    /// assert_eq!(row[0], rope.attention_factor() as f32); // cos 0 · factor
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    #[must_use]
    pub fn fold_attention_factor(mut self) -> Self {
        self.cs_scale = self.attention as f32;
        self
    }

    /// One cache row for position `p`: `[cos θ_0.. | sin θ_0..]`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `row.len() != rotary_dim`.
    pub fn cos_sin(&self, p: u32, row: &mut [f32]) -> Result<(), Error> {
        if row.len() != self.rotary_dim() {
            return Err(len_err("row", self.rotary_dim(), row.len()));
        }
        if let Some((c, s)) = row.split_at_mut_checked(self.half) {
            self.row_at(u64::from(p), c, s);
        }
        Ok(())
    }

    /// Fills a cache for positions `0..cache.len() / rotary_dim` (the
    /// format [`apply_cached`](super::apply_cached) reads).
    ///
    /// ```
    /// use inlayer::rope::{Rope, RopeConfig};
    /// let rope: Rope = Rope::try_new(&RopeConfig::new(8, 10_000.0), 1)?;
    /// let mut cache = vec![0.0f32; 4096 * 8];
    /// rope.fill_cache(&mut cache)?;
    /// assert_eq!(&cache[..8], &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NotWholeRows`] if `cache.len()` is not a multiple of
    /// `rotary_dim`; [`Error::PositionOutOfRange`] past 2^32 rows.
    pub fn fill_cache(&self, cache: &mut [f32]) -> Result<(), Error> {
        let d = self.rotary_dim();
        if !cache.len().is_multiple_of(d) {
            return Err(Error::NotWholeRows {
                len: cache.len(),
                row_bytes: d,
            });
        }
        Positions::From(0).validate(cache.len() / d.max(1), POSITION_LIMIT)?;
        for (p, row) in cache.chunks_exact_mut(d.max(1)).enumerate() {
            if let Some((c, s)) = row.split_at_mut_checked(self.half) {
                self.row_at(p as u64, c, s);
            }
        }
        Ok(())
    }

    /// Rotates `x` in place, computing cos/sin per position on the stack
    /// (streaming: no cache). All heads of a position share one row.
    ///
    /// # Errors
    /// As [`apply_cached`](super::apply_cached), with positions limited to
    /// `< 2^32` instead of the cache length; [`Error::InvalidShape`] if
    /// `shape.rotary_dim` differs from [`rotary_dim`](Self::rotary_dim). On
    /// error `x` is unchanged.
    pub fn apply(
        &self,
        x: &mut [f32],
        shape: &Shape,
        positions: Positions<'_>,
    ) -> Result<(), Error> {
        self.apply_qk(x, shape, &mut [], shape.heads, positions)
    }

    /// Rotates queries `q` (`q_shape`) and keys `k` (same layout, order
    /// and head width, `k_heads` heads: GQA/MQA) at the same positions,
    /// computing each position's cos/sin once for both.
    ///
    /// ```
    /// use inlayer::rope::{Layout, Positions, Rope, RopeConfig, Shape};
    /// let rope: Rope = Rope::try_new(&RopeConfig::new(128, 500_000.0), 1)?;
    /// let (mut q, mut k) = (vec![1.0f32; 32 * 128], vec![1.0f32; 8 * 128]);
    /// let shape = Shape::new(Layout::HalfSplit, 32, 128);
    /// rope.apply_qk(&mut q, &shape, &mut k, 8, Positions::From(70_000))?; // decode
    /// assert_eq!(&q[..128], &k[..128]); // same position, same rotation
    /// # Ok::<(), inlayer::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`apply`](Self::apply), for both buffers; [`Error::LengthMismatch`]
    /// if they hold different token counts. On error neither is changed.
    pub fn apply_qk(
        &self,
        q: &mut [f32],
        q_shape: &Shape,
        k: &mut [f32],
        k_heads: usize,
        positions: Positions<'_>,
    ) -> Result<(), Error> {
        let t_count = q_shape.tokens(q.len())?;
        if q_shape.rotary_dim != self.rotary_dim() {
            return Err(shape_err("rotary_dim", q_shape.rotary_dim));
        }
        let k_shape = Shape {
            heads: k_heads,
            ..*q_shape
        };
        if !k.is_empty() {
            let kt = k_shape.tokens(k.len())?;
            if kt != t_count {
                return Err(len_err("k", t_count * k_heads * q_shape.head_dim, k.len()));
            }
        }
        positions.validate(t_count, POSITION_LIMIT)?;
        let mut c = [0.0f32; MAX_HALF];
        let mut s = [0.0f32; MAX_HALF];
        let (Some(c), Some(s)) = (c.get_mut(..self.half), s.get_mut(..self.half)) else {
            return Err(Error::Overflow);
        };
        let layout = q_shape.layout;
        match q_shape.order {
            Order::TokenMajor
                if layout == Layout::Interleaved
                    && self.half <= kernel::EXPAND_MAX
                    && q_shape.heads > 1 =>
            {
                // Several interleaved heads share each position: write the
                // expanded row (`[c, c]`, `[-s, s]` pairs) straight from the
                // sin/cos lanes.
                let dh = q_shape.head_dim;
                let (qrow, krow) = (q_shape.heads * dh, k_heads * dh);
                let mut kt = k.chunks_exact_mut(krow.max(1));
                let mut scratch = Expanded::new();
                let (Some(cd), Some(sd)) = (
                    scratch.cd.get_mut(..2 * self.half),
                    scratch.sd.get_mut(..2 * self.half),
                ) else {
                    return Err(Error::Overflow);
                };
                for (t, qt) in q.chunks_exact_mut(qrow.max(1)).enumerate() {
                    self.expanded_row_at(u64::from(positions.at(t)), cd, sd);
                    rotate_token_expanded(qt, dh, cd, sd, t_count == 1);
                    if let Some(kt) = kt.next() {
                        rotate_token_expanded(kt, dh, cd, sd, t_count == 1);
                    }
                }
            }
            Order::TokenMajor => {
                let (qrow, krow) = (q_shape.heads * q_shape.head_dim, k_heads * q_shape.head_dim);
                let mut kt = k.chunks_exact_mut(krow.max(1));
                let mut scratch = Expanded::new();
                for (t, qt) in q.chunks_exact_mut(qrow.max(1)).enumerate() {
                    self.row_at(u64::from(positions.at(t)), c, s);
                    rotate_token(
                        layout,
                        qt,
                        q_shape.head_dim,
                        c,
                        s,
                        &mut scratch,
                        t_count == 1,
                    );
                    if let Some(kt) = kt.next() {
                        rotate_token(
                            layout,
                            kt,
                            q_shape.head_dim,
                            c,
                            s,
                            &mut scratch,
                            t_count == 1,
                        );
                    }
                }
            }
            Order::HeadMajor => {
                let dh = q_shape.head_dim;
                for t in 0..t_count {
                    self.row_at(u64::from(positions.at(t)), c, s);
                    for buf in [&mut *q, &mut *k] {
                        for head in buf.chunks_exact_mut((t_count * dh).max(1)) {
                            if let Some(v) = head.get_mut(t * dh..(t + 1) * dh) {
                                rotate(layout, v, c, s);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Calls `f(sin, cos)` for the octets of frequencies `t8` at position
    /// `p`, in order. On x86_64 a one-row body (`crate::arch`: AVX-512 or
    /// AVX2, chosen at run time, so on a default build too; else SSE2)
    /// computes up to 64 frequencies a call into a stack block; the lanes do
    /// the rest. The same bits either way (the bodies equal the lanes).
    #[inline(always)]
    fn octets_at(&self, p: u64, t8: &[[u64; 8]], mut f: impl FnMut(F32x8, F32x8)) {
        #[cfg(target_arch = "x86_64")]
        let t8 = body_octets(p, t8, &mut f);
        for t in t8 {
            let (vs, vc) = sincos_turns8(t.map(|x| p.wrapping_mul(x)));
            f(vs, vc);
        }
    }

    /// cos/sin of position `p` expanded for the interleaved layout:
    /// `cd = [c0, c0, c1, c1, …]`, `sd = [-s0, s0, -s1, s1, …]` (each
    /// `2·half` long), the values of [`row_at`](Self::row_at) through
    /// `kernel::expand_pairs`, bit for bit.
    #[inline]
    fn expanded_row_at(&self, p: u64, cd: &mut [f32], sd: &mut [f32]) {
        let scale = F32x8::splat(self.cs_scale);
        let sign = I32x8::splat(i32::MIN);
        let turns = self.turns.get(..self.half).unwrap_or(&[]);
        let (t8, tt) = turns.as_chunks::<8>();
        let (cd16, cdt) = cd.as_chunks_mut::<16>();
        let (sd16, sdt) = sd.as_chunks_mut::<16>();
        let mut cds = cd16.iter_mut().zip(sd16);
        self.octets_at(p, t8, |vs, vc| {
            let Some((cd, sd)) = cds.next() else {
                return;
            };
            let (c, s) = (vc * scale, vs * scale);
            let (c_lo, c_hi) = F32x8::interleave(c, c);
            let (s_lo, s_hi) = F32x8::interleave(s.xor_bits(sign), s);
            let (cd_lo, cd_hi) = cd.split_at_mut(8);
            let (sd_lo, sd_hi) = sd.split_at_mut(8);
            if let (Ok(a), Ok(b), Ok(e), Ok(f)) = (
                <&mut [f32; 8]>::try_from(cd_lo),
                <&mut [f32; 8]>::try_from(cd_hi),
                <&mut [f32; 8]>::try_from(sd_lo),
                <&mut [f32; 8]>::try_from(sd_hi),
            ) {
                c_lo.store(a);
                c_hi.store(b);
                s_lo.store(e);
                s_hi.store(f);
            }
        });
        let pairs = cdt
            .as_chunks_mut::<2>()
            .0
            .iter_mut()
            .zip(sdt.as_chunks_mut::<2>().0);
        for (&f, (cd, sd)) in tt.iter().zip(pairs) {
            let (vs, vc) = sincos_turns(p.wrapping_mul(f));
            let (c, s) = (vc * self.cs_scale, vs * self.cs_scale);
            *cd = [c, c];
            *sd = [-s, s];
        }
    }

    /// cos/sin of position `p` into `c`, `s` (each `half` long).
    #[inline]
    fn row_at(&self, p: u64, c: &mut [f32], s: &mut [f32]) {
        let scale = F32x8::splat(self.cs_scale);
        let turns = self.turns.get(..self.half).unwrap_or(&[]);
        let (t8, tt) = turns.as_chunks::<8>();
        let (c8, ct) = c.as_chunks_mut::<8>();
        let (s8, st) = s.as_chunks_mut::<8>();
        let mut cs = c8.iter_mut().zip(s8);
        self.octets_at(p, t8, |vs, vc| {
            if let Some((c, s)) = cs.next() {
                (vc * scale).store(c);
                (vs * scale).store(s);
            }
        });
        for ((&f, c), s) in tt.iter().zip(ct).zip(st) {
            let (vs, vc) = sincos_turns(p.wrapping_mul(f));
            *c = vc * self.cs_scale;
            *s = vs * self.cs_scale;
        }
    }
}

/// The x86 part of [`Rope::octets_at`]: calls `f(sin, cos)` for the
/// leading octets of `t8` that the one-row body computes, up to 64
/// frequencies a call into a stack block, and returns the octets it left
/// for the lanes (all of them where no body runs here or `p` is past
/// `u32`; else at most the tail of the last block).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn body_octets<'t>(
    p: u64,
    mut t8: &'t [[u64; 8]],
    f: &mut impl FnMut(F32x8, F32x8),
) -> &'t [[u64; 8]] {
    let Ok(pos) = u32::try_from(p) else {
        return t8;
    };
    let mut block = [0.0f32; 128];
    while !t8.is_empty() {
        let now = t8.len().min(8);
        let block_turns = t8.get(..now).unwrap_or(&[]).as_flattened();
        let done =
            crate::arch::sinusoidal_row::<false>(block_turns, pos, false, 64, &mut block) / 8;
        let (sin, cos) = block.split_at(64);
        let (sin, cos) = (sin.as_chunks::<8>().0, cos.as_chunks::<8>().0);
        for (s, c) in sin.iter().zip(cos).take(done) {
            f(F32x8::load(s), F32x8::load(c));
        }
        t8 = t8.get(done..).unwrap_or(&[]);
        if done < now {
            break;
        }
    }
    t8
}
