"""The PyTorch-CPU peer of the CPU benchmarks (bench/cpu.sh): a plain-torch Qwen2ForCausalLM shaped like
transformers' (f32; eager attention — torch 1.13 has no scaled_dot_product_attention — batched over all heads, with
the GQA groups folded into the query rows so keys and values are never repeated), PEFT-style LoRA on chosen
projections, TRL's generalized JSD, a KV-cache sampling loop like transformers' generate, and a small safetensors
reader/writer (no transformers / peft / safetensors packages here: torch 1.13 from apt only).

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they force OpenBLAS's slower kernels), OMP_WAIT_POLICY=PASSIVE
(torch's OpenMP workers otherwise spin on the cores OpenBLAS's pthreads need) and torch.set_num_threads(N) (every
peer script takes --threads).
"""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE_INDEX = -100


# ---------------------------------------------------------------------------------------------------------------
# safetensors: 8-byte LE header length, JSON header, data
# ---------------------------------------------------------------------------------------------------------------

_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I32": torch.int32}


def save_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    names = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16", torch.int32: "I32"}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.view(torch.uint8).numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hj = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((-len(hj)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """name -> f32 tensor (own memory)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        raw = bytearray(data[base + a: base + b])
        dt = _DTYPES[h["dtype"]]
        if dt == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dt)
        t = t.reshape(h["shape"])
        out[name] = t.float() if t.is_floating_point() else t.clone()
    return out


# ---------------------------------------------------------------------------------------------------------------
# The model (transformers' Qwen2 modelling, eager attention, f32)
# ---------------------------------------------------------------------------------------------------------------

