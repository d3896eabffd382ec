//! The input layer this firmware runs, shared by the target build and the
//! host build (which also checks it against `inlayer::reference`).
//!
//! GPT-2 style: `out[t] = wte[tokens[t]] * sqrt(D) + wpe[t]`, where the
//! learned position rows are themselves a gather of `wpe` at positions
//! `0..T`. Both tables are embedded with `include_bytes!`: `wte` through an
//! aligned wrapper (zero-copy view), `wpe` as plain bytes (any alignment).
//!
//! Every input goes through `black_box`, so the optimiser cannot specialise
//! the kernels to these constants: the code measured and proven panic-free is
//! the general code a runtime would run (table, ids, width and scale known
//! only at run time).

/// Row width.
pub const D: usize = 16;
/// Tokens per call.
pub const T: usize = 12;
/// Values in the output buffer.
pub const OUT_LEN: usize = T * D;

/// The prompt: repeated ids and both ends of the 64-row vocabulary.
pub const TOKENS: [u32; T] = [0, 63, 5, 5, 17, 42, 1, 62, 33, 5, 8, 21];

#[repr(C, align(4))]
struct Aligned<B: ?Sized>(B);

static WTE: &Aligned<[u8]> = &Aligned(*include_bytes!("../wte.bin"));
#[cfg_attr(not(feature = "input-layer"), allow(dead_code))]
static WPE: &[u8] = include_bytes!("../wpe.bin");

/// The scale of the input layer, `sqrt(D)`.
#[cfg_attr(not(feature = "input-layer"), allow(dead_code))]
pub const SCALE: f32 = 4.0;

/// The token table's bytes (64 rows of `D` little-endian `f32`).
#[must_use]
pub fn wte() -> &'static [u8] {
    &WTE.0
}

/// The position table's bytes (16 rows of `D` little-endian `f32`).
#[cfg_attr(not(feature = "input-layer"), allow(dead_code))]
#[must_use]
pub fn wpe() -> &'static [u8] {
    WPE
}

/// Runs the input layer into `out` (`pos` is scratch for the position rows).
///
/// # Errors
/// Whatever the kernels return (never, for these fixed inputs).
#[cfg(feature = "input-layer")]
pub fn run(out: &mut [f32; OUT_LEN], pos: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
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

/// Runs the plain gather into `out` (size-measurement build).
///
/// # Errors
/// Whatever the kernel returns (never, for these fixed inputs).
#[cfg(all(feature = "gather", not(feature = "input-layer")))]
pub fn run(out: &mut [f32; OUT_LEN], _pos: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    use core::hint::black_box;
    use inlayer::formats::F32Table;
    use inlayer::gather::{Epilogue, gather_view};
    let dim = black_box(D);
    let wte = F32Table::from_bytes(black_box(wte()), dim)?;
    gather_view(&wte, black_box(&TOKENS), &Epilogue::new(), out, dim)
}

/// The empty baseline: no kernel (size-measurement build).
///
/// # Errors
/// Never.
#[cfg(not(feature = "gather"))]
pub fn run(out: &mut [f32; OUT_LEN], _pos: &mut [f32; OUT_LEN]) -> Result<(), inlayer::Error> {
    out.fill(0.0);
    Ok(())
}

/// FNV-1a over the bit patterns of `out`, so a checksum match means a
/// bit-for-bit match.
#[must_use]
pub fn checksum(out: &[f32]) -> u32 {
    out.iter()
        .flat_map(|x| x.to_bits().to_le_bytes())
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        })
}
