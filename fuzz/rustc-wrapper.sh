#!/usr/bin/env bash
# RUSTC_WORKSPACE_WRAPPER for fuzz/build.sh: compiles the crates of this workspace (the
# harness: muxado-fuzz and its targets) without SanitizerCoverage, so that libFuzzer's coverage
# and comparison feedback come from the code under test (muxado-reference, a path dependency
# outside this workspace, still instrumented) and the harness's invariant checks run at full
# speed. cargo calls it as `wrapper rustc args...`.
set -euo pipefail
rustc=$1
shift
args=()
for arg in "$@"; do
  case $arg in
    -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-*) ;;
    *) args+=("$arg") ;;
  esac
done
exec "$rustc" "${args[@]}"
