//! Rotary position embeddings (RoPE): frequencies from a typed config, and
//! in-place rotation of query/key heads in both pair layouts.
//!
//! | step | entry point |
//! |---|---|
//! | config → ω_j (f64) + attention factor | [`RopeConfig::inv_freqs`] |
//! | config → f32 ω_j as `transformers` computes them | [`RopeConfig::hf_f32_inv_freqs`] |
//! | cos/sin cache or one row, HF float32 angle pipeline | [`fill_cache_hf_f32`], [`cos_sin_hf_f32`] |
//! | position-exact cos/sin: cache rows, whole caches | [`Rope::cos_sin`], [`Rope::fill_cache`] |
//! | rotate heads from a cache | [`apply_cached`] |
//! | rotate heads streaming (no cache), Q and K together | [`Rope::apply`], [`Rope::apply_qk`] |
//! | Q/K weight rows between layouts | [`permute_rows`] |
//!
//! **Cache format.** One row of `rotary_dim` floats per position, starting at
//! position 0: `[cos θ_0 .. cos θ_{h-1} | sin θ_0 .. sin θ_{h-1}]`,
//! `h = rotary_dim / 2` (FlashInfer's `cos_sin_cache` row). The same cache
//! serves both layouts and every head, Q and K.
//!
//! **Shapes.** A call rotates `T` tokens of `H` heads of `head_dim` channels,
//! token-major `[T][H][head_dim]` or head-major `[H][T][head_dim]`; the first
//! `rotary_dim` channels of each head rotate, the rest pass through. Decode is
//! `T = 1`. Positions are `start, start+1, ..` or one per token (packed
//! sequences).
//!
//! The rotation kernels (`kernel.rs`) are bit-identical to
//! [`reference::rope`](crate::reference::rope) given the same cos/sin.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
mod config;
mod exact;
mod kernel;

pub use config::{Ggml, Layout, Llama3, LongRope, RopeConfig, Scaling, Yarn};
pub use exact::Rope;

use crate::Error;

/// Memory order of the rotated buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// `[T][H][head_dim]` (the projection output as it comes).
    TokenMajor,
    /// `[H][T][head_dim]` (after the usual transpose for attention).
    HeadMajor,
}

/// The positions of the `T` tokens of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positions<'a> {
    /// `start, start + 1, ..., start + T - 1` (`start + T <= 2^32`).
    From(u32),
    /// One position per token (packed / variable-length batches).
    List(&'a [u32]),
}

impl Positions<'_> {
    #[inline(always)]
    fn at(self, t: usize) -> u32 {
        match self {
            // In range: `validate` checked start + T <= 2^32.
            Positions::From(s) => s.wrapping_add(t as u32),
            Positions::List(l) => l.get(t).copied().unwrap_or(0),
        }
    }

    /// Checks there are `t` positions, each `< limit`.
    fn validate(self, t: usize, limit: u64) -> Result<(), Error> {
        match self {
            Positions::From(s) => {
                if t == 0 {
                    return Ok(());
                }
                let last = u64::from(s) + (t as u64 - 1);
                if last >= limit {
                    return Err(pos_err(t - 1, last, limit));
                }
            }
            Positions::List(l) => {
                if l.len() != t {
                    return Err(len_err("positions", t, l.len()));
                }
                if let Some((i, &p)) = l.iter().enumerate().find(|(_, p)| u64::from(**p) >= limit) {
                    return Err(pos_err(i, u64::from(p), limit));
                }
            }
        }
        Ok(())
    }
}

/// What a rotation call works on.
///
/// ```
/// use inlayer::rope::{Layout, Order, Shape};
/// // 32 heads of 128, rotate all, [T][H][Dh]:
/// let s = Shape::new(Layout::HalfSplit, 32, 128);
/// assert_eq!((s.rotary_dim, s.order), (128, Order::TokenMajor));
/// // GPT-NeoX (rotary_pct 0.25), head-major:
/// let s = Shape::new(Layout::HalfSplit, 32, 128).rotary_dim(32).order(Order::HeadMajor);
/// assert_eq!(s.rotary_dim, 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Pair layout.
    pub layout: Layout,
    /// Memory order.
    pub order: Order,
    /// Heads per token.
    pub heads: usize,
    /// Channels per head.
    pub head_dim: usize,
    /// Leading channels of each head that rotate (even, `<= head_dim`).
    pub rotary_dim: usize,
}

