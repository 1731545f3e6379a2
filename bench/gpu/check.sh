#!/usr/bin/env bash
# Proves libgatun_cuda.so on a GPU machine in one call, in under five minutes:
#   1. builds it from native/cuda alone (no oneDNN, no JDK needed) with every core,
#   2. replays the kernels' index arithmetic on the CPU (layout_model.py),
#   3. checks every fast kernel against its reference kernel and float64 PyTorch, and
#      times them against PyTorch (check.py), printing one table last.
# Usage: bench/gpu/check.sh [check.py options, e.g. --seed 7 --skip-bench]
# Where $OUT is set (the device tool), the build log and check.json are written there.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${GATUN_CUDA_BUILD_DIR:-build-gpu}
log="${OUT:-${TMPDIR:-/tmp}}/gatun-cuda-build.log"

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu \
  --format=csv || true

start=$(date +%s)
if ! cmake -S native/cuda -B "$build" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 ||
   ! cmake --build "$build" --parallel "$(nproc)" >>"$log" 2>&1; then
  tail -40 "$log"
  echo "build failed; the whole log is $log"
  exit 1
fi
grep "PTX check" "$log" || true
echo "build: $(($(date +%s) - start)) s"

export PYTHONUNBUFFERED=1
python3 bench/gpu/layout_model.py
python3 bench/gpu/check.py --lib "$build/libgatun_cuda.so" "$@"
