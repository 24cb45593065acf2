#!/usr/bin/env python3
"""The GKD optimizer step done the TRL way (PyTorch + transformers + peft), at the seed's shapes, for comparison
with `gkd bench` on the same card.

Seed recipe: student Qwen2-0.5B-Instruct with LoRA r 64 / alpha 16 on q_proj, v_proj (dropout 0.05), teacher
Qwen2-1.5B-Instruct, per_device_train_batch_size 4, gradient_accumulation_steps 8, gradient checkpointing, bf16,
lmbda 0.5, beta 0.5, temperature 0.9, max_new_tokens 128. Weights are random (same shapes as the real models; no
download), prompts are random token ids of --prompt_len, dataset completions --completion_len tokens.

One optimizer step = 8 micro-batches: the first half on-policy (HF generate, do_sample, temperature 0.9, top_k 0,
top_p 1.0, 128 new tokens — random weights rarely stop early, so every row generates 128), the second half with
dataset completions (TRL's lmbda 0.5 in expectation). Each micro-batch: student forward with LoRA, teacher forward
under no_grad, TRL's generalized_jsd_loss on the full [B, T, V] logits, backward (loss / 8); then AdamW.
Prints and writes JSON: seconds per step, tokens/s, peak device memory, decode ms/token.
"""
import argparse, json, os, statistics, sys, time

import torch
import torch.nn.functional as F

QWEN2_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0, rms_norm_eps=1e-6,
                 tie_word_embeddings=True, max_position_embeddings=32768)
QWEN2_15B = dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                 num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0, rms_norm_eps=1e-6,
                 tie_word_embeddings=True, max_position_embeddings=32768)


def generalized_jsd_loss(student_logits, teacher_logits, labels=None, beta=0.5, temperature=1.0):
    """TRL's GKDTrainer.generalized_jsd_loss (reduction batchmean over completion tokens)."""
    student_logits = student_logits / temperature
    teacher_logits = teacher_logits / temperature
    student_log_probs = F.log_softmax(student_logits, dim=-1)
    teacher_log_probs = F.log_softmax(teacher_logits, dim=-1)
    if beta == 0:
        jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(teacher_log_probs, student_log_probs, reduction="none", log_target=True)
    else:
        beta_t = torch.tensor(beta, dtype=student_log_probs.dtype, device=student_log_probs.device)
        mixture = torch.logsumexp(torch.stack([student_log_probs + torch.log(1 - beta_t), teacher_log_probs + torch.log(beta_t)]), dim=0)
        kl_teacher = F.kl_div(mixture, teacher_log_probs, reduction="none", log_target=True)
        kl_student = F.kl_div(mixture, student_log_probs, reduction="none", log_target=True)
        jsd = beta_t * kl_teacher + (1 - beta_t) * kl_student
    if labels is not None:
        mask = labels != -100
        jsd = jsd[mask]
        return jsd.sum() / mask.sum()
    return jsd.sum() / (jsd.size(0) * jsd.size(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--accumulation", type=int, default=8)
    p.add_argument("--prompt_len", type=int, default=256)
    p.add_argument("--completion_len", type=int, default=128)
    p.add_argument("--max_new_tokens", type=int, default=128)
    p.add_argument("--steps", type=int, default=2, help="timed optimizer steps (after one warm-up step)")
    p.add_argument("--out", default=os.environ.get("OUT", "."))
    a = p.parse_args()

    import transformers
    from transformers import Qwen2Config, Qwen2ForCausalLM
    import peft
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    dev = torch.device("cuda")
    torch.set_default_device(dev)
    def build(cfg):
        c = Qwen2Config(**cfg, torch_dtype="bfloat16")
        c._attn_implementation = "sdpa"
        m = Qwen2ForCausalLM(c).to(torch.bfloat16)
        m.generation_config.eos_token_id = [151645, 151643]
        m.generation_config.pad_token_id = 151643
        return m
    t0 = time.time()
    teacher = build(QWEN2_15B).eval()
    student = build(QWEN2_05B)
    student.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    student.enable_input_require_grads()
    student = get_peft_model(student, LoraConfig(r=64, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    opt = torch.optim.AdamW([q for q in student.parameters() if q.requires_grad], lr=2e-4)
    print(f"models built in {time.time() - t0:.1f} s; torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}", flush=True)

    V = QWEN2_05B["vocab_size"]
    gen_times, gen_tokens = [], 0

    def micro_batch(on_policy):
        nonlocal gen_tokens
        prompts = torch.randint(0, 151000, (a.batch, a.prompt_len))
        if on_policy:
            student.eval()
            torch.cuda.synchronize(); g0 = time.time()
            with torch.no_grad():
                out = student.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                                       temperature=0.9, top_k=0, top_p=1.0, max_new_tokens=a.max_new_tokens)
            torch.cuda.synchronize(); gen_times.append((time.time() - g0) / (out.shape[1] - a.prompt_len))
            gen_tokens += out.shape[1] - a.prompt_len
            student.train()
            ids = out
        else:
            ids = torch.cat([prompts, torch.randint(0, 151000, (a.batch, a.completion_len))], dim=1)
        labels = ids.clone()
        labels[:, : a.prompt_len] = -100
        attn = torch.ones_like(ids)
        s = student(input_ids=ids, attention_mask=attn).logits
        with torch.no_grad():
            t = teacher(input_ids=ids, attention_mask=attn).logits
        # TRL slices by the prompt length and shifts by one
        loss = generalized_jsd_loss(s[:, a.prompt_len - 1: -1], t[:, a.prompt_len - 1: -1], labels[:, a.prompt_len:], beta=0.5)
        (loss / a.accumulation).backward()
        return ids.numel(), loss.item()

    def step():
        tokens = 0
        for i in range(a.accumulation):
            n, _ = micro_batch(on_policy=i < a.accumulation // 2)
            tokens += n
        torch.nn.utils.clip_grad_norm_([q for q in student.parameters() if q.requires_grad], 1.0)
        opt.step(); opt.zero_grad(set_to_none=True)
        return tokens

    step()  # warm-up
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); gen_times.clear()
    times, tokens = [], 0
    for _ in range(a.steps):
        torch.cuda.synchronize(); s0 = time.time()
        tokens = step()
        torch.cuda.synchronize(); times.append(time.time() - s0)
    res = {
        "what": "TRL-way GKD optimizer step (PyTorch + transformers + peft), seed shapes, random weights",
        "card": torch.cuda.get_device_name(0),
        "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
        "batch": a.batch, "accumulation": a.accumulation, "prompt_len": a.prompt_len, "completion_len": a.completion_len,
        "max_new_tokens": a.max_new_tokens,
        "seconds_per_step": statistics.median(times), "step_times": times,
        "tokens_per_second": tokens / statistics.median(times),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        "decode_ms_per_token": 1000 * statistics.median(gen_times),
    }
    print(json.dumps(res, indent=2), flush=True)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "baseline.json"), "w") as f:
        json.dump(res, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
