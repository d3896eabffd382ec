// Runs a wasm32-wasip1 program (a test binary) under Node.js's built-in WASI
// (preview1), passing its arguments and exit code through. Used by `.ci/run`
// through .ci/wasi-run.sh as the cargo runner.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [wasmPath, ...args] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: node wasi-run.mjs PROGRAM.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [wasmPath, ...args],
  env: process.env,
  preopens: { '.': process.cwd() },
  // proc_exit ends the process right away: unwinding out of the module instead
  // (returnOnExit) crashed Node 20's V8 after some SIMD test binaries.
  returnOnExit: false,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.start(instance); // returns only if _start returns without proc_exit