impl Shape {
    /// Token-major, whole head rotated.
    #[must_use]
    pub const fn new(layout: Layout, heads: usize, head_dim: usize) -> Self {
        Self {
            layout,
            order: Order::TokenMajor,
            heads,
            head_dim,
            rotary_dim: head_dim,
        }
    }

    /// Sets the rotary width (partial rotary).
    #[must_use]
    pub const fn rotary_dim(mut self, rotary_dim: usize) -> Self {
        self.rotary_dim = rotary_dim;
        self
    }

    /// Sets the memory order.
    #[must_use]
    pub const fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Checks the shape against a buffer of `len` floats and returns `T`.
    pub(crate) fn tokens(&self, len: usize) -> Result<usize, Error> {
        let d = self.rotary_dim;
        if self.head_dim == 0 {
            return Err(shape_err("head_dim", 0));
        }
        if self.heads == 0 {
            return Err(shape_err("heads", 0));
        }
        if d == 0 || !d.is_multiple_of(2) || d > self.head_dim {
            return Err(shape_err("rotary_dim", d));
        }
        let per_token = self
            .heads
            .checked_mul(self.head_dim)
            .ok_or(Error::Overflow)?;
        if !len.is_multiple_of(per_token) {
            return Err(Error::NotWholeRows {
                len,
                row_bytes: per_token,
            });
        }
        Ok(len.checked_div(per_token).unwrap_or(0))
    }
}

/// Runs `f(t, head)` over every head vector of `x` (`T` tokens), in memory
/// order.
#[inline(always)]
pub(crate) fn for_each_head(
    x: &mut [f32],
    shape: &Shape,
    t_count: usize,
    mut f: impl FnMut(usize, &mut [f32]),
) {
    let dh = shape.head_dim;
    if t_count == 0 {
        return;
    }
    match shape.order {
        Order::TokenMajor => {
            for (t, tok) in x.chunks_exact_mut((shape.heads * dh).max(1)).enumerate() {
                for v in tok.chunks_exact_mut(dh.max(1)) {
                    f(t, v);
                }
            }
        }
        Order::HeadMajor => {
            for head in x.chunks_exact_mut((t_count * dh).max(1)) {
                for (t, v) in head.chunks_exact_mut(dh.max(1)).enumerate() {
                    f(t, v);
                }
            }
        }
    }
}

/// Rotates one head vector by `(c, s)` in `layout`.
#[inline(always)]
pub(crate) fn rotate(layout: Layout, v: &mut [f32], c: &[f32], s: &[f32]) {
    if crate::arch::rope_heads(layout == Layout::Interleaved, v, v.len(), c, s) {
        return;
    }
    match layout {
        Layout::HalfSplit => kernel::rotate_half_split(v, c, s),
        Layout::Interleaved => kernel::rotate_interleaved(v, c, s),
    }
}

/// Scratch for [`rotate_token`]: one expanded interleaved cos/sin row.
pub(crate) struct Expanded {
    cd: [f32; 2 * kernel::EXPAND_MAX],
    sd: [f32; 2 * kernel::EXPAND_MAX],
}

impl Expanded {
    pub(crate) const fn new() -> Self {
        Self {
            cd: [0.0; 2 * kernel::EXPAND_MAX],
            sd: [0.0; 2 * kernel::EXPAND_MAX],
        }
    }
}

/// Rotates every head of one token (`tok` holds whole heads of `dh`) by
/// one cos/sin row; interleaved rows are expanded once into `scratch` and
/// shared by the heads.
#[inline(always)]
pub(crate) fn rotate_token(
    layout: Layout,
    tok: &mut [f32],
    dh: usize,
    c: &[f32],
    s: &[f32],
    scratch: &mut Expanded,
    one_token: bool,
) {
    let h = c.len();
    match layout {
        Layout::HalfSplit if crate::arch::rope_heads(false, tok, dh, c, s) => {}
        Layout::Interleaved if h <= kernel::EXPAND_MAX && tok.len() > dh => {
            let (Some(cd), Some(sd)) = (scratch.cd.get_mut(..2 * h), scratch.sd.get_mut(..2 * h))
            else {
                return;
            };
            kernel::expand_pairs(c, s, cd, sd);
            rotate_token_expanded(tok, dh, cd, sd, one_token);
        }
        Layout::HalfSplit => each_head(tok, dh, h, |v, h| {
            if let (Some(c), Some(s)) = (c.get(..h), s.get(..h)) {
                kernel::rotate_half_split(v, c, s);
            }
        }),
        Layout::Interleaved if crate::arch::rope_heads(true, tok, dh, c, s) => {}
        Layout::Interleaved => each_head(tok, dh, h, |v, _| {
            kernel::rotate_interleaved(v, c, s);
        }),
    }
}

