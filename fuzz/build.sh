#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and SanitizerCoverage on a STABLE toolchain, with a
# plain `cargo build` (no cargo-fuzz, no nightly): the flags are the ones cargo-fuzz passes for
# `-s none`. Usage: fuzz/build.sh [cargo build args...]   Binaries land in
# $CARGO_TARGET_DIR (default fuzz/target)/<host triple>/release/<target>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
host=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
# --target is explicit so that RUSTFLAGS reach only the target crates, not build scripts and
# proc macros (arbitrary's derive), which cannot link the coverage callbacks.
# The harness itself is compiled without coverage instrumentation (see rustc-wrapper.sh);
# MUXADO_FUZZ_INSTRUMENT_HARNESS=1 instruments it too.
if [[ -z ${MUXADO_FUZZ_INSTRUMENT_HARNESS:-} ]]; then
  export RUSTC_WORKSPACE_WRAPPER=$here/rustc-wrapper.sh
fi
RUSTFLAGS="${RUSTFLAGS:-} --cfg fuzzing -Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cdebug-assertions -Coverflow-checks" \
  cargo build --manifest-path "$here/Cargo.toml" --release --target "$host" --bins "$@"
echo "$CARGO_TARGET_DIR/$host/release"
