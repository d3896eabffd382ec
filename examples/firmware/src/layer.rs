//! The kernels this firmware runs, one function per kernel family, shared by
//! the target build and the host build (which checks each against
//! `inlayer::reference`).
//!
//! Each family is a cargo feature of this crate, so `.ci/size.py` can build
//! each one alone and measure its code size and panic-freedom:
//!
//! - `gather`: `out[t] = wte[tokens[t]]`, the plain gather;
//! - `input-layer`: GPT-2 style `out[t] = wte[tokens[t]] * sqrt(D) + wpe[t]`,
//!   the learned position rows being themselves a gather of `wpe` at
//!   positions `0..T`;
//! - `sinusoidal`: the Transformer's sinusoidal encodings of positions
//!   `0..T`, from a plan whose frequencies were computed on the host;
//! - `sinusoidal-from-config`: the same through `sinusoidal_rows_dyn`, which
//!   evaluates the frequencies on the device (f64 `pow` in software, and the
//!   f64 rotation kernel for long runs): what the host-computed table saves;
//! - `input-layer-sinusoidal`: `out[t] = wte[tokens[t]] * sqrt(D) + PE(t)`,
//!   the Transformer input layer (sinusoidal rows, then the gather adds them);
//! - `fused-input-layer`: the same through `inlayer::input` in one pass
//!   (`InputLayer::transformer`, the sinusoidal plan);
//! - `gather-backward`: `grad[tokens[t]] += grad_out[t]`, on-device
//!   fine-tuning of the table;
//! - `rope`: LLaMA-style RoPE (`RopeConfig::new(D, 10000)`) streamed over a
//!   `[T][1][D]` half-split buffer at positions `1_000_000..`, the
//!   frequencies evaluated on the device (`Rope::try_new`: f64 `powf` in
//!   software);
//! - `rope-from-host`: the same rotation, the frequencies computed by
//!   `build.rs` on the host and taken back by `Rope::from_inv_freqs`
//!   (integer-only conversion to fixed-point turns);
//! - `rope-interleaved`: the host frequencies, interleaved pairs (Meta LLaMA,
//!   GGUF "NORMAL"), one position per token (`Positions::List`);
//! - `alibi`: the slopes of 8 heads (`alibi_slopes`) and the bias of one
//!   decode query against 12 keys (`alibi_bias`);
//! - `t5`: the T5 encoder's buckets (`T5Buckets::try_new(true, 32, 128)`,
//!   thresholds found on the device) and the `[1][T][T]` bias from a
//!   `[32][1]` bias table (`fill_bias`);
//! - `gather-bf16`, `gather-i8`, `gather-q8_0`, `gather-q4_0`: the gather
//!   from the token table quantized on the host by `build.rs` with inlayer's
//!   encoders (bf16 and per-row int8 at `[VOCAB][D]`; the GGUF blocks view
//!   the same values as `[VOCAB · D / QD][QD]`, `QD = 32`: one block per row).
//!
//! The tables are embedded with `include_bytes!`: `wte` through an aligned
//! wrapper (zero-copy view), `wpe` as plain bytes (any alignment). Every input
//! goes through `black_box`, so the optimiser cannot specialise the kernels to
//! these constants: the code measured and proven panic-free is the general
//! code a runtime runs (tables, ids, width and scale known only at run time).
//!
//! The sinusoidal plan ([`plan`]) is what firmware on a single-precision FPU
//! should build: frequencies computed on the host by `build.rs` (with
//! `inlayer` itself) and taken back by `Sinusoidal::from_turns`, and the
//! one-row f32 kernel for every run length (`TableKernel::PerRow`, a choice
//! made in the source, like a cargo feature, not an input), so neither the
//! f64 frequency code nor the f64 rotation kernel is linked.

/// Row width.
pub const D: usize = 16;
/// Rows of the token table.
pub const VOCAB: usize = 64;
/// Tokens per call.
pub const T: usize = 12;
/// Values in the output buffer.
pub const OUT_LEN: usize = T * D;

/// The prompt: repeated ids and both ends of the vocabulary.
pub const TOKENS: [u32; T] = [0, 63, 5, 5, 17, 42, 1, 62, 33, 5, 8, 21];

/// The input layer's scale, `sqrt(D)`.
pub const SCALE: f32 = 4.0;

/// Row width of the block-quantized tables (one 32-element block per row).
pub const QD: usize = 32;
/// Tokens per call from the block-quantized tables (fills `OUT_LEN`).
pub const QT: usize = OUT_LEN / QD;
/// The prompt for the block-quantized tables.
pub const QTOKENS: [u32; QT] = [0, 31, 5, 5, 17, 10];

