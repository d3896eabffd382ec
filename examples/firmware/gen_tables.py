#!/usr/bin/env python3
"""Writes the firmware example's embedded tables (deterministic, little-endian f32).

wte.bin: 64 tokens x 16 dims (4 KiB), wpe.bin: 16 positions x 16 dims (1 KiB).
Values are k / 256 for k in -256..256 from a 32-bit LCG, so every value is
exact in f32 and the files are the same on every machine. Re-run with
`python3 gen_tables.py` in this folder; CI checks the committed files match.
"""
import struct
import sys

VOCAB, POSITIONS, DIM = 64, 16, 16


def values(seed, n):
    x = seed
    for _ in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        yield ((x >> 16) % 513 - 256) / 256.0


def blob(seed, n):
    return b"".join(struct.pack("<f", v) for v in values(seed, n))


def main():
    files = {"wte.bin": blob(1, VOCAB * DIM), "wpe.bin": blob(2, POSITIONS * DIM)}
    check = "--check" in sys.argv
    for name, data in files.items():
        if check:
            with open(name, "rb") as f:
                if f.read() != data:
                    sys.exit(f"{name} differs from gen_tables.py output")
        else:
            with open(name, "wb") as f:
                f.write(data)
    print("tables ok" if check else "tables written")


if __name__ == "__main__":
    main()
