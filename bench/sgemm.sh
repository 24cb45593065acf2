#!/usr/bin/env bash
# SGEMM on the CPU, side by side: Gkd.Native (Sgemm.Multiply, `Gkd.Native.Bench sgemm`) against torch.mm
# (OpenBLAS) at the same thread count, shape by shape (each measured right after the other, so load on a shared
# machine hits both alike). Prints one table with the ratio. Environment: THREADS (2), RUNS (5),
# SHAPES (512,1024,2048,lmhead), PYTHON (/usr/bin/python3: the interpreter with torch + libopenblas0-pthread).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
runs=${RUNS:-5}
shapes=${SHAPES:-512,1024,2048,lmhead}
python=${PYTHON:-/usr/bin/python3}

dotnet build -c Release bench/Gkd.Native.Bench --nologo -v q >/dev/null
bench=bench/Gkd.Native.Bench/bin/Release/net10.0/Gkd.Native.Bench.dll

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, set on these machines for old OpenBLAS builds, force its slower kernels.
printf '%-8s %-24s %12s %12s %7s\n' shape "M x N x K" "ours GF/s" "torch GF/s" ratio
IFS=, read -ra names <<<"$shapes"
for name in "${names[@]}"; do
    ours=$(dotnet "$bench" sgemm --threads "$threads" --runs "$runs" --shapes "$name" | awk '/^RESULT/ {print $4}')
    peer=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" bench/peers/sgemm_torch.py \
        --threads "$threads" --runs "$runs" --shapes "$name" | awk '/^RESULT/ {print $4}')
    case $name in
        lmhead) dims="4096x151936x896 (A·Wᵀ)" ;;
        *) dims="${name}x${name}x${name}" ;;
    esac
    awk -v s="$name" -v d="$dims" -v o="$ours" -v p="$peer" \
        'BEGIN { printf "%-8s %-24s %12.1f %12.1f %6.0f%%\n", s, d, o, p, 100 * o / p }'
done