/// Rotates every interleaved head of one token by one expanded cos/sin row
/// (`cd`, `sd`: `2h` values, see `kernel::expand_pairs`).
///
/// `one_token`: the call's only token (a decode step, usually hot in L1):
/// eight values of every head per loaded cos/sin vector; otherwise head by
/// head (sequential memory for prefill streams). The same bits either way.
#[inline(always)]
pub(crate) fn rotate_token_expanded(
    tok: &mut [f32],
    dh: usize,
    cd: &[f32],
    sd: &[f32],
    one_token: bool,
) {
    if crate::arch::rope_heads_expanded(tok, dh, cd, sd) {
        return;
    }
    if one_token {
        kernel::rotate_heads_interleaved_expanded(tok, dh, cd, sd);
    } else {
        each_head(tok, dh, cd.len() / 2, |v, h| {
            if let (Some(cd), Some(sd)) = (cd.get(..2 * h), sd.get(..2 * h)) {
                kernel::rotate_interleaved_expanded(v, cd, sd);
            }
        });
    }
}

/// Calls `f(head, h)` for every head of `tok`, with `h` a compile-time
/// constant for the common rotary widths (64, 128, 256), so the kernels'
/// trip counts are known and their loops fully unrolled.
#[inline(always)]
fn each_head(tok: &mut [f32], dh: usize, h: usize, mut f: impl FnMut(&mut [f32], usize)) {
    let dh = dh.max(1);
    match h {
        64 => tok.chunks_exact_mut(dh).for_each(|v| f(v, 64)),
        32 => tok.chunks_exact_mut(dh).for_each(|v| f(v, 32)),
        128 => tok.chunks_exact_mut(dh).for_each(|v| f(v, 128)),
        _ => tok.chunks_exact_mut(dh).for_each(|v| f(v, h)),
    }
}

/// Rotates `x` in place with cos/sin rows from a cache (row `p` holds
/// position `p`; see the module docs for the row format).
///
/// ```
/// use inlayer::rope::{apply_cached, Layout, Positions, Shape};
/// // One head of 4 channels at position 1 of a hand-made cache: θ = (π/2, 0).
/// let cache = [1.0, 1.0, 0.0, 0.0, /* p=1 */ 0.0, 1.0, 1.0, 0.0];
/// let mut q = [1.0f32, 2.0, 3.0, 4.0];
/// apply_cached(&mut q, &Shape::new(Layout::HalfSplit, 1, 4), Positions::From(1), &cache)?;
/// assert_eq!(q, [-3.0, 2.0, 1.0, 4.0]); // pair (1, 3) turned by 90°
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] for a bad shape, [`Error::NotWholeRows`] if
/// `x.len()` is not a multiple of `heads * head_dim` (or the cache of
/// `rotary_dim`), [`Error::LengthMismatch`] for a position list of the wrong
/// length, [`Error::PositionOutOfRange`] for a position without a cache row.
/// On error `x` is unchanged.
pub fn apply_cached(
    x: &mut [f32],
    shape: &Shape,
    positions: Positions<'_>,
    cache: &[f32],
) -> Result<(), Error> {
    let t_count = shape.tokens(x.len())?;
    let d = shape.rotary_dim;
    if !cache.len().is_multiple_of(d) {
        return Err(Error::NotWholeRows {
            len: cache.len(),
            row_bytes: d,
        });
    }
    positions.validate(t_count, (cache.len() / d.max(1)) as u64)?;
    let h = d / 2;
    let layout = shape.layout;
    let row_at = |t: usize| {
        let p = positions.at(t) as usize;
        cache
            .get(p * d..(p + 1) * d)
            .and_then(|row| row.split_at_checked(h))
    };
    match shape.order {
        Order::TokenMajor => {
            let mut scratch = Expanded::new();
            for (t, tok) in x
                .chunks_exact_mut((shape.heads * shape.head_dim).max(1))
                .enumerate()
            {
                if let Some((c, s)) = row_at(t) {
                    rotate_token(
                        layout,
                        tok,
                        shape.head_dim,
                        c,
                        s,
                        &mut scratch,
                        t_count == 1,
                    );
                }
            }
        }
        Order::HeadMajor => for_each_head(x, shape, t_count, |t, v| {
            if let Some((c, s)) = row_at(t) {
                rotate(layout, v, c, s);
            }
        }),
    }
    Ok(())
}

