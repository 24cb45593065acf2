"""The generation peer: a transformers-style KV-cache sampling loop (DynamicCache concatenation, the LM head on the
last position only, temperature warper, softmax, torch.multinomial; top_k 0, top_p 1, no EOS) on the same
checkpoint and the same prompts (bench/Gkd.Native.Bench `generate --dump FILE`).

Prints `RUN i seconds tokens/s prefill_s load` and `RESULT generate median_s tokens/s prefill_s decode_ms_per_step`;
--profile 1 first prints torch.profiler's table of one call (self time by op and input shape).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 \
        bench/peers/generate_torch.py --rows FILE [--model /tmp/gkd-cpubench/student] [--batch 4] [--new 64] \
        [--temperature 0.9] [--threads 2] [--runs 5] [--sync 0|1] [--profile 0|1]
"""
import argparse
import json
import os
import time

import torch

from qwen2_torch import Qwen2, median, sample, setup_threads, turns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="/tmp/gkd-cpubench/student")
    ap.add_argument("--rows", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sync", type=int, default=0)
    ap.add_argument("--profile", type=int, default=0)
    args = ap.parse_args()
    setup_threads(args.threads)
    with open(args.rows) as f:
        prompts = json.load(f)["prompts"][:args.batch]
    assert len({len(p) for p in prompts}) == 1, "prompts of one length (no padding)"
    ids = torch.tensor(prompts, dtype=torch.long)
    mask = torch.ones_like(ids)
    model = Qwen2.load(args.model).eval()
    print(f"generate (torch {torch.__version__}): batch {ids.shape[0]}, prompt {ids.shape[1]}, {args.new} new, "
          f"{args.threads} threads", flush=True)
    g = torch.Generator().manual_seed(0)
    sample(model, ids, mask, args.new, args.temperature, g)  # warm-up
    if args.profile:
        with torch.profiler.profile(record_shapes=True) as p:
            sample(model, ids, mask, args.new, args.temperature, g)
        print(p.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=12), flush=True)
    times, prefills = [], []
    for r in turns(args.runs, args.sync):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        out, prefill = sample(model, ids, mask, args.new, args.temperature, g)
        dt = time.perf_counter() - t0
        assert out.shape == (ids.shape[0], args.new)
        times.append(dt)
        prefills.append(prefill)
        print(f"RUN {r} {dt:.3f} {out.numel() / dt:.1f} {prefill:.3f} {load:.2f}", flush=True)
    m, p = median(times), median(prefills)
    print(f"RESULT generate {m:.3f} {ids.shape[0] * args.new / m:.1f} {p:.3f} {1000 * (m - p) / max(1, args.new - 1):.2f}",
          flush=True)


if __name__ == "__main__":
    main()
