//! Fuzz: sinusoidal encodings. Decodes a config, width, start position and
//! row count from the input; the fast kernels must agree with the oracle
//! (same `Err`, or every value within `MAX_ABS_ERR`), the plan must equal
//! the plan-less entry point bitwise, a plan rebuilt by `from_turns` from its
//! frequencies must equal it bitwise, the `PerRow` table kernel must equal
//! the one-row kernel bitwise (and stay within bound), and nothing may panic.
#![no_main]

use inlayer::reference::sinusoidal as oracle;
use inlayer::sinusoidal::{
    Layout, MAX_ABS_ERR, OddWidth, Schedule, Sinusoidal, SinusoidalConfig, TableKernel,
    sinusoidal_rows_dyn,
};
use libfuzzer_sys::fuzz_target;

fn f64_at(d: &[u8], i: usize) -> f64 {
    let mut b = [0u8; 8];
    for (k, x) in b.iter_mut().enumerate() {
        *x = d.get(i + k).copied().unwrap_or(0);
    }
    f64::from_le_bytes(b)
}

fuzz_target!(|d: &[u8]| {
    if d.len() < 32 {
        return;
    }
    let schedule = if d[0] & 1 == 0 {
        Schedule::Base(f64_at(d, 8))
    } else {
        Schedule::Timescales {
            min: f64_at(d, 8),
            max: f64_at(d, 16),
        }
    };
    let layout = if d[0] & 2 == 0 {
        Layout::Interleaved
    } else {
        Layout::Halves
    };
    let odd = match d[1] % 3 {
        0 => OddWidth::ZeroColumn,
        1 => OddWidth::ExtraSin,
        _ => OddWidth::Reject,
    };
    let cfg = SinusoidalConfig {
        schedule,
        layout,
        odd,
        first_position: 0,
        padding_row: (d[0] & 4 != 0).then_some(u32::from(d[2])),
    };
    let dim = usize::from(u16::from_le_bytes([d[3], d[4]]) % 300);
    let rows = usize::from(d[5] % 40);
    let start = u32::from_le_bytes([d[24], d[25], d[26], d[27]]);
    let mut a = vec![1.5f32; dim * rows];
    let mut b = vec![1.5f32; dim * rows];
    let ra = sinusoidal_rows_dyn(&cfg, dim, start, &mut a);
    let rb = oracle::sinusoidal_rows(&cfg, dim, start, &mut b);
    // Errors compared as text: a NaN parameter makes the values unequal.
    assert_eq!(ra.map_err(|e| e.to_string()), rb.map_err(|e| e.to_string()));
    if ra.is_err() {
        assert!(a.iter().all(|&x| x == 1.5));
        return;
    }
    for (x, y) in a.iter().zip(&b) {
        assert!(
            f64::from((x - y).abs()) <= MAX_ABS_ERR + 6e-8,
            "{x} vs {y}: {cfg:?} dim {dim} start {start} rows {rows}"
        );
    }
    let mut turns = vec![0u64; Sinusoidal::turns_len(&cfg, dim)];
    let pe = Sinusoidal::try_new(cfg, dim, &mut turns).unwrap();
    let mut c = vec![0.0f32; dim * rows];
    pe.rows(start, &mut c).unwrap();
    assert!(a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()));
    // The firmware pattern: the same plan from its frequencies.
    let device = Sinusoidal::from_turns(cfg, dim, pe.turns()).unwrap();
    assert_eq!(device, pe);
    let mut e = vec![0.0f32; dim * rows];
    device.rows(start, &mut e).unwrap();
    assert!(a.iter().zip(&e).all(|(x, y)| x.to_bits() == y.to_bits()));
    // The one-row kernel for every run length: each row as `row` writes it.
    let per_row = pe.with_table_kernel(TableKernel::PerRow);
    per_row.rows(start, &mut e).unwrap();
    let mut one = vec![0.0f32; dim];
    for (k, (got, want)) in e
        .chunks_exact(dim.max(1))
        .zip(b.chunks_exact(dim.max(1)))
        .enumerate()
    {
        per_row.row(start + k as u32, &mut one).unwrap();
        assert!(
            got.iter()
                .zip(&one)
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
        for (x, y) in got.iter().zip(want) {
            assert!(
                f64::from((x - y).abs()) <= MAX_ABS_ERR + 6e-8,
                "PerRow {x} vs {y}"
            );
        }
    }
});
