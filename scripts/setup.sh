#!/usr/bin/env bash
# Installs everything gaze needs from Debian's package registry (idempotent),
# then configures and builds into build/. Run as root (or with sudo available).
#   scripts/setup.sh            # dependencies + build
#   scripts/setup.sh --deps     # dependencies only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  catch2 libstb-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libopenblas-openmp-dev zlib1g-dev
  libopenmpi-dev openmpi-bin
  dataset-fashion-mnist
  # CI's second compiler and its sanitizer runtimes (scripts/test-sanitizers.sh);
  # also what scripts/fuzz needs (libFuzzer is in libclang-rt).
  clang libclang-rt-14-dev libomp-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

[[ "${1:-}" == "--deps" ]] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${GAZE_CMAKE_ARGS:-}
cmake --build build -j"$(nproc)"
echo "setup: built into build/bin"
