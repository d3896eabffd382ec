//! Decode-gather speed per table format as the best of many short runs,
//! next to the f32 per-row `memcpy` of the same output: a robust companion
//! to `benches/formats.rs` on a shared, noisy machine (the minimum time is
//! what the code can do; criterion's mean also measures the neighbours).
//!
//! `cargo run --release --example formats_speed [FORMAT...]`, with
//! `T=1` (tokens, default 512), `D=4096` (row width of the 32-element
//! formats, default 384; the K-quants use 512 unless `D` is a multiple of
//! 256), `DRAM=1` (a 512 MiB f32-equivalent table instead of 256 KiB, read
//! with 2^18 random ids cycled, so every call, one token too, finds its rows
//! outside the caches) and
//! `SERIAL=1` (on x86_64 an `lfence` after every call, of the gather and of
//! the `memcpy` alike, so that a call starts only when the one before has
//! finished: its time is then its latency, as in a decode step, where a
//! model's layers run between two gathers; without it the core overlaps
//! back-to-back calls as far as its out-of-order window reaches, which
//! favours the call with fewer instructions),
//! `FIXED=1` (the gather through the fixed-shape `gather_table::<D>`, D =
//! 384, 512 or 4096, instead of `gather_view`),
//! `SEED=n` (other random tables and ids: where a table and its rows land
//! against the output moves a one-token figure by several hundredths, so a
//! comparison is best taken over a few seeds),
//! `SCALE=1` (the gather multiplies by a scale, as Gemma's `× √d` does) and
//! `ADD=1` (it adds a row per token, as GPT-2's `+ wpe` does); the baseline
//! stays the plain `memcpy`; and `BARE=1` (x86_64 with AVX-512F, without
//! `SCALE` and `ADD`: `i8` and `Q8_0` also time the bare AVX-512 loop of
//! their conversion, module `bare`, which tells what a format's conversion
//! costs from what the gather adds).
//! Tables are random bytes with moderate scales, as in the criterion bench.
//!
//! Each contender's time is the mean, over eight placements of the output
//! 512 bytes apart (so across a 4 KiB page), of its best time at that
//! placement. A one-token row is short enough that where the output falls
//! against the table matters: when their addresses agree in the low 12 bits
//! within a row's reach, loads wait on unrelated stores ("4K aliasing"),
//! and the same `bf16` decode of 384 values took 14 ns at some placements
//! and 22 ns at others (glibc's `memcpy` avoids this case). One placement
//! would measure the luck of the allocator; the mean measures a random one.

use inlayer::gather::{Epilogue, gather_view};
use inlayer::reference::formats::dequantize_row;
use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/format_tables.rs"]
mod format_tables;
use format_tables::{FORMATS, Rng, table_bytes, token_sets};

/// The bare AVX-512 loops of two row decoders: the conversion's own
/// instructions (`vpmovsxbd`, `vcvtdq2ps`, the scale's `vmulps`; for `Q8_0`
/// also the block scale's `vcvtph2ps` and broadcast) and the stores, with no
/// validation, dispatch, epilogue or tail: what the conversion alone costs
/// on this core, the reference point for what the gather's call around it
/// (validation, dispatch, epilogue, tail) adds. They give the reference's
/// bits, as the crate's bodies do (checked before they are timed).
#[cfg(target_arch = "x86_64")]
mod bare {
    use inlayer::formats::Format;
    use std::arch::x86_64::{
        _mm_cvtph_ps, _mm_cvtss_f32, _mm512_cvtepi8_epi32, _mm512_cvtepi32_ps, _mm512_mul_ps,
        _mm512_set1_ps,
    };

    /// Proof that this CPU runs the loops (AVX-512F and F16C).
    #[derive(Clone, Copy)]
    pub struct Cpu(());

    /// The proof, where the CPU runs them.
    pub fn cpu() -> Option<Cpu> {
        let runs =
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("f16c");
        runs.then_some(Cpu(()))
    }

    /// Whether there is a loop for `format` (`i8` and `Q8_0`).
    pub fn has(format: Format) -> bool {
        matches!(format, Format::I8 | Format::Q8_0)
    }

