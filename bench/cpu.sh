#!/usr/bin/env bash
# Gkd.Native on the CPU against PyTorch-CPU (torch 1.13, OpenBLAS) on the same tiny random-weight Qwen2 checkpoints
# and the same tokens, at the same thread count (issues #2 and #3):
#   eval      `gkd eval`'s work (DistillEvaluator: teacher + student forward, generalized JSD β 0.5), completion tokens/s
#   generate  the student's KV-cache sampling, batch 4 × (128 prompt + 64 new) tokens, tokens/s
#   step      one on-policy GKD optimizer step, batch 4 × (128 + 64), LoRA r 64 α 16 on q/v: sampling, forward,
#             JSD, backward, clip, AdamW; seconds
# The peer is bench/peers/*_torch.py in two ways: "lean" (the same loss with the LM heads on the scored rows only —
# the goals are judged against it) and "trl" (TRL's compute_loss as it stands: logits at every position).
# Each comparison starts both sides once (load + warm-up), then alternates them run by run (--sync), flipping who
# goes first, so load on a shared machine hits both alike; it prints the medians over the runs and the median of
# the per-run ratios as a markdown table, with the correctness checks (losses of both sides on the same data).
# Environment: THREADS (2), RUNS (3: timed runs per side), TRL_RUNS (0: timed runs of the "trl" way, ≥ 1 adds it),
# ROOT (/tmp/gkd-cpubench: checkpoints, data, dumps; not committed), PYTHON (/usr/bin/python3: torch + OpenBLAS).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
runs=${RUNS:-3}
trl_runs=${TRL_RUNS:-0}
root=${ROOT:-/tmp/gkd-cpubench}
python=${PYTHON:-/usr/bin/python3}

dotnet build -c Release bench/Gkd.Native.Bench --nologo -v q >/dev/null
"$python" bench/peers/make_checkpoints.py --out "$root" >/dev/null
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
ours=(dotnet bench/Gkd.Native.Bench/bin/Release/net10.0/Gkd.Native.Bench.dll)
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, set on these machines for old OpenBLAS builds, force its slower kernels.
# OMP_WAIT_POLICY=PASSIVE: torch's OpenMP workers otherwise spin between ops on the cores OpenBLAS's own threads
# (libopenblas0-pthread) need; measured here, it makes the peer's eval 1.3× and its generation 1.6× faster.
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE "$python" bench/peers)

# await LOG PATTERN COUNT PID: until LOG holds COUNT lines matching PATTERN (fails if PID ends first).
await() {
    until (($(grep -c "$2" "$1" || true) >= $3)); do
        if ! kill -0 "$4" 2>/dev/null; then
            echo "$1 ended early:" >&2
            cat "$1" >&2
            exit 1
        fi
        sleep 0.2
    done
}

# alternate NAME CMD…: one side of a comparison (CMD gets --sync 1); `go` runs the registered sides.
sides=()
alternate() {
    local name=$1
    shift
    mkfifo "$logs/$name.in"
    "$@" --sync 1 <"$logs/$name.in" >"$logs/$name.log" 2>&1 &
    eval "pid_$name=$!"
    exec {fd}>"$logs/$name.in"
    eval "fd_$name=$fd"
    sides+=("$name")
}

# go RUNS [NAME=RUNS…]: waits for every side's READY, then gives each side its turns (RUNS, or the override) round by
# round, each round in the opposite order of the one before; then closes their inputs (a side ends at end of input)
# and waits for them.
go() {
    local n=$1 round name want order o
    shift
    declare -A limit=()
    for o in "$@"; do limit[${o%%=*}]=${o#*=}; done
    for name in "${sides[@]}"; do await "$logs/$name.log" '^READY' 1 "$(eval echo "\$pid_$name")"; done
    for ((round = 0; round < n; round++)); do
        order=("${sides[@]}")
        if ((round % 2)); then order=($(printf '%s\n' "${sides[@]}" | tac)); fi
        for name in "${order[@]}"; do
            want=${limit[$name]:-$n}
            ((round < want)) || continue
            echo go >&"$(eval echo "\$fd_$name")"
            await "$logs/$name.log" '^RUN' $((round + 1)) "$(eval echo "\$pid_$name")"
        done
    done
    for name in "${sides[@]}"; do
        eval "exec $(eval echo "\$fd_$name")>&-"
        wait "$(eval echo "\$pid_$name")"
    done
    sides=()
}

# runs NAME K: the K-th value of a side's `RUN i v1 v2 …` lines (K 1 = seconds), one per line.
runs() { awk -v k="$2" '/^RUN/ { print $(k + 2) }' "$logs/$1.log"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratio A B COLUMN: median over runs of A[i] / B[i].
ratio() { paste <(runs "$1" "$3") <(runs "$2" "$3") | awk '{ print $1 / $2 }' | median; }
# rel A B: |A − B| / |A|, and whether it is within 1e-4 (the two sides must have done the same work).
rel() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); r = d / m; printf "rel. diff %.1e, %s", r, (r <= 1e-4 ? "ok" : "MISMATCH") }'; }

echo "cpu.sh: $threads threads, $runs runs per side (trl way: $trl_runs), $(date -u '+%F %T') UTC, load $(cut -d' ' -f1 /proc/loadavg)" >&2

# --- eval (issue #2) ---
"${ours[@]}" eval --root "$root" --threads "$threads" --runs 0 --dump "$root/eval_batches.json" >/dev/null
alternate ours_eval "${ours[@]}" eval --root "$root" --threads "$threads" --runs "$runs"
alternate lean_eval "${peer[@]}/eval_torch.py" --root "$root" --batches "$root/eval_batches.json" --way lean --threads "$threads" --runs "$runs"
if ((trl_runs > 0)); then
    alternate trl_eval "${peer[@]}/eval_torch.py" --root "$root" --batches "$root/eval_batches.json" --way trl --threads "$threads" --runs "$trl_runs"
