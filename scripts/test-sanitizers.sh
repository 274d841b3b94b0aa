#!/usr/bin/env bash
# The sanitizer stage of CI (.ci/run), runnable locally: builds build-asan/
# with GCC, AddressSanitizer and UndefinedBehaviorSanitizer (-DGAZE_SANITIZE=ON,
# CPU only, RelWithDebInfo) and runs the suites that read untrusted input:
#   fuzz   the fuzz targets' replays: the generated seed corpus and every saved
#          crash input in tests/fuzz/regressions/ (tests/fuzz/CMakeLists.txt)
#   core   test_core: tensors, safetensors, ops and kernels
#   layers test_layers: layers, the Model graph, its JSON and YAML descriptions
#   data   test_data: image decoding, datasets, IDX files, the cache, the loader
#   train  test_train and test_hardening: configs, checkpoints, resume, evaluate,
#          crafted checkpoints and configs
# Any sanitizer report aborts the test that triggered it. Extra arguments go
# to ctest (e.g. -R safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
# Warnings are not errors here: GCC's -Wmaybe-uninitialized gives false
# positives in libstdc++'s <regex> once ASan instruments it, and the normal
# build already enforces -Werror on the same code.
cmake -S . -B $build -DGAZE_CUDA=OFF -DGAZE_SANITIZE=ON -DGAZE_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build $build -j"$(nproc)" --target test_core test_layers test_data test_train test_hardening gaze-fuzz-seeds \
  fuzz-replay-safetensors fuzz-replay-model_yaml fuzz-replay-config fuzz-replay-image fuzz-replay-npy
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --test-dir $build --output-on-failure -j"$(nproc)" -L '^(fuzz|core|layers|data|train)$' "$@"