/// First position of the streamed RoPE calls (far from 0: the rotation
/// is exact at every position).
pub const ROPE_START: u32 = 1_000_000;
/// The positions of `rope-interleaved`: a packed batch of three sequences.
pub const ROPE_POSITIONS: [u32; T] = [0, 1, 2, 3, 0, 1, 2, 70_000, 70_001, 70_002, 70_003, 70_004];

/// ALiBi heads.
pub const HEADS: usize = 8;
/// ALiBi keys: the decode query sits at position `KEYS - 1`.
pub const KEYS: usize = 12;
/// T5 buckets (the `relative_attention_num_buckets` of T5).
pub const T5_BUCKETS: usize = 32;

#[repr(C, align(4))]
struct Aligned<B: ?Sized>(B);

static WTE: &Aligned<[u8]> = &Aligned(*include_bytes!("../wte.bin"));
static WPE: &[u8] = include_bytes!("../wpe.bin");

/// The frequencies of `SinusoidalConfig::transformer()` at width `D`, as
/// 64-bit fixed-point turns per position, computed by `build.rs` on the host
/// (`Sinusoidal::try_new(..).turns()`).
#[cfg_attr(
    not(any(
        feature = "sinusoidal",
        feature = "input-layer-sinusoidal",
        feature = "fused-input-layer"
    )),
    allow(dead_code)
)]
static TURNS: [u64; D / 2] = include!(concat!(env!("OUT_DIR"), "/turns.rs"));

/// The Transformer's sinusoidal plan from the host-computed [`TURNS`], with
/// the one-row kernel for every run length.
///
/// # Errors
/// As [`inlayer::sinusoidal::Sinusoidal::from_turns`] (a table of another
/// width).
#[cfg(any(
    feature = "sinusoidal",
    feature = "input-layer-sinusoidal",
    feature = "fused-input-layer"
))]
pub fn plan(dim: usize) -> Result<inlayer::sinusoidal::Sinusoidal<'static>, inlayer::Error> {
    use core::hint::black_box;
    use inlayer::sinusoidal::{Sinusoidal, SinusoidalConfig, TableKernel};
    let cfg = black_box(SinusoidalConfig::transformer());
    let pe = Sinusoidal::from_turns(cfg, dim, black_box(&TURNS[..]))?;
    Ok(pe.with_table_kernel(TableKernel::PerRow))
}

/// The LLaMA RoPE frequencies ω_j of `RopeConfig::new(D, 10000)`, computed
/// by `build.rs` on the host (`RopeConfig::inv_freqs`).
#[cfg(any(feature = "rope-from-host", feature = "rope-interleaved"))]
pub static ROPE_INV_FREQS: [f64; D / 2] = include!(concat!(env!("OUT_DIR"), "/rope_inv_freqs.rs"));

/// `wte` as bf16 (`encode_bf16` on the host), `[VOCAB][D]`.
#[cfg(feature = "gather-bf16")]
pub static WTE_BF16: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wte_bf16.bin"));
/// `wte` as per-row int8 (`encode_i8_per_row` on the host), `[VOCAB][D]`.
#[cfg(feature = "gather-i8")]
pub static WTE_I8: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wte_i8.bin"));
/// The row scales of [`WTE_I8`].
#[cfg(feature = "gather-i8")]
pub static WTE_I8_SCALES: [f32; VOCAB] = include!(concat!(env!("OUT_DIR"), "/wte_i8_scales.rs"));
/// `wte` as GGUF Q8_0 blocks (`encode_q8_0` on the host), `[VOCAB · D / QD][QD]`.
#[cfg(feature = "gather-q8_0")]
pub static WTE_Q8_0: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wte_q8_0.bin"));
/// `wte` as GGUF Q4_0 blocks (`encode_q4_0` on the host), `[VOCAB · D / QD][QD]`.
#[cfg(feature = "gather-q4_0")]
pub static WTE_Q4_0: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wte_q4_0.bin"));

/// The token table's bytes (`VOCAB` rows of `D` little-endian `f32`).
#[must_use]
pub fn wte() -> &'static [u8] {
    &WTE.0
}

/// The position table's bytes (16 rows of `D` little-endian `f32`).
#[must_use]
pub fn wpe() -> &'static [u8] {
    WPE
}

/// Every buffer the kernels write: static in the firmware (.bss).
pub struct Buffers {
    /// The input layer's output, `T` rows of `D`.
    pub out: [f32; OUT_LEN],
    /// Scratch: the position rows.
    pub pos: [f32; OUT_LEN],
    /// The gradient table of `gather-backward`.
    pub grad: [f32; VOCAB * D],
    /// The ALiBi slopes.
    pub slopes: [f32; HEADS],
}

