//! Minimal ARM semihosting (`bkpt 0xAB`): print a string, exit with a status.
//! Enough for QEMU's `-semihosting-config enable=on`; no formatting machinery,
//! so no panic path is linked in.

const SYS_WRITE0: u32 = 0x04;
const SYS_EXIT: u32 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;
const ADP_STOPPED_RUN_TIME_ERROR: u32 = 0x2_0023;

fn call(op: u32, arg: u32) {
    // SAFETY: the semihosting ABI: r0 = operation, r1 = argument (a pointer
    // to a NUL-terminated string that outlives the call, or an exit reason).
    // The debugger (QEMU) services the breakpoint and resumes.
    unsafe {
        core::arch::asm!("bkpt #0xab", inout("r0") op => _, in("r1") arg, options(nostack));
    }
}

/// Prints ASCII `bytes` (at most 63 of them) on the host's stdout.
pub fn print(bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for (b, &c) in buf.iter_mut().take(63).zip(bytes) {
        *b = c;
    }
    call(SYS_WRITE0, buf.as_ptr() as u32);
}

/// Prints `label` then `x` as 8 hex digits and a newline.
pub fn print_hex(label: &[u8], x: u32) {
    print(label);
    let mut hex = [b'\n'; 9];
    for (i, h) in hex.iter_mut().take(8).enumerate() {
        let nibble = (x >> (28 - 4 * i)) & 0xf;
        *h = b"0123456789abcdef"[nibble as usize & 0xf];
    }
    print(&hex);
}

/// Ends the program: exit status 0 if `ok`, else 1.
pub fn exit(ok: bool) -> ! {
    let reason = if ok {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUN_TIME_ERROR
    };
    loop {
        call(SYS_EXIT, reason);
    }
}
