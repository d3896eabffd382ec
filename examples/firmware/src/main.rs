//! `inlayer` in firmware: a `#![no_std]`, `#![no_main]` Cortex-M4F program
//! that runs the input layer on tables embedded with `include_bytes!` into a
//! static buffer and prints a checksum of the result over semihosting.
//!
//! - `cargo run --release` (in this folder) runs it under
//!   `qemu-system-arm -M mps2-an386` and prints `checksum=XXXXXXXX`;
//! - `cargo run --release --target x86_64-unknown-linux-gnu` runs the same
//!   code on the host, checks it against `inlayer::reference`, and prints the
//!   checksum the firmware must print;
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
    // cortex-m-rt turns these into `&'static mut` buffers (in .bss).
    static mut OUT: [f32; layer::OUT_LEN] = [0.0; layer::OUT_LEN];
    static mut POS: [f32; layer::OUT_LEN] = [0.0; layer::OUT_LEN];
    let ok = layer::run(OUT, POS).is_ok();
    semihosting::print_hex(b"checksum=", layer::checksum(&OUT[..]));
    semihosting::exit(ok)
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
    let mut out = [0.0f32; layer::OUT_LEN];
    let mut pos = [0.0f32; layer::OUT_LEN];
    layer::run(&mut out, &mut pos).expect("the input layer runs on the host");
    host::check_against_reference(&out);
    println!("checksum={:08x}", layer::checksum(&out));
}

#[cfg(not(target_os = "none"))]
mod host {
    use super::layer::{D, OUT_LEN, T, TOKENS};

    fn f32s(bytes: &[u8]) -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    /// The firmware's result must equal `inlayer::reference` bit for bit.
    pub fn check_against_reference(out: &[f32; OUT_LEN]) {
        let mut want = vec![0.0f32; OUT_LEN];
        #[cfg(feature = "input-layer")]
        {
            let wpe = f32s(super::layer::wpe());
            let add = &wpe[..T * D];
            let (scale, add) = (Some(super::layer::SCALE), Some(add));
            inlayer::reference::gather::gather(
                &f32s(super::layer::wte()),
                D,
                &TOKENS,
                scale,
                add,
                None,
                &mut want,
            )
            .expect("reference runs");
        }
        #[cfg(all(feature = "gather", not(feature = "input-layer")))]
        inlayer::reference::gather::gather(
            &f32s(super::layer::wte()),
            D,
            &TOKENS,
            None,
            None,
            None,
            &mut want,
        )
        .expect("reference runs");
        let same = out
            .iter()
            .zip(&want)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "firmware input layer differs from inlayer::reference");
        println!("host: firmware input layer == inlayer::reference (bitwise)");
    }
}
