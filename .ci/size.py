#!/usr/bin/env python3
"""Code size and panic-freedom of inlayer's kernel families on Cortex-M4F.

Builds the firmware example (examples/firmware) for thumbv7em-none-eabihf once
per kernel family (each cargo feature of that crate, except `default` and
`no-panic-check`; no feature at all is the empty baseline: startup code and
semihosting) at opt-level "s" and 3, with LTO and panic = "abort", and reads
the `.text` size from the ELF section headers. Each build is first tried with
the `no-panic-check` feature, whose panic handler calls a symbol that does not
exist: it links only if no panic path survived optimisation.

Prints a Markdown table for the README, and the budget check: the budgeted
families (BUDGET_FAMILIES; first the path of issue 6, f32 gather + sinusoidal
+ fused input layer, then the two other sinusoidal families a firmware uses)
must each fit BUDGET_BYTES of `.text` at opt-level "s", whole program,
startup included (12 KiB, the goal of issue 6; INLAYER_SIZE_BUDGET_BYTES
overrides it). Exits non-zero if one does not, or if any family keeps a panic
path (unless --allow-panics), except the families of KNOWN_PANICS: their panic
path is known, documented in the README ("### No panics") and outside the
firmware's code; they are reported as "NO (known)" and do not fail the check
(a notice is printed when one of them turns out panic-free: remove it then).
Usage: python3 .ci/size.py [--allow-panics]
"""
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "examples", "firmware")
TARGET = "thumbv7em-none-eabihf"
BUDGET_FAMILIES = ["fused-input-layer", "sinusoidal", "input-layer-sinusoidal"]
BUDGET_BYTES = int(os.environ.get("INLAYER_SIZE_BUDGET_BYTES", 12 * 1024))
OPT_LEVELS = ["s", "3"]
# Families that keep a panic path in library code owned elsewhere (the table
# formats), with where it is. Each is in the README's "### No panics".
KNOWN_PANICS = {}


def families():
    """The cargo features of the firmware crate, in file order."""
    text = open(os.path.join(FIRMWARE, "Cargo.toml")).read()
    section = text.split("[features]", 1)[1].split("\n[", 1)[0]
    names = re.findall(r"^([A-Za-z0-9_-]+)\s*=", section, re.M)
    return [n for n in names if n not in ("default", "no-panic-check")]


ALL = "(all: default features)"


def section_sizes(path):
    """{section name: size} of a little-endian ELF32 file."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1:
        raise ValueError(f"{path}: not an ELF32 file")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = headers[shstrndx][4]
    sizes = {}
    for h in headers:
        name_end = data.index(b"\0", strtab_off + h[0])
        sizes[data[strtab_off + h[0]:name_end].decode()] = h[5]
    return sizes


def build(features, opt, no_panic):
    """Builds one configuration; returns (elf path, linked ok, log)."""
    feats = list(features) + (["no-panic-check"] if no_panic else [])
    target_dir = os.path.join(FIRMWARE, "target", f"size-opt{opt}")
    env = dict(os.environ, CARGO_PROFILE_RELEASE_OPT_LEVEL=opt, CARGO_TARGET_DIR=target_dir)
    env.pop("RUSTFLAGS", None)
    cmd = ["cargo", "build", "--quiet", "--release", "--target", TARGET]
    if ALL in feats:
        feats.remove(ALL)
    else:
        cmd.append("--no-default-features")
    if feats:
        cmd += ["--features", ",".join(feats)]
    run = subprocess.run(cmd, cwd=FIRMWARE, env=env, capture_output=True, text=True)
    elf = os.path.join(target_dir, TARGET, "release", "inlayer-firmware")
    return elf, run.returncode == 0, run.stderr


def measure(features, opt):
    """(.text bytes, panic-free?) for one configuration."""
    elf, ok, log = build(features, opt, no_panic=True)
    panic_free = ok
    if not ok:
        if "inlayer_firmware_has_a_reachable_panic" not in log:
            sys.exit(f"firmware build failed ({features}, opt-level {opt}):\n{log}")
        elf, ok, log = build(features, opt, no_panic=False)
        if not ok:
            sys.exit(f"firmware build failed ({features}, opt-level {opt}):\n{log}")
    return section_sizes(elf).get(".text", 0), panic_free


def main():
    allow_panics = "--allow-panics" in sys.argv
    fams = families()
    rows = {}
    for opt in OPT_LEVELS:
        rows[("(baseline)", opt)] = measure([], opt)
        for fam in fams + [ALL]:
            rows[(fam, opt)] = measure([fam], opt)
    print(f"`.text` bytes on {TARGET} (LTO, panic = \"abort\"; Δ = over the empty baseline)\n")
    print('| kernel family (firmware feature) | opt "s" | Δ | opt 3 | Δ | no panic path |')
    print("|---|---:|---:|---:|---:|---|")
    failures = []
    notices = []
    known = {f: why for f, why in KNOWN_PANICS.items() if f in fams}
    if known:
        known[ALL] = "the families above"
    for fam in ["(baseline)"] + fams + [ALL]:
        cells = []
        free = []
        for opt in OPT_LEVELS:
            text, panic_free = rows[(fam, opt)]
            base = rows[("(baseline)", opt)][0]
            cells += [str(text), "—" if fam == "(baseline)" else f"{text - base:+d}"]
            free.append(panic_free)
            if not panic_free and fam not in known:
                failures.append(f"{fam} keeps a panic path at opt-level {opt}")
        if all(free):
            verdict = "yes (link check)"
            if fam in known and fam != ALL:
                notices.append(f"{fam} is now panic-free: remove it from KNOWN_PANICS")
        else:
            verdict = "NO (known)" if fam in known else "NO"
        print(f"| {fam} | " + " | ".join(cells) + f" | {verdict} |")
    print()
    for fam, why in known.items():
        if fam != ALL and not all(rows[(fam, opt)][1] for opt in OPT_LEVELS):
            print(f"known panic path: `{fam}`: {why}")
    for n in notices:
        print(f"NOTICE: {n}")
    for fam in BUDGET_FAMILIES:
        budget_text = rows.get((fam, "s"), (None, True))[0]
        if budget_text is None:
            failures.append(f"budget family `{fam}` is not a firmware feature")
            continue
        verdict = "within" if budget_text <= BUDGET_BYTES else "OVER"
        print(f"budget: `{fam}` .text at opt-level \"s\" = {budget_text} bytes, "
              f"{verdict} the {BUDGET_BYTES}-byte budget (whole program, startup included)")
        if budget_text > BUDGET_BYTES:
            failures.append(f"`{fam}` is {budget_text} bytes > {BUDGET_BYTES}")
    if failures and not (allow_panics and all("panic" in f for f in failures)):
        print("SIZE CHECK FAILED: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)
    for f in failures:
        print(f"WARNING: {f}", file=sys.stderr)


if __name__ == "__main__":
    main()