    /// Decodes one row of `format` (one [`has`] names; others write nothing).
    pub fn row(_: Cpu, format: Format, src: &[u8], scale: f32, out: &mut [f32]) {
        // SAFETY: a `Cpu` exists only where the CPU has AVX-512F and F16C.
        unsafe {
            match format {
                Format::I8 => i8_row(src, scale, out),
                Format::Q8_0 => q8_0_row(src, out),
                _ => {}
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    fn i8_row(q: &[u8], scale: f32, out: &mut [f32]) {
        let s = _mm512_set1_ps(scale);
        for (o, q) in out
            .as_chunks_mut::<16>()
            .0
            .iter_mut()
            .zip(q.as_chunks::<16>().0)
        {
            let x = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(*q)));
            *o = bytemuck::cast(_mm512_mul_ps(x, s));
        }
    }

    #[target_feature(enable = "avx512f,f16c")]
    fn q8_0_row(blocks: &[u8], out: &mut [f32]) {
        for (o, b) in out
            .as_chunks_mut::<32>()
            .0
            .iter_mut()
            .zip(blocks.as_chunks::<34>().0)
        {
            let ([_, _, q @ ..], Some(head)) = (b, b.first_chunk::<16>()) else {
                continue;
            };
            // The scale's conversion reads the block (`vcvtph2ps` from
            // memory): one widened into a register would merge into the
            // previous block's, a dependency from block to block.
            let d = _mm_cvtph_ps(bytemuck::cast(*head));
            let d = _mm512_set1_ps(_mm_cvtss_f32(d));
            let q: [[u8; 16]; 2] = bytemuck::cast(*q);
            *o = bytemuck::cast(q.map(|q| {
                _mm512_mul_ps(
                    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytemuck::cast(q))),
                    d,
                )
            }));
        }
    }
}

/// Elsewhere: no bare loops.
#[cfg(not(target_arch = "x86_64"))]
mod bare {
    use inlayer::formats::Format;

    /// No CPU runs them.
    #[derive(Clone, Copy)]
    pub enum Cpu {}

    pub fn cpu() -> Option<Cpu> {
        None
    }

    pub fn has(_: Format) -> bool {
        false
    }

    pub fn row(cpu: Cpu, _: Format, _: &[u8], _: f32, _: &mut [f32]) {
        match cpu {}
    }
}

/// The gather through the fixed-shape entry point, `gather_table::<D>`, for
/// the widths it is timed at (`FIXED=1`).
fn gather_fixed<T: inlayer::formats::Table>(
    table: &T,
    ids: &[u32],
    epilogue: &Epilogue<'_>,
    out: &mut [f32],
) {
    fn at<const D: usize, T: inlayer::formats::Table>(
        table: &T,
        ids: &[u32],
        epilogue: &Epilogue<'_>,
        out: &mut [f32],
    ) {
        let out = out.as_chunks_mut::<D>().0;
        inlayer::gather::gather_table::<D, T>(table, ids, epilogue, out).unwrap();
    }
    match table.dim() {
        384 => at::<384, T>(table, ids, epilogue, out),
        512 => at::<512, T>(table, ids, epilogue, out),
        4096 => at::<4096, T>(table, ids, epilogue, out),
        d => panic!("FIXED=1 times D = 384, 512 or 4096, not {d}"),
    }
}

/// Output placements measured (see the module docs).
const PLACEMENTS: usize = 8;

/// The shortest time per call of `f` over 40 runs of `reps` calls.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..40)
        .map(|_| {
            let t = Instant::now();
            (0..reps).for_each(|_| f());
            t.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::MAX, f64::min)
}

