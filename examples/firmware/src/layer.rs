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
//!   fine-tuning of the table.
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
}

impl Buffers {
    /// All zeros.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            out: [0.0; OUT_LEN],
            pos: [0.0; OUT_LEN],
            grad: [0.0; VOCAB * D],
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

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// FNV-1a over the bit patterns of `xs`, continuing from `h`: a checksum
/// match means a bit-for-bit match.
#[must_use]
pub fn fnv(h: u32, xs: &[f32]) -> u32 {
    xs.iter()
        .flat_map(|x| x.to_bits().to_le_bytes())
        .fold(h, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