class LoraLinear(nn.Module):
    """PEFT's LoRA Linear: base(x) + lora_B(lora_A(dropout(x))) * scaling; dropout is off (TRL's disable_dropout)."""

    def __init__(self, base, r, alpha, generator):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        bound = 1.0 / math.sqrt(base.in_features)  # kaiming_uniform_(a=sqrt(5)) on (r, in)
        with torch.no_grad():
            self.lora_A.weight.uniform_(-bound, bound, generator=generator)
            self.lora_B.weight.zero_()
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class RMSNorm(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, hs = cfg["hidden_size"], cfg["head_dim"]
        self.nh, self.nkv, self.hs = cfg["num_attention_heads"], cfg["num_key_value_heads"], hs
        self.input_layernorm = RMSNorm(c, cfg["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c, cfg["rms_norm_eps"])
        self.q_proj = nn.Linear(c, self.nh * hs, bias=True)
        self.k_proj = nn.Linear(c, self.nkv * hs, bias=True)
        self.v_proj = nn.Linear(c, self.nkv * hs, bias=True)
        self.o_proj = nn.Linear(self.nh * hs, c, bias=False)
        ff = cfg["intermediate_size"]
        self.gate_proj = nn.Linear(c, ff, bias=False)
        self.up_proj = nn.Linear(c, ff, bias=False)
        self.down_proj = nn.Linear(ff, c, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        """x (B, T, C); cos/sin (B, 1, T, HS); mask (B, 1, T, S) additive; cache: [k, v] (B, NKV, S', HS) or None."""
        B, T, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.nh, self.hs).transpose(1, 2)   # (B, NH, T, HS)
        k = self.k_proj(h).view(B, T, self.nkv, self.hs).transpose(1, 2)  # (B, NKV, T, HS)
        v = self.v_proj(h).view(B, T, self.nkv, self.hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:  # transformers' DynamicCache: concatenate along time
            if cache[0] is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[0], cache[1] = k, v
        # GQA: the rep = NH/NKV query heads of a kv head are folded into its query rows, (B, NKV, rep·T, HS), so
        # one batched matmul per product serves every head and keys/values are never repeated.
        rep, S = self.nh // self.nkv, k.shape[2]
        qg = q.reshape(B, self.nkv, rep * T, self.hs)
        scores = torch.matmul(qg, k.transpose(2, 3)).mul_(1.0 / math.sqrt(self.hs))        # (B, NKV, rep·T, S)
        probs = F.softmax(scores.view(B, self.nkv, rep, T, S) + mask[:, :, None], dim=-1)  # mask (B, 1, 1, T, S)
        o = torch.matmul(probs.view(B, self.nkv, rep * T, S), v)                          # (B, NKV, rep·T, HS)
        o = o.view(B, self.nh, T, self.hs).transpose(1, 2).reshape(B, T, self.nh * self.hs)
        x = x + self.o_proj(o)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Qwen2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        cfg = dict(cfg)
        cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
        cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.tied = cfg.get("tie_word_embeddings", False)
        self.lm_head = None if self.tied else nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        hs = cfg["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (cfg.get("rope_theta", 10000.0)
                                                ** (torch.arange(0, hs, 2, dtype=torch.int64).float() / hs)), persistent=False)

    @staticmethod
    def load(model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        m = Qwen2(cfg)
        w = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        state = {(k[len("model."):] if k.startswith("model.") else k).replace(".self_attn.", ".").replace(".mlp.", "."): v
                 for k, v in w.items()}
        m.load_state_dict(state)
        return m

    def head_weight(self):
        return self.embed_tokens.weight if self.tied else self.lm_head.weight

    def add_lora(self, r, alpha, targets, seed, adapter=None):
        """Wraps the target projections in LoraLinear; adapter (a PEFT adapter_model.safetensors) supplies A and B."""
        g = torch.Generator().manual_seed(seed)
        w = load_safetensors(adapter) if adapter else {}
        for i, layer in enumerate(self.layers):
            for name in targets:
                lora = LoraLinear(getattr(layer, name), r, alpha, g)
                group = "mlp" if name in ("gate_proj", "up_proj", "down_proj") else "self_attn"
                key = f"base_model.model.model.layers.{i}.{group}.{name}"
                if w:
                    with torch.no_grad():
                        lora.lora_A.weight.copy_(w[key + ".lora_A.weight"])
                        lora.lora_B.weight.copy_(w[key + ".lora_B.weight"])
                setattr(layer, name, lora)

    def lora_parameters(self):
        return [p for n, p in self.named_parameters() if ".lora_" in n]

    def rope(self, positions):
        freqs = positions.float()[..., None] * self.inv_freq  # (B, T, HS/2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[:, None], emb.sin()[:, None]          # (B, 1, T, HS)

    def hidden(self, input_ids, attention_mask, caches=None, past=0):
        """Final hidden states (B, T, C) after model.norm. attention_mask (B, past + T) over cache + new tokens."""
        B, T = input_ids.shape
        S = attention_mask.shape[1]
        positions = (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 1)[:, past:]
        cos, sin = self.rope(positions)
        # transformers' 4D mask: causal over (T, S) with the new tokens at S − T …, plus padding; min-float where masked
        q_pos = torch.arange(past, past + T)[:, None]
        k_pos = torch.arange(S)[None, :]
        allowed = (k_pos <= q_pos)[None] & attention_mask.bool()[:, None, :]  # (B, T, S)
        mask = torch.zeros(B, 1, T, S).masked_fill(~allowed[:, None], torch.finfo(torch.float32).min)
        x = self.embed_tokens(input_ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if caches is None else caches[i])
        return self.norm(x)

    def forward(self, input_ids, attention_mask):
        """Qwen2ForCausalLM.forward: logits (B, T, V) for every position."""
        return F.linear(self.hidden(input_ids, attention_mask), self.head_weight())


# ---------------------------------------------------------------------------------------------------------------
# TRL
# ---------------------------------------------------------------------------------------------------------------

def generalized_jsd_loss(student_logits, teacher_logits, labels=None, beta=0.5, temperature=1.0, reduction="batchmean"):
    """trl.GKDTrainer.generalized_jsd_loss, verbatim in substance."""
    student_logits = student_logits / temperature
    teacher_logits = teacher_logits / temperature
    student_log_probs = F.log_softmax(student_logits, dim=-1)
    teacher_log_probs = F.log_softmax(teacher_logits, dim=-1)
    if beta == 0:
        jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(teacher_log_probs, student_log_probs, reduction="none", log_target=True)
    else:
        beta_t = torch.tensor(beta, dtype=student_log_probs.dtype)
        mixture_log_probs = torch.logsumexp(
            torch.stack([student_log_probs + torch.log(1 - beta_t), teacher_log_probs + torch.log(beta_t)]), dim=0)
        kl_teacher = F.kl_div(mixture_log_probs, teacher_log_probs, reduction="none", log_target=True)
        kl_student = F.kl_div(mixture_log_probs, student_log_probs, reduction="none", log_target=True)
        jsd = beta_t * kl_teacher + (1 - beta_t) * kl_student
    if labels is not None:
        mask = labels != IGNORE_INDEX
        jsd = jsd[mask]
    if reduction == "batchmean":
        return jsd.sum() / mask.sum() if labels is not None else jsd.sum() / (jsd.size(0) * jsd.size(1))
    if reduction == "sum":
        return jsd.sum()
    if reduction == "mean":
        return jsd.mean()
    return jsd


def jsd_sum(student_logits, teacher_logits, beta):
    """The generalized JSD (0 < β < 1) of generalized_jsd_loss summed over rows (N, V), in fewer passes: with
    M = logaddexp(S + log(1 − β), T + log β), β·Σ e^T (T − M) + (1 − β)·Σ e^S (S − M) — kl_div(M, X, log_target)
    is e^X (X − M) — without the stacked (2, N, V) copy."""
    s = F.log_softmax(student_logits, dim=-1)
    t = F.log_softmax(teacher_logits, dim=-1)
    m = torch.logaddexp(s + math.log(1 - beta), t + math.log(beta))
    return beta * (t.exp() * (t - m)).sum() + (1 - beta) * (s.exp() * (s - m)).sum()


def gkd_loss(student, teacher, input_ids, attention_mask, labels, beta, way="lean"):
    """The student's GKD loss on a batch: the generalized JSD summed over the completion tokens (labels[:, t] ≠ −100,
    scored by the logits at t − 1) divided by their count. The teacher runs without gradients.

    way "trl" is trl.GKDTrainer.compute_loss as it stands: both models' logits (B, T, V) at every position, sliced
    from the earliest label column, and generalized_jsd_loss. way "lean" computes the same number as an efficient
    PyTorch program would: the LM heads only on the scored rows (N, C) — the work Gkd.Native's fused head does —
    and jsd_sum. The benchmark's goals are judged against "lean"."""
    keep = labels[:, 1:] != IGNORE_INDEX                                       # (B, T − 1)
    if way == "trl":
        student_logits = student(input_ids, attention_mask)                    # (B, T, V)
        with torch.no_grad():
            teacher_logits = teacher(input_ids, attention_mask)
        first = int(keep.any(0).nonzero()[0]) + 1
        return generalized_jsd_loss(student_logits[:, first - 1:-1], teacher_logits[:, first - 1:-1],
                                    labels[:, first:], beta=beta)
    with torch.no_grad():
        zt = F.linear(teacher.hidden(input_ids, attention_mask)[:, :-1][keep], teacher.head_weight())  # (N, V)
    hs = student.hidden(input_ids, attention_mask)[:, :-1][keep]               # (N, Cs)
    return jsd_sum(F.linear(hs, student.head_weight()), zt, beta) / keep.sum()


# ---------------------------------------------------------------------------------------------------------------
# Generation: transformers' sample() with a DynamicCache (left-padded prompts, temperature warper, multinomial)
# ---------------------------------------------------------------------------------------------------------------

@torch.no_grad()
def sample(model, input_ids, attention_mask, max_new_tokens, temperature, generator=None):
    """Returns (B, max_new_tokens) sampled ids (no EOS: every row runs to max_new_tokens) and the seconds of the
    prefill (with its draw)."""
    B, T = input_ids.shape
    caches = [[None, None] for _ in model.layers]
    mask = attention_mask
    ids = input_ids
    out = []
    t0 = time.perf_counter()
    prefill = None
    past = 0
    head = model.head_weight()
    for i in range(max_new_tokens):
        h = model.hidden(ids, mask, caches, past)[:, -1, :]   # (B, C): only the last position's logits
        logits = F.linear(h, head)                           # (B, V)
        probs = F.softmax(logits / temperature, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)
        out.append(nxt)
        if i == 0:
            prefill = time.perf_counter() - t0
        past += ids.shape[1]
        ids = nxt
        mask = torch.cat([mask, torch.ones(B, 1, dtype=mask.dtype)], dim=1)
    return torch.cat(out, dim=1), prefill


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------

def setup_threads(n):
    torch.set_num_threads(n)
    torch.set_num_interop_threads(1)


def turns(runs, sync):
    """Yields 0 … runs − 1; with sync, first prints READY and waits for a line on stdin before each run (bench/cpu.sh
    alternates the two sides run by run, so load on a shared machine hits both alike)."""
    if sync:
        print("READY", flush=True)
    for r in range(runs):
        if sync and not sys.stdin.readline():
            return
        yield r


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


def batch_tensors(b):
    """A dumped ChatBatch (bench/Gkd.Native.Bench eval --dump): input_ids, attention_mask, labels, each (B, T)."""
    B, T = b["B"], b["T"]
    ids = torch.tensor(b["input_ids"], dtype=torch.long).view(B, T)
    labels = torch.tensor(b["labels"], dtype=torch.long).view(B, T)
    start = torch.tensor(b["start"], dtype=torch.long)
    mask = (torch.arange(T)[None, :] >= start[:, None]).long()
    return ids, mask, labels