fi
go "$runs" trl_eval="$trl_runs"

# --- generate (issue #3) ---
"${ours[@]}" generate --root "$root" --threads "$threads" --runs 0 --dump "$root/gen_rows.json" >/dev/null
alternate ours_gen "${ours[@]}" generate --root "$root" --threads "$threads" --runs "$runs"
alternate lean_gen "${peer[@]}/generate_torch.py" --model "$root/student" --rows "$root/gen_rows.json" --threads "$threads" --runs "$runs"
go "$runs"

# --- step (issue #3) ---
"${ours[@]}" step --root "$root" --threads "$threads" --runs 0 --dump "$root/step_rows.json" --adapter-out "$root/adapter" >/dev/null
alternate ours_step "${ours[@]}" step --root "$root" --threads "$threads" --runs "$runs"
alternate lean_step "${peer[@]}/step_torch.py" --root "$root" --rows "$root/step_rows.json" --adapter "$root/adapter/adapter_model.safetensors" --way lean --threads "$threads" --runs "$runs"
if ((trl_runs > 0)); then
    alternate trl_step "${peer[@]}/step_torch.py" --root "$root" --rows "$root/step_rows.json" --adapter "$root/adapter/adapter_model.safetensors" --way trl --threads "$threads" --runs "$trl_runs"
fi
go "$runs" trl_step="$trl_runs"

# --- table ---
med() { runs "$1" "$2" | median; }
cell() { if [[ -f $logs/$1.log ]]; then printf "$3" "$(med "$1" "$2")"; else echo "—"; fi; }
met() { awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN { print ((op == ">=" ? v >= g : v <= g) ? "yes" : "no") }'; }
eval_x=$(ratio lean_eval ours_eval 1)
gen_x=$(ratio lean_gen ours_gen 1)
step_x=$(ratio ours_step lean_step 1)
echo
echo "| benchmark | metric | Gkd.Native | torch lean | torch TRL-way | ours vs lean (median of per-run ratios) | goal | met |"
echo "|---|---|---:|---:|---:|---:|---|---|"
printf '| eval (%s) | completion tokens/s | %.1f | %.1f | %s | %.2f× | ≥ 1.25× | %s |\n' "$(grep -m1 '^eval:' "$logs/ours_eval.log" | cut -d: -f2 | cut -d, -f1-3 | sed 's/^ //')" \
    "$(med ours_eval 2)" "$(med lean_eval 2)" "$(cell trl_eval 2 %.1f)" "$eval_x" "$(met "$eval_x" 1.25 '>=')"
printf '| generate (student, B 4, 128 + 64) | tokens/s | %.1f | %.1f | — | %.2f× | ≥ 1.5× | %s |\n' \
    "$(med ours_gen 2)" "$(med lean_gen 2)" "$gen_x" "$(met "$gen_x" 1.5 '>=')"
printf '| GKD step (B 4, 128 + 64, LoRA r 64) | seconds | %.2f | %.2f | %s | %.2f× the time | ≤ 0.8× | %s |\n' \
    "$(med ours_step 1)" "$(med lean_step 1)" "$(cell trl_step 1 %.2f)" "$step_x" "$(met "$step_x" 0.8 '<=')"
printf '| step phases: generation / fwd+bwd / optimizer | seconds | %.2f / %.2f / %.3f | %.2f / %.2f / %.3f | %s | | | |\n' \
    "$(med ours_step 2)" "$(med ours_step 3)" "$(med ours_step 4)" "$(med lean_step 2)" "$(med lean_step 3)" "$(med lean_step 4)" \
    "$([[ -f $logs/trl_step.log ]] && printf '%.2f / %.2f / %.3f' "$(med trl_step 2)" "$(med trl_step 3)" "$(med trl_step 4)" || echo —)"
echo
ol=$(runs ours_eval 3 | tail -1)
pl=$(runs lean_eval 3 | tail -1)
echo "Checks (same data on both sides):"
echo "- eval_loss: Gkd.Native $ol, torch lean $pl ($(rel "$pl" "$ol"))$([[ -f $logs/trl_eval.log ]] && echo ", torch TRL-way $(runs trl_eval 3 | tail -1)")"
read -r _ oc on < <(grep '^CHECK' "$logs/ours_step.log")
read -r _ pc pn < <(grep '^CHECK' "$logs/lean_step.log")
echo "- step, dataset rows before any update: loss $oc vs $pc ($(rel "$pc" "$oc")), LoRA grad norm $on vs $pn ($(rel "$pn" "$on"))"
echo "- per-run seconds, ours | lean$([[ -f $logs/trl_eval.log ]] && echo " | trl"): eval $(runs ours_eval 1 | paste -sd,) | $(runs lean_eval 1 | paste -sd,)$([[ -f $logs/trl_eval.log ]] && echo " | $(runs trl_eval 1 | paste -sd,)");" \
    "generate $(runs ours_gen 1 | paste -sd,) | $(runs lean_gen 1 | paste -sd,);" \
    "step $(runs ours_step 1 | paste -sd,) | $(runs lean_step 1 | paste -sd,)$([[ -f $logs/trl_step.log ]] && echo " | $(runs trl_step 1 | paste -sd,)")"
echo "- load average (1 min) at each run, ours: $(cat "$logs"/ours_*.log | awk '/^RUN/ { print $NF }' | paste -sd,)"