impl Buffers {
    /// All zeros.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            out: [0.0; OUT_LEN],
            pos: [0.0; OUT_LEN],
            grad: [0.0; VOCAB * D],
            slopes: [0.0; HEADS],
        }
    }
}

/// Runs every enabled family; returns the checksum of all their outputs.
///
/// # Errors
/// Whatever the kernels return (never, for these fixed inputs).
pub fn run(b: &mut Buffers) -> Result<u32, inlayer::Error> {
    #[cfg_attr(not(feature = "gather"), allow(unused_mut))]
    let mut h = FNV_OFFSET;
    #[cfg(feature = "gather")]
    {
        gather(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "input-layer")]
    {
        input_layer(&mut b.out, &mut b.pos)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "sinusoidal")]
    {
        sinusoidal(&mut b.pos)?;
        h = fnv(h, &b.pos);
    }
    #[cfg(feature = "sinusoidal-from-config")]
    {
        sinusoidal_from_config(&mut b.pos)?;
        h = fnv(h, &b.pos);
    }
    #[cfg(feature = "input-layer-sinusoidal")]
    {
        input_layer_sinusoidal(&mut b.out, &mut b.pos)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "fused-input-layer")]
    {
        fused_input_layer(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "gather-backward")]
    {
        gather_backward(&mut b.grad)?;
        h = fnv(h, &b.grad);
    }
    #[cfg(feature = "rope")]
    {
        rope(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "rope-from-host")]
    {
        rope_from_host(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "rope-interleaved")]
    {
        rope_interleaved(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "alibi")]
    {
        let bias = &mut b.out[..HEADS * KEYS];
        alibi(&mut b.slopes, bias)?;
        h = fnv(fnv(h, &b.slopes), bias);
    }
    #[cfg(feature = "t5")]
    {
        let bias = &mut b.out[..T * T];
        t5(bias)?;
        h = fnv(h, bias);
    }
    #[cfg(feature = "gather-bf16")]
    {
        gather_bf16(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "gather-i8")]
    {
        gather_i8(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "gather-q8_0")]
    {
        gather_q8_0(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    #[cfg(feature = "gather-q4_0")]
    {
        gather_q4_0(&mut b.out)?;
        h = fnv(h, &b.out);
    }
    let _ = b;
    Ok(h)
}

/// `out[t] = wte[tokens[t]]`.
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "gather")]
pub fn gather(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::F32Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(D);
    let wte = F32Table::from_bytes(black_box(wte()), dim)?;
    gather_view(&wte, black_box(&TOKENS), &Epilogue::new(), out, dim)
}

/// `out[t] = wte[tokens[t]] * sqrt(D) + wpe[t]`.
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "input-layer")]
pub fn input_layer(
    out: &mut [f32; OUT_LEN],
    pos: &mut [f32; OUT_LEN],
) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::F32Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(D);
    let wte = F32Table::from_bytes(black_box(wte()), dim)?;
    let wpe = F32Table::from_bytes(black_box(wpe()), dim)?;
    let positions: [u32; T] = core::array::from_fn(|t| t as u32);
    gather_view(&wpe, black_box(&positions), &Epilogue::new(), pos, dim)?;
    let epilogue = Epilogue::new().scale(black_box(SCALE)).add(pos);
    gather_view(&wte, black_box(&TOKENS), &epilogue, out, dim)
}

/// `pos[t] = PE(t)`, the Transformer's sinusoidal encoding (interleaved
/// sin/cos, base 10000), from the host-computed plan.
///
/// # Errors
/// As [`plan`] and [`inlayer::sinusoidal::Sinusoidal::rows`].
#[cfg(any(feature = "sinusoidal", feature = "input-layer-sinusoidal"))]
pub fn sinusoidal(pos: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    let (dim, start) = (black_box(D), black_box(0));
    plan(dim)?.rows(start, pos)
}

/// The same rows as [`sinusoidal`], with the frequencies evaluated on the
/// device (`sinusoidal_rows_dyn`).
///
/// # Errors
/// As [`inlayer::sinusoidal::sinusoidal_rows_dyn`].
#[cfg(feature = "sinusoidal-from-config")]
pub fn sinusoidal_from_config(pos: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::sinusoidal::{SinusoidalConfig, sinusoidal_rows_dyn};
    let cfg = black_box(SinusoidalConfig::transformer());
    sinusoidal_rows_dyn(&cfg, black_box(D), black_box(0), pos)
}

