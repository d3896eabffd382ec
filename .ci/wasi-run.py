#!/usr/bin/env python3
"""Runs a wasm32-wasip1 program (a test binary) under Wasmtime, through the
`wasmtime` package from PyPI, passing its arguments, environment, the current
directory and its exit code through. `.ci/run` uses it as cargo's runner.

Wasmtime rather than Node.js's WASI: Node 20's V8 crashes at exit (SIGSEGV,
SIGTRAP, or `TypeError: number 0 is not a function`) after many wasm32 test
binaries of this crate, all of whose tests passed; it did so every time once
a program had grown its memory past about 32 MB. Here a trap or a nonzero
exit is the program's own. Cranelift's `none` optimization level: a 16 MB
debug test binary compiles in about 1 s instead of 15 s.
"""
import sys

import wasmtime


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: wasi-run.py PROGRAM.wasm [ARGS...]", file=sys.stderr)
        return 2
    path, args = sys.argv[1], sys.argv[2:]
    config = wasmtime.Config()
    config.cache = True  # a binary run again is compiled once
    config.cranelift_opt_level = "none"
    engine = wasmtime.Engine(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, path)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [path, *args]
    wasi.inherit_env()
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir(".", ".")
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    # A trap (a panic aborts on wasm32) raises wasmtime.Trap: Python prints it
    # and exits with 1.
    return 0


if __name__ == "__main__":
    sys.exit(main())
