"""The `gkd eval` peer: TRL's evaluation of GKD on the same checkpoints and the same collated batches
(bench/Gkd.Native.Bench `eval --dump FILE`): per batch, under inference_mode, the teacher's and the student's
forward and TRL's generalized JSD (log_softmax of both, the logsumexp mixture, both KLs) over the completion tokens
(logits[t − 1] score labels[t]), divided by their count; eval_loss is the sample-weighted mean of the batch
losses, as the HF Trainer computes it. --way trl runs TRL's compute_loss as it stands (LM heads at every position);
--way lean the same loss as an efficient PyTorch program (heads on the scored rows only; see qwen2_torch.gkd_loss).

Prints `RUN i seconds completion_tokens/s eval_loss load` and `RESULT eval median_s tokens/s eval_loss`; --profile 1
first prints one lean pass by phase.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 \
        bench/peers/eval_torch.py --batches FILE \
        [--root /tmp/gkd-cpubench] [--way lean|trl] [--threads 2] [--runs 3] [--sync 0|1] [--profile 0|1]
"""
import argparse
import json
import os
import time

import torch

import torch.nn.functional as F

from qwen2_torch import Qwen2, batch_tensors, gkd_loss, jsd_sum, median, setup_threads, turns


@torch.inference_mode()
def evaluate(student, teacher, batches, beta, way):
    weighted, samples, tokens = 0.0, 0, 0
    for ids, mask, labels in batches:
        n = int((labels[:, 1:] != -100).sum())
        loss = float(gkd_loss(student, teacher, ids, mask, labels, beta, way)) if n else 0.0
        weighted += loss * ids.shape[0]
        samples += ids.shape[0]
        tokens += n
    return weighted / samples, tokens


@torch.inference_mode()
def profile(student, teacher, batches, beta):
    """Seconds of one lean pass by phase, as Gkd.Native.Bench's `eval --profile 1` splits its own."""
    t = dict.fromkeys(("teacher forward", "student forward", "student head", "teacher head", "jsd"), 0.0)

    def timed(name, f):
        t0 = time.perf_counter()
        r = f()
        t[name] += time.perf_counter() - t0
        return r

    for ids, mask, labels in batches:
        keep = labels[:, 1:] != -100
        ht = timed("teacher forward", lambda: teacher.hidden(ids, mask))[:, :-1][keep]  # (N, Ct)
        hs = timed("student forward", lambda: student.hidden(ids, mask))[:, :-1][keep]  # (N, Cs)
        zs = timed("student head", lambda: F.linear(hs, student.head_weight()))       # (N, V)
        zt = timed("teacher head", lambda: F.linear(ht, teacher.head_weight()))
        timed("jsd", lambda: jsd_sum(zs, zt, beta))
    print(f"profile (one pass, load {os.getloadavg()[0]:.2f}):")
    for name, v in t.items():
        print(f"  {name:<16} {v:.3f} s")
    print(f"  {'total':<16} {sum(t.values()):.3f} s", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/tmp/gkd-cpubench")
    ap.add_argument("--batches", required=True)
    ap.add_argument("--way", choices=("lean", "trl"), default="lean")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sync", type=int, default=0)
    ap.add_argument("--profile", type=int, default=0)
    args = ap.parse_args()
    setup_threads(args.threads)
    with open(args.batches) as f:
        dump = json.load(f)
    batches = [batch_tensors(b) for b in dump["batches"]]
    beta = dump["beta"]
    student = Qwen2.load(os.path.join(args.root, "student")).eval()
    teacher = Qwen2.load(os.path.join(args.root, "teacher")).eval()
    print(f"eval (torch {torch.__version__}, way {args.way}): {len(batches)} batches, {args.threads} threads", flush=True)
    evaluate(student, teacher, batches[:1], beta, args.way)  # warm-up
    if args.profile:
        profile(student, teacher, batches, beta)
    times = []
    for r in turns(args.runs, args.sync):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        loss, tokens = evaluate(student, teacher, batches, beta, args.way)
        dt = time.perf_counter() - t0
        times.append(dt)
        print(f"RUN {r} {dt:.3f} {tokens / dt:.1f} {loss:.9g} {load:.2f}", flush=True)
    m = median(times)
    print(f"RESULT eval {m:.3f} {tokens / m:.1f} {loss:.9g}", flush=True)


if __name__ == "__main__":
    main()