/// `out[t] = wte[tokens[t]] * sqrt(D) + PE(t)`.
///
/// # Errors
/// As [`sinusoidal`] and [`inlayer::gather::gather_view`].
#[cfg(feature = "input-layer-sinusoidal")]
pub fn input_layer_sinusoidal(
    out: &mut [f32; OUT_LEN],
    pos: &mut [f32; OUT_LEN],
) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::F32Table;
    use inlayer::gather::{Epilogue, gather_view};
    sinusoidal(pos)?;
    let dim = black_box(D);
    let wte = F32Table::from_bytes(black_box(wte()), dim)?;
    let epilogue = Epilogue::new().scale(black_box(SCALE)).add(pos);
    gather_view(&wte, black_box(&TOKENS), &epilogue, out, dim)
}

/// `out[t] = wte[tokens[t]] * sqrt(D) + PE(t)` in one pass
/// (`inlayer::input`).
///
/// # Errors
/// As [`inlayer::input::input_layer`].
#[cfg(feature = "fused-input-layer")]
pub fn fused_input_layer(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::F32Table;
    use inlayer::input::{InputLayer, input_layer};
    let (dim, tokens, start) = (black_box(D), black_box(&TOKENS), black_box(0));
    let wte = F32Table::from_bytes(black_box(wte()), dim)?;
    // The plan last: no `black_box` (which may write any memory) after it,
    // so the optimiser sees its `TableKernel::PerRow`.
    let pe = plan(dim)?;
    let layer = InputLayer::transformer(&pe);
    input_layer(&layer, &wte, tokens, None, start, out)
}

/// The gradient rows of `gather-backward`: row `t` is all `t + 1`.
#[must_use]
pub fn grad_out() -> [f32; OUT_LEN] {
    core::array::from_fn(|i| (i / D + 1) as f32)
}

/// `grad[tokens[t]] += grad_out[t]`, padding id 5 skipped.
///
/// # Errors
/// As [`inlayer::gather_backward_dyn`].
#[cfg(feature = "gather-backward")]
pub fn gather_backward(grad: &mut [f32; VOCAB * D]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    let g = grad_out();
    inlayer::gather_backward_dyn(
        black_box(&g),
        black_box(&TOKENS),
        black_box(D),
        black_box(Some(5)),
        grad,
    )
}

/// The RoPE input: the first `T · D` values of `wte`, `[T][1][D]`.
#[cfg(any(
    feature = "rope",
    feature = "rope-from-host",
    feature = "rope-interleaved"
))]
pub fn rope_input(x: &mut [f32; OUT_LEN]) {
    for (o, c) in x
        .iter_mut()
        .zip(core::hint::black_box(wte()).chunks_exact(4))
    {
        *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
}

/// Streams `rope` over `x` (`[T][1][D]`, `layout`) at `positions`.
#[cfg(any(
    feature = "rope",
    feature = "rope-from-host",
    feature = "rope-interleaved"
))]
fn rotate(
    rope: &inlayer::rope::Rope<{ D / 2 }>,
    layout: inlayer::rope::Layout,
    positions: inlayer::rope::Positions<'_>,
    x: &mut [f32; OUT_LEN],
) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::rope::Shape;
    rope_input(x);
    let shape = Shape::new(layout, black_box(1), black_box(D));
    rope.apply(x, &shape, positions)
}

/// LLaMA RoPE (half-split) at positions `ROPE_START..`, the frequencies
/// evaluated on the device.
///
/// # Errors
/// As [`inlayer::rope::Rope::try_new`] and [`inlayer::rope::Rope::apply`].
#[cfg(feature = "rope")]
pub fn rope(x: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::rope::{Layout, Positions, Rope, RopeConfig};
    let cfg = black_box(RopeConfig::new(D, 10_000.0));
    let rope = Rope::try_new(&cfg, black_box(1))?;
    let positions = Positions::From(black_box(ROPE_START));
    rotate(&rope, Layout::HalfSplit, positions, x)
}

/// The same rotation as [`rope`], from the host-computed
/// [`ROPE_INV_FREQS`].
///
/// # Errors
/// As [`inlayer::rope::Rope::from_inv_freqs`] and
/// [`inlayer::rope::Rope::apply`].
#[cfg(feature = "rope-from-host")]
pub fn rope_from_host(x: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::rope::{Layout, Positions, Rope};
    let rope = Rope::from_inv_freqs(black_box(&ROPE_INV_FREQS[..]))?;
    let positions = Positions::From(black_box(ROPE_START));
    rotate(&rope, Layout::HalfSplit, positions, x)
}

