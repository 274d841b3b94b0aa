#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, train the
# embedded default (Fashion-MNIST, configs/fashion.yaml) on the CPU, evaluate
# the best checkpoint on the test set, and write class activation maps for a
# few test images. Extra arguments go to train (e.g. --set train.epochs=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

data=/usr/share/datasets/fashion-mnist
out=runs/fashion
build/bin/train --config configs/fashion.yaml --out "$out" "$@"
echo
echo "== evaluate on the Fashion-MNIST test set (each image and its mirror, probabilities averaged) =="
build/bin/evaluate --checkpoint "$out/best.safetensors" --data "$data" --split test --tta flip

if [[ -x build/bin/cam-infer ]]; then
  echo
  echo "== class activation maps for 8 test images =="
  build/bin/gaze-export-idx --data "$data" --split test --count 8 --out "$out/test-images"
  build/bin/cam-infer --checkpoint "$out/best.safetensors" --out "$out/cam" --bbox --report "$out/test-images"
  echo "open $out/cam/index.html to see where the network looks"
fi
echo "training curves: $out/report.html"
