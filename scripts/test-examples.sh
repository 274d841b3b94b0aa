#!/usr/bin/env bash
# gaze as a library (CI, after scripts/test.sh): installs build/ into
# build/install, then configures, builds and runs each example in examples/
# as a separate CMake project against the installed package (find_package),
# and configures tests/subproject, which uses gaze through add_subdirectory.
#   custom_layer  registers a squeeze-and-excitation layer, gradient-checks it, trains it
#   custom_loop   its own training loop on Fashion-MNIST, a checkpoint, then CAM
#   explain       load that checkpoint, predict one image, write the CAM overlay
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$PWD/build/install
out=$PWD/build-examples
rm -rf "$prefix" "$out"
cmake --install build --prefix "$prefix" >/dev/null
for example in custom_layer custom_loop explain; do
  cmake -S examples/$example -B "$out/$example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$out/$example" -j"$(nproc)" >/dev/null
done
echo "== examples/custom_layer"
"$out/custom_layer/custom_layer"
echo "== examples/custom_loop"
"$out/custom_loop/custom_loop" /usr/share/datasets/fashion-mnist "$out/run" 150
echo "== examples/explain"
build/bin/gaze-export-idx --data /usr/share/datasets/fashion-mnist --count 1 --out "$out/images" >/dev/null
image=$(ls "$out"/images/*.png | head -n 1)
"$out/explain/explain" "$out/run/model.safetensors" "$image" "$out/overlay.png"
test -s "$out/overlay.png"
echo "== tests/subproject (add_subdirectory): configure"
cmake -S tests/subproject -B "$out/subproject" -DGAZE_CUDA=OFF >/dev/null
echo "examples: all built against the installed package and ran"