/// With `serial`, waits until every instruction before has finished (x86_64:
/// `lfence`; elsewhere nothing).
fn wait_if(serial: bool) {
    #[cfg(target_arch = "x86_64")]
    if serial {
        // SAFETY: `lfence` is SSE2, which every x86_64 CPU runs.
        unsafe { std::arch::x86_64::_mm_lfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = serial;
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let (t, d, dram) = (env("T", 512), env("D", 384), std::env::var("DRAM").is_ok());
    let serial = std::env::var("SERIAL").is_ok();
    let fixed = std::env::var("FIXED").is_ok();
    let (scale, add) = (std::env::var("SCALE").is_ok(), std::env::var("ADD").is_ok());
    let bare_cpu = std::env::var("BARE").is_ok().then(bare::cpu).flatten();
    let mut rng =
        Rng(0x2545_f491_4f6c_dd1d ^ (env("SEED", 0) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    println!(
        "{} build, T = {t}, {}{}{}{}",
        inlayer::BACKEND,
        if dram { "DRAM" } else { "cache" },
        if serial { ", serial" } else { "" },
        if fixed { ", gather_table::<D>" } else { "" },
        match (scale, add) {
            (false, false) => "",
            (true, false) => ", × scale",
            (false, true) => ", + add row",
            (true, true) => ", × scale + add row",
        }
    );
    for (name, format) in FORMATS {
        if !only.is_empty() && !only.iter().any(|f| f == name) {
            continue;
        }
        let dim = if format.block_elems() == 256 && d % 256 != 0 {
            512
        } else {
            d
        };
        let rows = if dram { 512 << 20 } else { 1 << 18 } / (4 * dim);
        // Both tables start on a 64-byte line (a memory map, or the
        // allocator's 16-byte alignment, would give each its own luck).
        let mut f32_buf = vec![0.0f32; rows * dim + 16];
        let at = f32_buf.as_ptr().align_offset(64);
        let f32_table = &mut f32_buf[at..at + rows * dim];
        f32_table
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = i as f32);
        let f32_table = &*f32_table;
        let random = table_bytes(format, rows, dim, &mut rng);
        let mut bytes_buf = vec![0u8; random.len() + 64];
        let at = bytes_buf.as_ptr().align_offset(64);
        bytes_buf[at..at + random.len()].copy_from_slice(&random);
        let bytes = &bytes_buf[at..at + random.len()];
        let scales: Vec<f32> = (0..rows).map(|i| 1.0 / (1 + i % 7) as f32).collect();
        // The concrete view type, as a caller holds it (`with_view!`).
        with_view!(format, bytes, dim, &scales, |table| {
            // Token sets, cycled, so DRAM rows are not re-read from cache.
            let (ids, n_sets) = token_sets(&mut rng, rows, t, dram);
            let sets: Vec<&[u32]> = ids.chunks(t.max(1)).collect();
            let mut out_buf = vec![0.0f32; t * dim + PLACEMENTS * 128 + 16];
            let base = out_buf.as_ptr().align_offset(64);
            let mut out = out_buf[base..base + t * dim].to_vec();
            // Checked once against the reference decoder, bit for bit (and
            // the bare loop, where it is timed).
            let bare_cpu = bare_cpu.filter(|_| bare::has(format) && !scale && !add);
            // The entry point timed: `gather_view`, or `gather_table::<D>`.
            let gather_by = |ids: &[u32], epilogue: &Epilogue<'_>, out: &mut [f32]| {
                if fixed {
                    gather_fixed(table, ids, epilogue, out);
                } else {
                    gather_view(table, ids, epilogue, out, dim).unwrap();
                }
            };
            gather_by(sets[0], &Epilogue::new(), &mut out);
            let row = format.row_bytes(dim).unwrap();
            for (&id, o) in sets[0].iter().zip(out.chunks_exact(dim)) {
                let (id, mut want) = (id as usize, vec![0.0f32; dim]);
                let src = &bytes[id * row..(id + 1) * row];
                dequantize_row(format, src, scales[id], &mut want).unwrap();
                let bare_row = bare_cpu.map(|cpu| {
                    let mut r = vec![f32::NAN; dim];
                    bare::row(cpu, format, src, scales[id], &mut r);
                    r
                });
                for got in [Some(o), bare_row.as_deref()].into_iter().flatten() {
                    assert!(
                        got.iter()
                            .zip(&want)
                            .all(|(a, b)| a.to_bits() == b.to_bits())
                    );
                }
            }
            // From DRAM every call waits on fresh rows: a one-token call takes
            // a DRAM latency, so 2048 of them make a run, as 4 of 512 do.
            let reps = if dram {
                (2048 / t).max(4)
            } else {
                (800_000 / (t * dim)).max(4)
            };
            // The epilogue: a scale, one add row per token (or neither).
            let rows_to_add = vec![0.25f32; t * dim];
            let mut epilogue = Epilogue::new();
            epilogue.scale = scale.then_some(55.5);
            epilogue.add = add.then_some(rows_to_add.as_slice());
            let (mut k, mut memcpy, mut gather, mut bare_time) = (0, 0.0, 0.0, 0.0);
            for p in 0..PLACEMENTS {
                // 128 values = 512 bytes further each time, from a 64-byte line.
                let out = &mut out_buf[base + 128 * p..base + 128 * p + t * dim];
                memcpy += best(reps, || {
                    k = (k + 1) % n_sets;
                    for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                        let r = id as usize * dim;
                        o.copy_from_slice(&f32_table[r..r + dim]);
                    }
                    black_box(&out);
                    wait_if(serial);
                }) / PLACEMENTS as f64;
                gather += best(reps, || {
                    k = (k + 1) % n_sets;
                    gather_by(sets[k], &epilogue, out);
                    black_box(&out);
                    wait_if(serial);
                }) / PLACEMENTS as f64;
                if let Some(cpu) = bare_cpu {
                    bare_time += best(reps, || {
                        k = (k + 1) % n_sets;
                        for (&id, o) in sets[k].iter().zip(out.chunks_exact_mut(dim)) {
                            let id = id as usize;
                            bare::row(cpu, format, &bytes[id * row..(id + 1) * row], scales[id], o);
                        }
                        black_box(&out);
                        wait_if(serial);
                    }) / PLACEMENTS as f64;
                }
            }
            let n = (t * dim) as f64;
            println!(
                "{name:8} D = {dim:4}: {:6.2} G elem/s, f32 memcpy {:6.2} G elem/s, ratio {:.2}",
                n / gather / 1e9,
                n / memcpy / 1e9,
                memcpy / gather
            );
            if bare_time > 0.0 {
                println!(
                    "{:8}   bare AVX-512 loop: {:6.2} G elem/s, ratio {:.2}",
                    "",
                    n / bare_time / 1e9,
                    memcpy / bare_time
                );
            }
        });
    }
}