/// Interleaved RoPE from the host-computed [`ROPE_INV_FREQS`], one position
/// per token ([`ROPE_POSITIONS`]).
///
/// # Errors
/// As [`inlayer::rope::Rope::from_inv_freqs`] and
/// [`inlayer::rope::Rope::apply`].
#[cfg(feature = "rope-interleaved")]
pub fn rope_interleaved(x: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::rope::{Layout, Positions, Rope};
    let rope = Rope::from_inv_freqs(black_box(&ROPE_INV_FREQS[..]))?;
    let positions = Positions::List(black_box(&ROPE_POSITIONS[..]));
    rotate(&rope, Layout::Interleaved, positions, x)
}

/// ALiBi: the slopes of `HEADS` heads, then the bias (relative form) of one
/// decode query at position `KEYS - 1` against keys `0..KEYS`.
///
/// # Errors
/// As [`inlayer::relative::alibi_slopes`] and
/// [`inlayer::relative::alibi_bias`].
#[cfg(feature = "alibi")]
pub fn alibi(slopes: &mut [f32; HEADS], bias: &mut [f32]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::relative::{AlibiOffset, alibi_bias, alibi_slopes};
    alibi_slopes(black_box(&mut slopes[..]))?;
    let (q_start, k_len) = (black_box(KEYS as u32 - 1), black_box(KEYS));
    let offset = black_box(AlibiOffset::Relative);
    alibi_bias(
        black_box(&slopes[..]),
        q_start,
        black_box(1),
        k_len,
        offset,
        bias,
    )
}

/// The T5 bias table (`relative_attention_bias`, `[T5_BUCKETS][1]`): the
/// first values of `wpe`.
#[cfg(feature = "t5")]
#[must_use]
pub fn t5_table() -> [f32; T5_BUCKETS] {
    let mut table = [0.0f32; T5_BUCKETS];
    for (o, c) in table
        .iter_mut()
        .zip(core::hint::black_box(wpe()).chunks_exact(4))
    {
        *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    table
}

/// T5 encoder bias `[1][T][T]` (queries and keys at `0..T`).
///
/// # Errors
/// As [`inlayer::relative::T5Buckets::try_new`] and
/// [`inlayer::relative::T5Buckets::fill_bias`].
#[cfg(feature = "t5")]
pub fn t5(bias: &mut [f32]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::relative::T5Buckets;
    let buckets = T5Buckets::try_new(
        black_box(true),
        black_box(T5_BUCKETS as u32),
        black_box(128),
    )?;
    let table = t5_table();
    let (heads, q_start, len) = (black_box(1), black_box(0), black_box(T));
    buckets.fill_bias(black_box(&table[..]), heads, q_start, len, len, bias)
}

/// `out[t] = wte_bf16[tokens[t]]`.
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "gather-bf16")]
pub fn gather_bf16(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::Bf16Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(D);
    let wte = Bf16Table::from_bytes(black_box(WTE_BF16), dim)?;
    gather_view(&wte, black_box(&TOKENS), &Epilogue::new(), out, dim)
}

/// `out[t] = wte_i8[tokens[t]] · scale[tokens[t]]`.
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "gather-i8")]
pub fn gather_i8(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::I8Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(D);
    let wte = I8Table::per_row(black_box(WTE_I8), dim, black_box(&WTE_I8_SCALES[..]))?;
    gather_view(&wte, black_box(&TOKENS), &Epilogue::new(), out, dim)
}

/// `out[t] = wte_q8_0[qtokens[t]]` (`[VOCAB · D / QD][QD]`).
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "gather-q8_0")]
pub fn gather_q8_0(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::Q8_0Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(QD);
    let wte = Q8_0Table::from_bytes(black_box(WTE_Q8_0), dim)?;
    gather_view(&wte, black_box(&QTOKENS), &Epilogue::new(), out, dim)
}

/// `out[t] = wte_q4_0[qtokens[t]]` (`[VOCAB · D / QD][QD]`).
///
/// # Errors
/// As [`inlayer::gather::gather_view`].
#[cfg(feature = "gather-q4_0")]
pub fn gather_q4_0(out: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::Q4_0Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(QD);
    let wte = Q4_0Table::from_bytes(black_box(WTE_Q4_0), dim)?;
    gather_view(&wte, black_box(&QTOKENS), &Epilogue::new(), out, dim)
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// FNV-1a over the bit patterns of `xs`, continuing from `h`: a checksum
/// match means a bit-for-bit match.
#[must_use]
pub fn fnv(h: u32, xs: &[f32]) -> u32 {
    xs.iter()
        .flat_map(|x| x.to_bits().to_le_bytes())
        .fold(h, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
