#!/usr/bin/env bash
# cargo runner for wasm32-wasip1 test binaries: Node.js's WASI (wasi-run.mjs).
#
# Workaround: with Node 20, some test binaries of this crate (with or without
# simd128) make V8
# abort or segfault at teardown, AFTER libtest has printed a passing
# `test result: ok. N passed; 0 failed` for every test (seen in tests/gather.rs:
# err_leaves_output_untouched, strided_output_..., unaligned_byte_table_...).
# If node dies by a signal and the last libtest line is such a passing result,
# the run counts as passed, with a loud note; any other failure stays a failure.
set -uo pipefail
out=$(mktemp)
node --no-warnings "$(dirname "$0")/wasi-run.mjs" "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
last=$(grep -E '^(running [0-9]+ tests?|test result: )' "$out" | tail -n 1)
if [ "$rc" -ge 128 ] && grep -qE '^test result: ok\. [0-9]+ passed; 0 failed' <<<"$last"; then
    echo "!!! node exited with $rc AFTER libtest reported every test passed (Node 20 V8 teardown crash): counted as passed" >&2
    rc=0
fi
rm -f "$out"
exit "$rc"