/// Fills a cos/sin cache for positions `0..cache.len() / rotary_dim`
/// replaying the float32 angle pipeline of HF `transformers`
/// (`LlamaRotaryEmbedding.forward`): `θ = inv_freq · f32(p)` in f32, then
/// `cos θ · a`, `sin θ · a` with the f32 attention factor `a`.
///
/// `inv_freq` and `a` come from [`RopeConfig::hf_f32_inv_freqs`]. The
/// angles are PyTorch's f32 products bit for bit; cos/sin are `libm`'s
/// (correctly rounded in practice), torch's (glibc or SLEEF u10) are not
/// always: measured against torch 2.15 / transformers 5.24
/// (`tests/rope_hf_kat.rs`) the cache is within 1 ulp of
/// `LlamaRotaryEmbedding`'s cos/sin, 2 ulps with an attention factor ≠ 1
/// (the f32 product magnifies torch's ulp). This is
/// the **compatibility** mode: at large positions it carries the f32 angle
/// error of the original (LLaMA 2, measured with torch: 3.4e-3 in cos/sin
/// at position 131 072, 5.2e-2 at 1 000 000); the
/// [position-exact](crate::rope) path does not.
///
/// ```
/// use inlayer::rope::{fill_cache_hf_f32, RopeConfig};
/// let cfg = RopeConfig::new(8, 10_000.0);
/// let mut w = [0.0f32; 4];
/// let a = cfg.hf_f32_inv_freqs(16, &mut w)?;
/// let mut cache = [0.0f32; 16 * 8];
/// fill_cache_hf_f32(&w, a, &mut cache)?;
/// assert_eq!(cache[8 + 4], libm::sinf(1.0)); // p = 1, j = 0
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `inv_freq` is empty, [`Error::NotWholeRows`]
/// if `cache.len()` is not a multiple of `2 * inv_freq.len()`,
/// [`Error::PositionOutOfRange`] for more than 2^32 positions. On error
/// `cache` is unchanged.
pub fn fill_cache_hf_f32(inv_freq: &[f32], attention: f32, cache: &mut [f32]) -> Result<(), Error> {
    let h = inv_freq.len();
    if h == 0 {
        return Err(shape_err("inv_freq", 0));
    }
    let d = 2 * h;
    if !cache.len().is_multiple_of(d) {
        return Err(Error::NotWholeRows {
            len: cache.len(),
            row_bytes: d,
        });
    }
    let n = (cache.len() / d.max(1)) as u64;
    if n > 1 << 32 {
        return Err(pos_err((n - 1) as usize, n - 1, 1 << 32));
    }
    for (p, row) in cache.chunks_exact_mut(d.max(1)).enumerate() {
        hf_f32_row(inv_freq, attention, p as f32, row);
    }
    Ok(())
}

