#!/usr/bin/env bash
# The Clang and sanitizer stage of CI (.ci/run), runnable locally: builds
# build-asan/ with Clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (-DGAZE_SANITIZE=ON), CPU only, RelWithDebInfo and -DGAZE_NATIVE=OFF (a
# portable build: no -march=native), so one build proves three things: gaze
# builds with Clang as well as GCC, a portable build passes, and the parsers
# of untrusted input are memory-safe. It runs these suites:
#   fuzz   the fuzz targets' replays: the generated seed corpus and every saved
#          crash input in tests/fuzz/regressions/ (tests/fuzz/CMakeLists.txt)
#   core   test_core: tensors, safetensors, ops and kernels
#   layers test_layers: layers, the Model graph, its JSON and YAML descriptions
#   data   test_data: image decoding, datasets, IDX files, the cache, the loader
#   train  test_train, test_hardening, test_optimizer: configs, checkpoints, resume, evaluate,
#          crafted checkpoints and configs
#   cam    test_cam: CAM and the attribution methods, cam-infer
#   parallel test_parallel: the parameter arena and the launcher (no MPI)
# Not here: the MPI runs and the CUDA tests (GCC build only).
# Any sanitizer report aborts the test that triggered it. Extra arguments go
# to ctest (e.g. -R safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
# Warnings are not errors here: Clang warns about system headers (OpenBLAS's
# _Complex under -Wpedantic); the GCC build enforces -Werror on the same code.
CC=clang CXX=clang++ cmake -S . -B $build -DGAZE_CUDA=OFF -DGAZE_SANITIZE=ON -DGAZE_WERROR=OFF -DGAZE_NATIVE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build $build -j"$(nproc)" --target test_core test_layers test_data test_train test_hardening test_optimizer test_cam \
  test_matrix_task test_parallel cam-infer gaze-fuzz-seeds \
  fuzz-replay-safetensors fuzz-replay-model_yaml fuzz-replay-config fuzz-replay-image fuzz-replay-npy
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --test-dir $build --output-on-failure -j"$(nproc)" -L '^(fuzz|core|layers|data|train|cam|parallel)$' "$@"
