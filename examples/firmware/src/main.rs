//! `inlayer` in firmware: a `#![no_std]`, `#![no_main]` Cortex-M4F program
//! that runs the input layer on tables embedded with `include_bytes!` into
//! static buffers and prints a checksum of the results over semihosting.
//!
//! - `cargo run --release` (in this folder) runs it under
//!   `qemu-system-arm -M mps2-an386` and prints `checksum=XXXXXXXX`;
//! - `cargo run --release --target x86_64-unknown-linux-gnu` runs the same
//!   code on the host, checks every result against `inlayer::reference`, and
//!   prints the checksum the firmware must print;
//! - `--features no-panic-check`: the panic handler calls a symbol that does
//!   not exist, so the link fails if any panic path survived optimisation.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

mod layer;
#[cfg(target_os = "none")]
mod semihosting;

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns this into a `&'static mut` (in .bss).
    static mut BUFFERS: layer::Buffers = layer::Buffers::new();
    match layer::run(BUFFERS) {
        Ok(sum) => {
            semihosting::print_hex(b"checksum=", sum);
            semihosting::exit(true)
        }
        Err(_) => {
            semihosting::print(b"error\n");
            semihosting::exit(false)
        }
    }
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(feature = "no-panic-check")]
    {
        unsafe extern "C" {
            /// Deliberately undefined: referenced only if a panic survives.
            fn inlayer_firmware_has_a_reachable_panic() -> !;
        }
        // SAFETY: never runs; the link fails if this call is reachable.
        unsafe { inlayer_firmware_has_a_reachable_panic() }
    }
    #[cfg(not(feature = "no-panic-check"))]
    {
        semihosting::print(b"panic\n");
        semihosting::exit(false)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    let mut b = Box::new(layer::Buffers::new());
    let sum = layer::run(&mut b).expect("the kernels run on the host");
    assert_eq!(
        sum,
        host::reference_checksum(),
        "firmware kernels differ from inlayer::reference"
    );
    println!(
        "host: firmware kernels == inlayer::reference (bitwise; sinusoidal within MAX_ABS_ERR, RoPE cos/sin within 2^-23 + 2^-32·π)"
    );
    println!("checksum={sum:08x}");
}

/// The same computations through `inlayer::reference` (host only).
#[cfg(not(target_os = "none"))]
mod host {
    #[allow(unused_imports)]
    use super::layer::{D, OUT_LEN, SCALE, T, TOKENS, VOCAB, fnv, grad_out, wpe, wte};
    #[allow(unused_imports)]
    use super::layer::{HEADS, KEYS, QD, QTOKENS, ROPE_POSITIONS, ROPE_START, T5_BUCKETS};
    #[allow(unused_imports)]
    use inlayer::reference::gather::{gather, gather_backward};