/// One cache row of the HF float32 pipeline (see [`fill_cache_hf_f32`]) for
/// position `p`: what a decode step of a `transformers` model uses.
///
/// ```
/// use inlayer::rope::cos_sin_hf_f32;
/// let mut row = [0.0f32; 2];
/// cos_sin_hf_f32(&[1.0], 1.0, 1_000_000, &mut row)?;
/// assert_eq!(row[0], libm::cosf(1_000_000.0));
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidShape`] if `inv_freq` is empty, [`Error::LengthMismatch`]
/// if `row.len() != 2 * inv_freq.len()`.
pub fn cos_sin_hf_f32(
    inv_freq: &[f32],
    attention: f32,
    p: u32,
    row: &mut [f32],
) -> Result<(), Error> {
    if inv_freq.is_empty() {
        return Err(shape_err("inv_freq", 0));
    }
    if row.len() != 2 * inv_freq.len() {
        return Err(len_err("row", 2 * inv_freq.len(), row.len()));
    }
    hf_f32_row(inv_freq, attention, p as f32, row);
    Ok(())
}

/// `θ = ω · f32(p)` in f32 (torch's `inv_freq @ position_ids.float()`),
/// then `cos θ · a`, `sin θ · a`.
fn hf_f32_row(inv_freq: &[f32], attention: f32, pf: f32, row: &mut [f32]) {
    let Some((c, s)) = row.split_at_mut_checked(inv_freq.len()) else {
        return;
    };
    for ((c, s), &w) in c.iter_mut().zip(s).zip(inv_freq) {
        let th = w * pf;
        *c = libm::cosf(th) * attention;
        *s = libm::sinf(th) * attention;
    }
}

/// Permutes the rows of a Q or K projection (or any per-head vectors)
/// between the two pair layouts: row `r` of head `h` is one output channel,
/// each `row_len` values long. Interleaved → half-split is the permutation
/// HF's LLaMA converter applies (`view(H, d/2, 2, ..).transpose(1, 2)`);
/// channels past `rotary_dim` stay in place. Rotating and then permuting
/// equals permuting and then rotating in the other layout.
///
/// ```
/// use inlayer::rope::{permute_rows, Layout, Shape};
/// let meta = [0, 1, 2, 3, 4, 5]; // one head, 6 channels, rows of 1
/// let mut hf = [0; 6];
/// permute_rows(&Shape::new(Layout::Interleaved, 1, 6), Layout::HalfSplit, 1, &meta, &mut hf)?;
/// assert_eq!(hf, [0, 2, 4, 1, 3, 5]);
/// # Ok::<(), inlayer::Error>(())
/// ```
///
/// # Errors
/// As [`apply_cached`] for the shape (`shape.layout` is the source layout);
/// [`Error::InvalidShape`] if `row_len == 0`; [`Error::LengthMismatch`] if
/// `src` is not `heads * head_dim * row_len` long or `dst` differs from
/// `src`. On error `dst` is unchanged.
pub fn permute_rows<T: Copy>(
    shape: &Shape,
    to: Layout,
    row_len: usize,
    src: &[T],
    dst: &mut [T],
) -> Result<(), Error> {
    if row_len == 0 {
        return Err(shape_err("row_len", 0));
    }
    let per_head = shape.head_dim.checked_mul(row_len).ok_or(Error::Overflow)?;
    let need = per_head.checked_mul(shape.heads).ok_or(Error::Overflow)?;
    shape.tokens(need / row_len)?;
    if src.len() != need {
        return Err(len_err("src", need, src.len()));
    }
    if dst.len() != need {
        return Err(len_err("dst", need, dst.len()));
    }
    let h = shape.rotary_dim / 2;
    for (s, o) in src
        .chunks_exact(per_head.max(1))
        .zip(dst.chunks_exact_mut(per_head.max(1)))
    {
        for (r, out_row) in o.chunks_exact_mut(row_len.max(1)).enumerate() {
            // Source channel of output channel r.
            let from = match (shape.layout, to) {
                _ if r >= 2 * h => r,
                (Layout::Interleaved, Layout::HalfSplit) => {
                    if r < h {
                        2 * r
                    } else {
                        2 * (r - h) + 1
                    }
                }
                (Layout::HalfSplit, Layout::Interleaved) => r / 2 + (r % 2) * h,
                _ => r,
            };
            if let Some(src_row) = s.get(from * row_len..(from + 1) * row_len) {
                out_row.copy_from_slice(src_row);
            }
        }
    }
    Ok(())
}

#[cold]
fn shape_err(what: &'static str, value: usize) -> Error {
    Error::InvalidShape { what, value }
}

#[cold]
fn len_err(what: &'static str, expected: usize, actual: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        actual,
    }
}

#[cold]
fn pos_err(index: usize, position: u64, limit: u64) -> Error {
    Error::PositionOutOfRange {
        index,
        position,
        limit,
    }
}
