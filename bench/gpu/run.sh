#!/usr/bin/env bash
# The one-call GPU check. Run from the repository root on a machine with an NVIDIA GPU, with the NativeAOT build of
# gkd in artifacts/gkd/ (dotnet pwsh ./build.ps1 publish). Writes everything under $OUT (default ./gpu-out):
#   environment.txt  driver, CUDA libraries found, PyTorch/transformers/peft versions
#   summary.md       gkd bench: probe, every kernel against the CPU reference, kernel/GEMM timings
#   baseline.json    the TRL-way GKD step (PyTorch + transformers + peft) at the seed's shapes on the same card
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-out}
GKD=${GKD:-$PWD/artifacts/gkd/gkd}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

{
  echo "## date"; date -u
  echo "## nvidia-smi"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  echo "## loader cache"; ldconfig -p | grep -E "libcuda\.so|libnvrtc|libcublas" || true
  echo "## library files"; timeout 20 find /usr /opt /lib /lib64 -name 'libnvrtc.so*' -o -name 'libcublas*.so*' -o -name 'libcuda.so*' 2>/dev/null | sort | head -40
  echo "## python"; python3 -c "import torch, transformers, peft; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'peft', peft.__version__)"
  python3 -c "import nvidia, os; print('pip nvidia packages at', os.path.dirname(nvidia.__path__[0]))" 2>/dev/null || true
} > "$OUT/environment.txt" 2>&1
cat "$OUT/environment.txt"

echo "## gkd bench"
timeout 300 "$GKD" bench --out "$OUT" ${GKD_BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log"
echo "## baseline (TRL way)"
timeout 240 python3 bench/baseline/gkd_step.py --out "$OUT" 2>&1 | tee "$OUT/baseline.log"
