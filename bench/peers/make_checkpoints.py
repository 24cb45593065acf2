"""Writes the CPU benchmarks' inputs into a directory (default /tmp/gkd-cpubench):

  student/  random-weight Qwen2 (d 256, L 4, heads 4/2, FF 1024, tied head, f32, vocab 151936) in HF layout:
            config.json, generation_config.json, model.safetensors, the real Qwen2 tokenizer files
  teacher/  the same with d 384, L 6, heads 6/2, FF 1536
  chat/train.jsonl  500 chat rows {"messages": [user, assistant]}: user = an Arena-Hard question, assistant = the
            text of another question (so both sides are real text of realistic length)
  chat/test.jsonl   its first --eval-rows rows (the split `gkd eval` reads)

Weights follow transformers' init (normal, std 0.02; norms 1) from a fixed seed, so reruns write the same bytes.

    /usr/bin/python3 bench/peers/make_checkpoints.py [--out DIR] [--data /work/shared/data]
"""
import argparse
import json
import os
import shutil

import torch

from qwen2_torch import save_safetensors

VOCAB = 151936
MODELS = {
    "student": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                    intermediate_size=1024, seed=1),
    "teacher": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=6, num_key_value_heads=2,
                    intermediate_size=1536, seed=2),
}


def config(m):
    return {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": m["hidden_size"], "initializer_range": 0.02,
        "intermediate_size": m["intermediate_size"], "max_position_embeddings": 32768,
        "max_window_layers": m["num_hidden_layers"], "model_type": "qwen2",
        "num_attention_heads": m["num_attention_heads"], "num_hidden_layers": m["num_hidden_layers"],
        "num_key_value_heads": m["num_key_value_heads"], "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "sliding_window": None, "tie_word_embeddings": True, "torch_dtype": "float32", "use_cache": True,
        "use_sliding_window": False, "vocab_size": VOCAB,
    }


def weights(m):
    g = torch.Generator().manual_seed(m["seed"])
    c, ff = m["hidden_size"], m["intermediate_size"]
    hs = c // m["num_attention_heads"]
    q, kv = m["num_attention_heads"] * hs, m["num_key_value_heads"] * hs

    def n(*shape):
        return torch.randn(*shape, generator=g) * 0.02

    w = {"model.embed_tokens.weight": n(VOCAB, c), "model.norm.weight": torch.ones(c)}
    for i in range(m["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w.update({
            p + "input_layernorm.weight": torch.ones(c), p + "post_attention_layernorm.weight": torch.ones(c),
            p + "self_attn.q_proj.weight": n(q, c), p + "self_attn.q_proj.bias": n(q),
            p + "self_attn.k_proj.weight": n(kv, c), p + "self_attn.k_proj.bias": n(kv),
            p + "self_attn.v_proj.weight": n(kv, c), p + "self_attn.v_proj.bias": n(kv),
            p + "self_attn.o_proj.weight": n(c, q),
            p + "mlp.gate_proj.weight": n(ff, c), p + "mlp.up_proj.weight": n(ff, c), p + "mlp.down_proj.weight": n(c, ff),
        })
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/gkd-cpubench")
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--eval-rows", type=int, default=16)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tok = os.path.join(args.data, "qwen2-tokenizer")
    for name, m in MODELS.items():
        d = os.path.join(args.out, name)
        if os.path.exists(os.path.join(d, "model.safetensors")):
            continue
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config(m), f, indent=2)
        with open(os.path.join(d, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": 151643, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
                       "do_sample": True, "temperature": 0.9}, f, indent=2)
        for fn in os.listdir(tok):
            shutil.copyfile(os.path.join(tok, fn), os.path.join(d, fn))
        save_safetensors(os.path.join(d, "model.safetensors.tmp"), weights(m), {"format": "pt"})
        os.replace(os.path.join(d, "model.safetensors.tmp"), os.path.join(d, "model.safetensors"))
    questions = []
    with open(os.path.join(args.data, "chat", "arena-hard-v0.1-question.jsonl")) as f:
        for line in f:
            questions.append(json.loads(line)["turns"][0]["content"])
    rows = [json.dumps({"messages": [{"role": "user", "content": q},
                                     {"role": "assistant", "content": questions[(i + 250) % len(questions)]}]})
            for i, q in enumerate(questions)]
    os.makedirs(os.path.join(args.out, "chat"), exist_ok=True)
    for split, part in (("train", rows), ("test", rows[:args.eval_rows])):
        with open(os.path.join(args.out, "chat", split + ".jsonl"), "w") as f:
            f.write("\n".join(part) + "\n")
    print(args.out)


if __name__ == "__main__":
    main()
