#!/usr/bin/env bash
# Runs the whole test suite (CTest over the Catch2 executables). Builds first
# (through scripts/setup.sh) when build/ does not exist yet, e.g. on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/CMakeCache.txt ]] || scripts/setup.sh
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