    /// The fast RoPE result `x` (input [`super::layer::rope_input`], one
    /// head of `D`, `layout`, position `positions[t]` for token `t`),
    /// checked against `inlayer::reference::rope`: every cos/sin of the fast
    /// kernel within its documented bound (`2^-23 + 2^-32·π`) of the exact
    /// value of `p·ω_j` (double-double angle, f64 cos/sin), and the rotation
    /// bit-identical to `reference::rope::rotate` given those cos/sin.
    #[cfg(any(
        feature = "rope",
        feature = "rope-from-host",
        feature = "rope-interleaved"
    ))]
    fn rope_checked(
        x: &[f32; OUT_LEN],
        layout: inlayer::rope::Layout,
        positions: &[u32; T],
    ) -> Vec<f32> {
        use inlayer::reference::rope::{angle, inv_freq, rotate};
        use inlayer::rope::{Rope, RopeConfig};
        const BOUND: f64 = 1.0 / 8_388_608.0 + core::f64::consts::PI / 4_294_967_296.0;
        let cfg = RopeConfig::new(D, 10_000.0);
        let omega: Vec<f64> = (0..D / 2).map(|j| inv_freq(&cfg, j, 1)).collect();
        let fast: Rope<{ D / 2 }> = Rope::from_inv_freqs(&omega).expect("valid frequencies");
        let mut want = [0.0f32; OUT_LEN];
        super::layer::rope_input(&mut want);
        for (v, &p) in want.chunks_exact_mut(D).zip(positions) {
            let mut row = [0.0f32; D];
            fast.cos_sin(p, &mut row).expect("a row of D");
            let (c, s) = row.split_at(D / 2);
            for (j, &w) in omega.iter().enumerate() {
                let th = angle(u64::from(p), w);
                assert!(
                    (f64::from(c[j]) - th.cos()).abs() <= BOUND
                        && (f64::from(s[j]) - th.sin()).abs() <= BOUND,
                    "RoPE cos/sin at p = {p}, j = {j}"
                );
            }
            rotate(layout, v, c, s);
        }
        assert!(
            x.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
            "RoPE rotation differs from reference::rope::rotate"
        );
        want.to_vec()
    }

    /// `inlayer::reference::formats::gather` of `tokens` from `table`.
    #[cfg(any(
        feature = "gather-bf16",
        feature = "gather-i8",
        feature = "gather-q8_0",
        feature = "gather-q4_0"
    ))]
    fn format_gather(
        format: inlayer::formats::Format,
        table: &[u8],
        dim: usize,
        scales: &[f32],
        tokens: &[u32],
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; OUT_LEN];
        inlayer::reference::formats::gather(
            format,
            table,
            dim,
            scales,
            tokens,
            0..dim,
            None,
            None,
            None,
            &mut out,
        )
        .expect("reference");
        out
    }

    #[allow(dead_code)]
    fn f32s(bytes: &[u8]) -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    /// The fast sinusoidal rows, checked against the exact values of
    /// `inlayer::reference::sinusoidal` within the documented bound (they are
    /// not promised bit-identical to the oracle, only across targets, which
    /// the QEMU checksum then proves).
    #[cfg(any(
        feature = "sinusoidal",
        feature = "sinusoidal-from-config",
        feature = "input-layer-sinusoidal"
    ))]
    fn sinusoidal_checked() -> Vec<f32> {
        use inlayer::sinusoidal::{MAX_ABS_ERR, SinusoidalConfig, sinusoidal_rows_dyn};
        let cfg = SinusoidalConfig::transformer();
        let mut pe = vec![0.0f32; OUT_LEN];
        sinusoidal_rows_dyn(&cfg, D, 0, &mut pe).expect("sinusoidal rows");
        for (i, &x) in pe.iter().enumerate() {
            let exact = inlayer::reference::sinusoidal::value(&cfg, D, (i / D) as u32, i % D);
            assert!(
                (f64::from(x) - exact).abs() <= MAX_ABS_ERR,
                "PE[{i}] = {x}, exact {exact}"
            );
        }
        pe
    }

    pub fn reference_checksum() -> u32 {
        #[allow(unused_mut)]
        let mut h = 0x811c_9dc5;
        #[cfg(feature = "gather")]
        {
            let mut out = vec![0.0f32; OUT_LEN];
            gather(&f32s(wte()), D, &TOKENS, None, None, None, &mut out).expect("reference");
            h = fnv(h, &out);
        }
        #[cfg(feature = "input-layer")]
        {
            let mut out = vec![0.0f32; OUT_LEN];
            let wpe = f32s(wpe());
            let (wte, add) = (f32s(wte()), &wpe[..T * D]);
            gather(&wte, D, &TOKENS, Some(SCALE), Some(add), None, &mut out).expect("reference");
            h = fnv(h, &out);
        }
        #[cfg(feature = "sinusoidal")]
        {
            h = fnv(h, &sinusoidal_checked());
        }
        #[cfg(feature = "sinusoidal-from-config")]
        {
            h = fnv(h, &sinusoidal_checked());
        }
        #[cfg(feature = "input-layer-sinusoidal")]
        {
            let pe = sinusoidal_checked();
            let mut out = vec![0.0f32; OUT_LEN];
            gather(
                &f32s(wte()),
                D,
                &TOKENS,
                Some(SCALE),
                Some(&pe),
                None,
                &mut out,
            )
            .expect("reference");
            h = fnv(h, &out);
        }
        #[cfg(feature = "fused-input-layer")]
        {
            // Fused: within the sinusoidal bound (plus one f32 rounding of the
            // sum) of gather * sqrt(D) + exact PE; the checksum then proves the
            // Cortex-M4F result bit-identical to this host result.
            let mut fast = [0.0f32; OUT_LEN];
            super::layer::fused_input_layer(&mut fast).expect("fused input layer");
            let mut tok = vec![0.0f32; OUT_LEN];
            gather(&f32s(wte()), D, &TOKENS, Some(SCALE), None, None, &mut tok).expect("reference");
            let cfg = inlayer::sinusoidal::SinusoidalConfig::transformer();
            for (i, (&x, &t)) in fast.iter().zip(&tok).enumerate() {
                let exact = f64::from(t)
                    + inlayer::reference::sinusoidal::value(&cfg, D, (i / D) as u32, i % D);
                let tol = inlayer::sinusoidal::MAX_ABS_ERR + exact.abs() * f64::from(f32::EPSILON);
                assert!(
                    (f64::from(x) - exact).abs() <= tol,
                    "fused[{i}] = {x}, exact {exact}"
                );
            }
            h = fnv(h, &fast);
        }
        #[cfg(feature = "gather-backward")]
        {
            let mut grad = vec![0.0f32; VOCAB * D];
            gather_backward(&grad_out(), &TOKENS, D, Some(5), &mut grad).expect("reference");
            h = fnv(h, &grad);
        }
        #[cfg(feature = "rope")]
        {
            use inlayer::rope::Layout;
            let mut x = [0.0f32; OUT_LEN];
            super::layer::rope(&mut x).expect("rope");
            let positions = core::array::from_fn(|t| ROPE_START + t as u32);
            h = fnv(h, &rope_checked(&x, Layout::HalfSplit, &positions));
        }
        #[cfg(feature = "rope-from-host")]
        {
            use inlayer::rope::Layout;
            let mut x = [0.0f32; OUT_LEN];
            super::layer::rope_from_host(&mut x).expect("rope");
            let positions = core::array::from_fn(|t| ROPE_START + t as u32);
            h = fnv(h, &rope_checked(&x, Layout::HalfSplit, &positions));
        }
        #[cfg(feature = "rope-interleaved")]
        {
            use inlayer::rope::Layout;
            let mut x = [0.0f32; OUT_LEN];
            super::layer::rope_interleaved(&mut x).expect("rope");
            h = fnv(h, &rope_checked(&x, Layout::Interleaved, &ROPE_POSITIONS));
        }
        #[cfg(feature = "alibi")]
        {
            use inlayer::reference::relative::{alibi_bias, alibi_slopes_press};
            let mut slopes = [0.0f32; HEADS];
            alibi_slopes_press(&mut slopes);
            let q = KEYS as i64 - 1;
            let bias: Vec<f32> = slopes
                .iter()
                .flat_map(|&m| (0..KEYS as i64).map(move |j| alibi_bias(m, j, q)))
                .collect();
            h = fnv(fnv(h, &slopes), &bias);
        }
        #[cfg(feature = "t5")]
        {
            use inlayer::reference::relative::t5_bucket;
            let table = super::layer::t5_table();
            let bias: Vec<f32> = (0..T as i64)
                .flat_map(|i| (0..T as i64).map(move |j| (i, j)))
                .map(|(i, j)| table[t5_bucket(j - i, true, T5_BUCKETS as u32, 128) as usize])
                .collect();
            h = fnv(h, &bias);
        }
        #[cfg(feature = "gather-bf16")]
        {
            use inlayer::formats::Format;
            let out = format_gather(Format::Bf16, super::layer::WTE_BF16, D, &[], &TOKENS);
            h = fnv(h, &out);
        }
        #[cfg(feature = "gather-i8")]
        {
            use super::layer::{WTE_I8, WTE_I8_SCALES};
            use inlayer::formats::Format;
            let out = format_gather(Format::I8, WTE_I8, D, &WTE_I8_SCALES, &TOKENS);
            h = fnv(h, &out);
        }
        #[cfg(feature = "gather-q8_0")]
        {
            use inlayer::formats::Format;
            let out = format_gather(Format::Q8_0, super::layer::WTE_Q8_0, QD, &[], &QTOKENS);
            h = fnv(h, &out);
        }
        #[cfg(feature = "gather-q4_0")]
        {
            use inlayer::formats::Format;
            let out = format_gather(Format::Q4_0Split, super::layer::WTE_Q4_0, QD, &[], &QTOKENS);
            h = fnv(h, &out);
        }
        h
    }
}
