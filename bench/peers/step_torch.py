"""The GKD-step peer: one optimizer step of TRL's GKDTrainer on an on-policy micro-batch, on the same checkpoints,
prompts and initial LoRA adapter as bench/Gkd.Native.Bench `step --dump FILE --adapter-out DIR`: the student (PEFT-
style LoRA on q_proj/v_proj, dropout 0) samples --new tokens after each prompt with a KV cache (qwen2_torch.sample:
temperature 0.9, top_k 0, top_p 1, no EOS), the completion tokens become the labels, then the loss (--way lean|trl,
see qwen2_torch.gkd_loss), backward, clip_grad_norm_(1.0), torch.optim.AdamW (weight decay 0) and zero_grad.

First a CHECK on the dataset rows (prompt + fixed completion) with the initial adapter: the loss and the global
gradient norm before any step, printed as `CHECK loss grad_norm` for comparison with Gkd.Native's; the warm-up is
that batch's update and a generation of 16 tokens. Then --runs timed steps: `RUN i seconds gen_s fb_s optim_s loss
load`, and `RESULT step median_s gen fb optim`.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 \
        bench/peers/step_torch.py --rows FILE \
        --adapter DIR/adapter_model.safetensors [--root /tmp/gkd-cpubench] [--way lean|trl] [--batch 4] [--new 64] \
        [--lora-r 64] [--lora-alpha 16] [--threads 2] [--runs 3] [--sync 0|1]
"""
import argparse
import json
import os
import time

import torch

from qwen2_torch import IGNORE_INDEX, Qwen2, gkd_loss, median, sample, setup_threads, turns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/tmp/gkd-cpubench")
    ap.add_argument("--rows", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--way", choices=("lean", "trl"), default="lean")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lora-r", type=int, default=64)
    ap.add_argument("--lora-alpha", type=float, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sync", type=int, default=0)
    args = ap.parse_args()
    setup_threads(args.threads)
    with open(args.rows) as f:
        rows = json.load(f)
    B = args.batch
    prompts = torch.tensor(rows["prompts"][:B], dtype=torch.long)                     # (B, P) on-policy prompts
    data = torch.tensor([p + c for p, c in zip(rows["prompts"][B:2 * B], rows["completions"][B:2 * B])])
    data_labels = data.clone()
    data_labels[:, :len(rows["prompts"][B])] = IGNORE_INDEX                            # (B, P + C) dataset rows

    teacher = Qwen2.load(os.path.join(args.root, "teacher")).eval()
    student = Qwen2.load(os.path.join(args.root, "student"))
    student.requires_grad_(False)
    student.add_lora(args.lora_r, args.lora_alpha, ["q_proj", "v_proj"], 0, args.adapter)
    params = student.lora_parameters()
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(0)
    print(f"step (torch {torch.__version__}, way {args.way}): batch {B}, prompt {prompts.shape[1]}, {args.new} new, "
          f"LoRA r {args.lora_r} α {args.lora_alpha} q/v ({sum(p.numel() for p in params)} parameters), "
          f"{args.threads} threads", flush=True)

    loss = gkd_loss(student, teacher, data, torch.ones_like(data), data_labels, args.beta, args.way)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, float("inf"))
    print(f"CHECK {float(loss):.9g} {float(norm):.9g}", flush=True)
    torch.nn.utils.clip_grad_norm_(params, 1.0)  # the warm-up: the check's update and a generation of 16 tokens
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    sample(student, prompts, torch.ones_like(prompts), 16, 0.9, g)

    def step():
        t0 = time.perf_counter()
        completions, _ = sample(student, prompts, torch.ones_like(prompts), args.new, 0.9, g)  # (B, new)
        ids = torch.cat([prompts, completions], dim=1)                                      # (B, P + new)
        labels = ids.clone()
        labels[:, :prompts.shape[1]] = IGNORE_INDEX
        t1 = time.perf_counter()
        loss = gkd_loss(student, teacher, ids, torch.ones_like(ids), labels, args.beta, args.way)
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        return t3 - t0, t1 - t0, t2 - t1, t3 - t2, float(loss)

    phases = []
    for r in turns(args.runs, args.sync):
        load = os.getloadavg()[0]
        t = step()
        phases.append(t)
        print(f"RUN {r} {t[0]:.3f} {t[1]:.3f} {t[2]:.3f} {t[3]:.3f} {t[4]:.6f} {load:.2f}", flush=True)
    print("RESULT step " + " ".join(f"{median([p[i] for p in phases]):.3f}" for i in range(4)), flush=True)


if __name__ == "__main__":
    main()
