#!/usr/bin/env python3
"""Golden files for Gkd.Native's C# tests (op goldens, tiny tokenizer, tiny Qwen2 checkpoints, LoRA/GKD gradients,
tiny chat dataset + eval, greedy generation and sampling distributions). Plain torch (no transformers / safetensors / tokenizers packages), float32, CPU,
deterministic: running it twice writes byte-identical files.

    /usr/bin/python3 tests/Reference/make_golden.py

Everything it writes lies under tests/Reference/golden/ (see tests/Reference/README.md for every file).
"""
import json
import math
import os
import re
import shutil
import struct
import unicodedata

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")

torch.set_num_threads(1)  # fixed reduction order -> byte-identical reruns
torch.use_deterministic_algorithms(True)

F32 = torch.float32
BETAS = [("0", 0.0), ("0.1", 0.1), ("0.5", 0.5), ("0.9", 0.9), ("1", 1.0)]


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def randn(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=F32) * scale


# ----------------------------------------------------------------------------------------------------------------
# safetensors I/O (written by hand: 8-byte LE header length, JSON header with sorted keys, data in that order,
# header padded with spaces to a multiple of 8, __metadata__ str -> str)
# ----------------------------------------------------------------------------------------------------------------

def _raw(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.float32:
        return "F32", t.numpy().astype("<f4").tobytes()
    if t.dtype == torch.bfloat16:
        return "BF16", t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype in (torch.int32, torch.int64):
        assert t.abs().max().item() < 2 ** 31 if t.numel() else True
        return "I32", t.to(torch.int32).numpy().astype("<i4").tobytes()
    raise TypeError(t.dtype)


def save_safetensors(path, tensors, metadata=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        dt, b = _raw(tensors[name])
        header[name] = {"dtype": dt, "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
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
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    assert n % 8 == 0
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    expect = 0
    for name in sorted(header):
        h = header[name]
        a, b = h["data_offsets"]
        assert a == expect
        expect = b
        raw = bytearray(data[base + a: base + b])
        if h["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        elif h["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        elif h["dtype"] == "I32":
            t = torch.frombuffer(raw, dtype=torch.int32)
        else:
            raise TypeError(h["dtype"])
        out[name] = t.reshape(h["shape"]).clone()
    assert base + expect == len(data)
    return out, meta


def write_json(path, obj, indent=2, sort_keys=True):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    # collapse lists of plain numbers onto one line (compact and diff-friendly)
    text = re.sub(r"\[\s+([-0-9.eE+,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ----------------------------------------------------------------------------------------------------------------
# A. op goldens
# ----------------------------------------------------------------------------------------------------------------

def backward(y, dy, inputs):
    """Autograd gradients of sum(y * dy) with respect to inputs."""
    return torch.autograd.grad((y * dy).sum(), inputs)


def rope_cos_sin(positions, hs, theta):
    """transformers' Qwen2RotaryEmbedding in f32: returns cos, sin of shape positions.shape + (HS,)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, hs, 2, dtype=torch.int64).float() / hs))
    freqs = positions.float()[..., None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rms_norm(x, w, eps):
    xf = x.float()
    var = xf.pow(2).mean(-1, keepdim=True)
    return w * (xf * torch.rsqrt(var + eps))


def attention(q, k, v, start):
    """Op semantics (IBackend.AttentionForward). q (B,T,NH,HS), k/v (B,T,NKV,HS), start (B).
    Returns o (B,T,NH,HS) with pad query rows 0 and lse (B,NH,T) with pad entries 0."""
    B, T, NH, HS = q.shape
    NKV = k.shape[2]
    rep = NH // NKV
    kh = k.repeat_interleave(rep, dim=2).permute(0, 2, 1, 3)  # (B,NH,T,HS), head h reads kv head h // rep
    vh = v.repeat_interleave(rep, dim=2).permute(0, 2, 1, 3)
    qh = q.permute(0, 2, 1, 3)
    scores = torch.matmul(qh, kh.transpose(-1, -2)) * (1.0 / math.sqrt(HS))  # (B,NH,T,T)
    t = torch.arange(T)[:, None]
    s = torch.arange(T)[None, :]
    st = start.long()[:, None, None]  # (B,1,1)
    qreal = (t >= st)  # (B,T,1)
    allowed = ((s <= t) & (s >= st) & qreal) | (~qreal & (s == t))  # pad queries: dummy self-key, zeroed below
    scores = scores.masked_fill(~allowed[:, None], float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)  # (B,NH,T)
    p = torch.exp(scores - lse[..., None])
    o = torch.matmul(p, vh)  # (B,NH,T,HS)
    zero = torch.zeros((), dtype=F32)
    o = torch.where(qreal[:, None], o, zero)  # exact +0 on pad query rows
    lse = torch.where(qreal[:, None, :, 0], lse, zero)
    return o.permute(0, 2, 1, 3), lse


def attention_hf_eager(q, k, v, attention_mask):
    """transformers' eager attention with the 4-D additive mask (min float); pad query rows come out uniform."""
    B, T, NH, HS = q.shape
    rep = NH // k.shape[2]
    kh = k.repeat_interleave(rep, dim=2).permute(0, 2, 1, 3)
    vh = v.repeat_interleave(rep, dim=2).permute(0, 2, 1, 3)
    qh = q.permute(0, 2, 1, 3)
    w = torch.matmul(qh, kh.transpose(2, 3)) * HS ** -0.5
    minv = torch.finfo(F32).min
    causal = torch.triu(torch.full((T, T), minv), diagonal=1)
    mask = causal[None, None].repeat(B, 1, 1, 1)
    mask = mask.masked_fill(attention_mask[:, None, None, :] == 0, minv)
    w = torch.softmax(w + mask, dim=-1, dtype=F32)
    return torch.matmul(w, vh).permute(0, 2, 1, 3)


def naive_attention(q, k, v, start):
    B, T, NH, HS = q.shape
    rep = NH // k.shape[2]
    o = torch.zeros(B, T, NH, HS, dtype=torch.float64)
    lse = torch.zeros(B, NH, T, dtype=torch.float64)
    q, k, v = q.double(), k.double(), v.double()
    for b in range(B):
        for h in range(NH):
            for t in range(int(start[b]), T):
                keys = range(int(start[b]), t + 1)
                sc = torch.stack([q[b, t, h] @ k[b, s, h // rep] / math.sqrt(HS) for s in keys])
                m = torch.logsumexp(sc, 0)
                lse[b, h, t] = m
                p = torch.exp(sc - m)
                o[b, t, h] = sum(p[i] * v[b, s, h // rep] for i, s in enumerate(keys))
    return o, lse


def jsd_rows(student_logits, teacher_logits, beta):
    """TRL GKDTrainer.generalized_jsd_loss before masking/reduction, summed over the vocabulary: (N,)."""
    s = F.log_softmax(student_logits, dim=-1)
    t = F.log_softmax(teacher_logits, dim=-1)
    if beta == 0:
        jsd = F.kl_div(s, t, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(t, s, reduction="none", log_target=True)
    else:
        b = torch.tensor(beta, dtype=s.dtype)
        m = torch.logsumexp(torch.stack([s + torch.log(1 - b), t + torch.log(b)]), dim=0)
        jsd = b * F.kl_div(m, t, reduction="none", log_target=True) + (1 - b) * F.kl_div(m, s, reduction="none",
                                                                                         log_target=True)
    return jsd.sum(-1)


def make_ops():
    d = os.path.join(OUT, "ops")
    # 1. embedding
    g = gen(101)
    ids = torch.randint(0, 11, (7,), generator=g)
    ids[5] = ids[1]  # a repeated id (its dtable row sums two dy rows)
    ids[6] = ids[1]
    table = randn(g, 11, 5).requires_grad_()
    y = table[ids]
    dy = randn(g, 7, 5)
    (dtable,) = backward(y, dy, [table])
    save_safetensors(os.path.join(d, "embedding.safetensors"),
                     {"ids": ids, "table": table, "y": y, "dy": dy, "dtable": dtable})

    # 2. rmsnorm
    g = gen(102)
    eps = 1e-6
    x = randn(g, 6, 13).requires_grad_()
    w = (1 + randn(g, 13, scale=0.1)).requires_grad_()
    xd = x.detach()
    rstd = torch.rsqrt(xd.pow(2).mean(-1) + eps)
    y = rms_norm(x, w, eps)
    dy = randn(g, 6, 13)
    dx, dw = backward(y, dy, [x, w])
    save_safetensors(os.path.join(d, "rmsnorm.safetensors"),
                     {"x": x, "w": w, "y": y, "rstd": rstd, "dy": dy, "dx": dx, "dw": dw}, {"eps": repr(eps)})

    # 3. linear
    g = gen(103)
    x = randn(g, 5, 7).requires_grad_()
    w = randn(g, 9, 7).requires_grad_()
    b = randn(g, 9).requires_grad_()
    y = x @ w.t() + b
    dy = randn(g, 5, 9)
    dx, dw, db = backward(y, dy, [x, w, b])
    save_safetensors(os.path.join(d, "linear.safetensors"),
                     {"x": x, "w": w, "b": b, "y": y, "dy": dy, "dx": dx, "dw": dw, "db": db})

    # 4. rope / rope_long
    def rope_case(name, seed, B, T, H, HS, theta, positions):
        g = gen(seed)
        N = B * T
        x = randn(g, N, H * HS).requires_grad_()
        cos, sin = rope_cos_sin(positions, HS, theta)  # (N, HS)
        xv = x.view(N, H, HS)
        y = (xv * cos[:, None] + rotate_half(xv) * sin[:, None]).reshape(N, H * HS)
        dy = randn(g, N, H * HS)
        (dx,) = backward(y, dy, [x])
        # self-check: backward is the rotation by -a
        dyv = dy.view(N, H, HS)
        dx_manual = (dyv * cos[:, None] - rotate_half(dyv) * sin[:, None]).reshape(N, H * HS)
        assert torch.allclose(dx, dx_manual, atol=1e-6)
        save_safetensors(os.path.join(d, name + ".safetensors"),
                         {"x": x, "positions": positions, "y": y, "dy": dy, "dx": dx},
                         {"theta": repr(float(theta)), "HS": HS, "H": H, "B": B, "T": T})

    rope_case("rope", 104, 2, 5, 3, 8, 10000.0, torch.tensor([0, 1, 2, 3, 4, 1, 1, 0, 1, 2], dtype=torch.int32))
    rope_case("rope_long", 105, 1, 41, 2, 16, 1000000.0, torch.arange(41, dtype=torch.int32))

    # 5. attention
    for name, NH, NKV, seed in [("attention_g1", 4, 4, 106), ("attention_g2", 4, 2, 107), ("attention_g4", 4, 1, 108)]:
        g = gen(seed)
        B, T, HS = 2, 7, 8
        start = torch.tensor([0, 3], dtype=torch.int32)
        q = randn(g, B * T, NH * HS).requires_grad_()
        k = randn(g, B * T, NKV * HS).requires_grad_()
        v = randn(g, B * T, NKV * HS).requires_grad_()
        o4, lse = attention(q.view(B, T, NH, HS), k.view(B, T, NKV, HS), v.view(B, T, NKV, HS), start)
        o = o4.reshape(B * T, NH * HS)
        qreal = (torch.arange(T)[None, :] >= start[:, None].long()).reshape(B * T, 1)
        dout = torch.where(qreal, randn(g, B * T, NH * HS), torch.zeros(()))
        dq, dk, dv = backward(o, dout, [q, k, v])
        on, lsen = naive_attention(q.detach().view(B, T, NH, HS), k.detach().view(B, T, NKV, HS),
                                   v.detach().view(B, T, NKV, HS), start)
        assert torch.allclose(o4.double(), on, atol=1e-5) and torch.allclose(lse.double(), lsen, atol=1e-5)
        assert torch.isfinite(dq).all() and torch.isfinite(dk).all() and torch.isfinite(dv).all()
        save_safetensors(os.path.join(d, name + ".safetensors"),
                         {"q": q, "k": k, "v": v, "start": start, "o": o, "lse": lse, "dout": dout,
                          "dq": dq, "dk": dk, "dv": dv},
                         {"B": B, "T": T, "NH": NH, "NKV": NKV, "HS": HS})

    # 6. swiglu
    g = gen(109)
    gate = randn(g, 6, 11, scale=2.0).requires_grad_()
    up = randn(g, 6, 11).requires_grad_()
    y = F.silu(gate) * up
    dy = randn(g, 6, 11)
    dgate, dup = backward(y, dy, [gate, up])
    save_safetensors(os.path.join(d, "swiglu.safetensors"),
                     {"gate": gate, "up": up, "y": y, "dy": dy, "dgate": dgate, "dup": dup})

    # 7. lora branch
    g = gen(110)
    alpha, r = 6, 3
    scaling = alpha / r
    x = randn(g, 5, 7).requires_grad_()
    A = randn(g, 3, 7).requires_grad_()
    Bm = randn(g, 9, 3).requires_grad_()
    y = ((x @ A.t()) @ Bm.t()) * scaling
    dy = randn(g, 5, 9)
    dx, dA, dB = backward(y, dy, [x, A, Bm])
    save_safetensors(os.path.join(d, "lora.safetensors"),
                     {"x": x, "A": A, "B": Bm, "y": y, "dy": dy, "dx": dx, "dA": dA, "dB": dB},
                     {"alpha": alpha, "r": r, "scaling": repr(scaling)})

    # 8. distill (generalized JSD)
    check = 0.8 * math.log(9.0)
    cs = torch.log(torch.tensor([[0.1, 0.9]], dtype=torch.float64))
    ct = torch.log(torch.tensor([[0.9, 0.1]], dtype=torch.float64))
    for beta in (0.0, 1.0):
        val = jsd_rows(cs, ct, beta).item()
        assert abs(val - check) < 1e-12, (beta, val)
        assert abs(val - 1.7577796619) < 1e-10
    g = gen(111)
    student = randn(g, 6, 37, scale=3.0)
    teacher = randn(g, 6, 37, scale=3.0)
    tens = {"student": student, "teacher": teacher,
            "check.student": torch.log(torch.tensor([[0.1, 0.9]])), "check.teacher": torch.log(torch.tensor([[0.9, 0.1]]))}
    for bname, beta in BETAS:
        s = student.clone().requires_grad_()
        rows = jsd_rows(s, teacher, beta)
        loss = rows.mean()
        (ds,) = torch.autograd.grad(loss, [s])
        # f64 cross-check of the gradient
        s64 = student.double().requires_grad_()
        (ds64,) = torch.autograd.grad(jsd_rows(s64, teacher.double(), beta).mean(), [s64])
        assert torch.allclose(ds.double(), ds64, atol=1e-6)
        tens["loss_rows.beta" + bname] = rows
        tens["loss.beta" + bname] = loss.reshape(1)
        tens["dstudent.beta" + bname] = ds
    # β in (0,1) is symmetric under swapping (student, teacher, β) <-> (teacher, student, 1-β)
    assert torch.allclose(jsd_rows(student, teacher, 0.1), jsd_rows(teacher, student, 0.9), atol=1e-5)
    save_safetensors(os.path.join(d, "distill.safetensors"), tens, {"check_value": repr(check)})


# ----------------------------------------------------------------------------------------------------------------
# B. tiny byte-level BPE tokenizer (Hugging Face format, Qwen2 structure)
# ----------------------------------------------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's byte -> printable unicode map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE2UNI = bytes_to_unicode()
UNI2BYTE = {v: k for k, v in BYTE2UNI.items()}

# Merges, in rank order. Each result gets the next id (256, 257, ...). Chosen so the ChatML scaffolding
# ("system", "user", "assistant") and some common English compress, with a few rank interactions worth testing
# (e.g. "a n" outranks "Ġ a", so " and" becomes Ġ an d, never Ġa n d; "s t" fires inside "assistant" first).
MERGES = [
    "s t", "a n", "Ġ t", "h e", "Ġt he", "e r", "i n", "o u", "Ġ a", "Ġ i", "i s", "an t", "u s", "us er",
    "s y", "sy st", "e m", "syst em", "i st", "s s", "a ss", "ass ist", "assist ant", "r e", "Ġ s", "in g",
]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                 r"\s*[\r\n]+|\s+(?!\S)|\s+")
VOCAB_SIZE = 288


def build_vocab():
    vocab = {BYTE2UNI[b]: b for b in range(256)}  # id = byte value
    for m in MERGES:
        a, b = m.split(" ")
        assert a in vocab and b in vocab, m
        assert a + b not in vocab, m
        vocab[a + b] = len(vocab)
    return vocab


VOCAB = build_vocab()
RANKS = {tuple(m.split(" ")): i for i, m in enumerate(MERGES)}
SPECIAL_IDS = {s: len(VOCAB) + i for i, s in enumerate(SPECIALS)}
ENDOFTEXT, IM_START, IM_END = (SPECIAL_IDS[s] for s in SPECIALS)
ID2TOK = {i: t for t, i in VOCAB.items()}
ID2TOK.update({i: s for s, i in SPECIAL_IDS.items()})
assert max(ID2TOK) < VOCAB_SIZE

try:
    import regex as _regex  # noqa: F401  (not installed on this machine)
    PRETOK = _regex.compile(QWEN2_PATTERN)
    UNICODE_REGEX = True
except ImportError:
    # ASCII-only equivalent of the Qwen2 pattern (\p{L} -> [A-Za-z], \p{N} -> [0-9]); all text we encode is ASCII.
    PRETOK = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*|"
                        r"\s*[\r\n]+|\s+(?!\S)|\s+")
    UNICODE_REGEX = False


def bpe_gpt2(symbols):
    """Repeatedly merge the lowest-rank adjacent pair (all its occurrences, left to right)."""
    word = list(symbols)
    while len(word) > 1:
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        best = min(pairs, key=lambda p: RANKS.get(p, float("inf")))
        if best not in RANKS:
            break
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return word


def bpe_hf(symbols):
    """HF tokenizers' order: merge one pair at a time, lowest (rank, position) first."""
    word = list(symbols)
    while True:
        cands = [(RANKS[(word[i], word[i + 1])], i) for i in range(len(word) - 1) if (word[i], word[i + 1]) in RANKS]
        if not cands:
            return word
        r, i = min(cands)
        MERGE_USE[MERGES[r]] += 1
        word[i:i + 2] = [word[i] + word[i + 1]]


MERGE_USE = {m: 0 for m in MERGES}


def encode(text):
    """HF encode (no added BOS/EOS): split on special tokens, NFC, regex pre-split, bytes->unicode, BPE, ids."""
    ids = []
    pat = "(" + "|".join(re.escape(s) for s in SPECIALS) + ")"
    for seg in re.split(pat, text):
        if seg == "":
            continue
        if seg in SPECIAL_IDS:
            ids.append(SPECIAL_IDS[seg])
            continue
        seg = unicodedata.normalize("NFC", seg)
        if not UNICODE_REGEX:
            assert seg.isascii(), "ASCII-only pre-tokenizer fallback"
        pieces = PRETOK.findall(seg)
        assert "".join(pieces) == seg
        for piece in pieces:
            sym = [BYTE2UNI[b] for b in piece.encode("utf-8")]
            word = bpe_gpt2(sym)
            assert word == bpe_hf(sym)
            ids.extend(VOCAB[w] for w in word)
    return ids


def decode(ids, skip_special=False):
    out, buf = [], []
    for i in ids:
        if i in SPECIAL_IDS.values():
            if buf:
                out.append(bytes(buf).decode("utf-8", errors="replace"))
                buf = []
            if not skip_special:
                out.append(ID2TOK[i])
        else:
            buf.extend(UNI2BYTE[c] for c in ID2TOK[i])
    if buf:
        out.append(bytes(buf).decode("utf-8", errors="replace"))
    return "".join(out)


DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
CHAT_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                 "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
                 "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                 "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def render_chat(messages, add_generation_prompt):
    """Direct string-building equivalent of CHAT_TEMPLATE (the Qwen2 ChatML Jinja text)."""
    out = ""
    for i, m in enumerate(messages):
        if i == 0 and messages[0]["role"] != "system":
            out += DEFAULT_SYSTEM
        out += "<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>" + "\n"
    if add_generation_prompt:
        out += "<|im_start|>assistant\n"
    return out


def write_tokenizer(d):
    added = [{"id": SPECIAL_IDS[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for s in SPECIALS]
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_PATTERN}, "behavior": "Isolated", "invert": False},
            dict(bl)]},
        "post_processor": dict(bl),
        "decoder": dict(bl),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": dict(sorted(VOCAB.items(), key=lambda kv: kv[1])), "merges": list(MERGES)},
    }
    write_json(os.path.join(d, "tokenizer.json"), tok, indent=2, sort_keys=False)
    cfg = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                  "single_word", "special")} for a in added},
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 256,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    write_json(os.path.join(d, "tokenizer_config.json"), cfg)
    write_text(os.path.join(d, "vocab.json"),
               json.dumps(dict(sorted(VOCAB.items(), key=lambda kv: kv[1])), ensure_ascii=False,
                          separators=(",", ":")))
    write_text(os.path.join(d, "merges.txt"), "#version: 0.2\n" + "".join(m + "\n" for m in MERGES))
    write_json(os.path.join(d, "added_tokens.json"), {s: SPECIAL_IDS[s] for s in SPECIALS})


TOKENIZER_CASES = [
    "Hello world",
    "the cat and the hat",
    "I'm sure it's theirs, THEY'LL see. We'd've",
    "There are 2024 users in 12 systems!",
    "  leading spaces and trailing   ",
    "line one\nline two\n\n  indented\ttab",
    "punctuation!!! ... ??? (ok) -- [x] {y} #tag @user $5.00",
    "assistant system user assist",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more<|im_end|>",
    "a\r\nb  \n c",
]


def make_tokenizer_goldens():
    write_tokenizer(os.path.join(OUT, "tokenizer"))
    cases = []
    for text in TOKENIZER_CASES:
        ids = encode(text)
        assert decode(ids) == text
        cases.append({"text": text, "ids": ids, "tokens": [ID2TOK[i] for i in ids]})
    # self-checks of the pre-tokenizer against Qwen2's known splits
    assert PRETOK.findall("I'm here\n\n  now  ") == ["I", "'m", " here", "\n\n", " ", " now", "  "]
    assert encode("Hello") == [ord(c) for c in "Hello"]
    assert encode(" the") == [VOCAB["Ġthe"]]
    assert encode(" and") == [VOCAB["Ġ"], VOCAB["an"], VOCAB["d"]]
    assert encode("assistant") == [VOCAB["assistant"]]
    gp = encode("<|im_start|>assistant\n")
    assert gp == [IM_START, VOCAB["assistant"], ord("\n")]
    write_json(os.path.join(OUT, "tokenizer_cases.json"), {
        "note": "encode(text) with add_special_tokens=False; decode(ids) == text for every case",
        "special_ids": SPECIAL_IDS,
        "generation_prompt_ids": gp,
        "cases": cases})


# ----------------------------------------------------------------------------------------------------------------
# C. tiny Qwen2 checkpoints
# ----------------------------------------------------------------------------------------------------------------

class Cfg:
    def __init__(self, name, C, L, NH, NKV, HS, FF, tied, theta, dtype, seed):
        self.name, self.C, self.L, self.NH, self.NKV, self.HS, self.FF = name, C, L, NH, NKV, HS, FF
        self.tied, self.theta, self.dtype, self.seed = tied, theta, dtype, seed
        self.V, self.eps = VOCAB_SIZE, 1e-6
        assert NH * HS == C

    def config_json(self):
        return {
            "architectures": ["Qwen2ForCausalLM"],
            "attention_dropout": 0.0,
            "bos_token_id": ENDOFTEXT,
            "eos_token_id": IM_END,
            "hidden_act": "silu",
            "hidden_size": self.C,
            "initializer_range": 0.02,
            "intermediate_size": self.FF,
            "max_position_embeddings": 256,
            "max_window_layers": self.L,
            "model_type": "qwen2",
            "num_attention_heads": self.NH,
            "num_hidden_layers": self.L,
            "num_key_value_heads": self.NKV,
            "rms_norm_eps": self.eps,
            "rope_theta": self.theta,
            "sliding_window": None,
            "tie_word_embeddings": self.tied,
            "torch_dtype": self.dtype,
            "use_cache": True,
            "use_sliding_window": False,
            "vocab_size": self.V,
        }


MODELS = [
    Cfg("student-g1-tied-f32", 32, 2, 4, 4, 8, 48, True, 10000.0, "float32", 201),
    Cfg("student-g2-untied-f32", 32, 2, 4, 2, 8, 48, False, 1000000.0, "float32", 202),
    Cfg("student-g4-tied-bf16", 32, 2, 4, 1, 8, 48, True, 10000.0, "bfloat16", 203),
    Cfg("teacher-g2-untied-f32", 48, 3, 6, 2, 8, 64, False, 1000000.0, "float32", 204),
]
MODEL = {c.name: c for c in MODELS}


def make_weights(cfg):
    g = gen(cfg.seed)
    C, FF, HS = cfg.C, cfg.FF, cfg.HS
    kv = cfg.NKV * HS
    W = {"model.embed_tokens.weight": randn(g, cfg.V, C, scale=0.5)}
    for i in range(cfg.L):
        p = f"model.layers.{i}."
        W[p + "input_layernorm.weight"] = 1 + randn(g, C, scale=0.1)
        W[p + "self_attn.q_proj.weight"] = randn(g, C, C, scale=0.15)
        W[p + "self_attn.q_proj.bias"] = randn(g, C, scale=0.1)
        W[p + "self_attn.k_proj.weight"] = randn(g, kv, C, scale=0.15)
        W[p + "self_attn.k_proj.bias"] = randn(g, kv, scale=0.1)
        W[p + "self_attn.v_proj.weight"] = randn(g, kv, C, scale=0.15)
        W[p + "self_attn.v_proj.bias"] = randn(g, kv, scale=0.1)
        W[p + "self_attn.o_proj.weight"] = randn(g, C, C, scale=0.15)
        W[p + "post_attention_layernorm.weight"] = 1 + randn(g, C, scale=0.1)
        W[p + "mlp.gate_proj.weight"] = randn(g, FF, C, scale=0.15)
        W[p + "mlp.up_proj.weight"] = randn(g, FF, C, scale=0.15)
        W[p + "mlp.down_proj.weight"] = randn(g, C, FF, scale=0.15)
    W["model.norm.weight"] = 1 + randn(g, C, scale=0.1)
    if not cfg.tied:
        W["lm_head.weight"] = randn(g, cfg.V, C, scale=0.4)
    if cfg.dtype == "bfloat16":
        W = {k: v.to(torch.bfloat16) for k, v in W.items()}
    return W


def as_f32(W):
    return {k: v.float() for k, v in W.items()}


def positions_from_mask(mask):
    pos = mask.long().cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 1)


def start_from_mask(mask):
    start = (mask == 0).long().sum(-1)
    T = mask.shape[1]
    expect = (torch.arange(T)[None, :] >= start[:, None]).to(mask.dtype)
    assert torch.equal(mask, expect), "left padding only"
    return start


def lin(x, W, key, lora, lora_scaling, bias=True):
    y = x @ W[key + ".weight"].t()
    if bias:
        y = y + W[key + ".bias"]
    if lora is not None and key in lora:
        A, B = lora[key]
        y = y + ((x @ A.t()) @ B.t()) * lora_scaling
    return y


def forward(cfg, W, input_ids, attention_mask, lora=None, lora_scaling=None, hf_eager=False):
    """Qwen2ForCausalLM forward (f32): returns logits (B,T,V); pad query rows are whatever falls out."""
    B, T = input_ids.shape
    NH, NKV, HS = cfg.NH, cfg.NKV, cfg.HS
    pos = positions_from_mask(attention_mask)
    start = start_from_mask(attention_mask)
    cos, sin = rope_cos_sin(pos, HS, cfg.theta)  # (B,T,HS)
    cos, sin = cos[:, :, None], sin[:, :, None]
    x = W["model.embed_tokens.weight"][input_ids.long()]  # (B,T,C)
    for i in range(cfg.L):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], cfg.eps)
        q = lin(h, W, p + "self_attn.q_proj", lora, lora_scaling).view(B, T, NH, HS)
        k = lin(h, W, p + "self_attn.k_proj", lora, lora_scaling).view(B, T, NKV, HS)
        v = lin(h, W, p + "self_attn.v_proj", lora, lora_scaling).view(B, T, NKV, HS)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if hf_eager:
            o = attention_hf_eager(q, k, v, attention_mask)
        else:
            o, _ = attention(q, k, v, start)
        x = x + lin(o.reshape(B, T, NH * HS), W, p + "self_attn.o_proj", lora, lora_scaling, bias=False)
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], cfg.eps)
        gate = lin(h, W, p + "mlp.gate_proj", lora, lora_scaling, bias=False)
        up = lin(h, W, p + "mlp.up_proj", lora, lora_scaling, bias=False)
        x = x + lin(F.silu(gate) * up, W, p + "mlp.down_proj", lora, lora_scaling, bias=False)
    x = rms_norm(x, W["model.norm.weight"], cfg.eps)
    head = W["model.embed_tokens.weight"] if cfg.tied else W["lm_head.weight"]
    return x @ head.t()


def write_model_dir(cfg, W):
    d = os.path.join(OUT, "models", cfg.name)
    write_json(os.path.join(d, "config.json"), cfg.config_json())
    write_json(os.path.join(d, "generation_config.json"),
               {"bos_token_id": ENDOFTEXT, "eos_token_id": [IM_END, ENDOFTEXT], "pad_token_id": ENDOFTEXT})
    save_safetensors(os.path.join(d, "model.safetensors"), W, {"format": "pt"})
    write_tokenizer(d)


def load_model(name):
    W, _ = load_safetensors(os.path.join(OUT, "models", name, "model.safetensors"))
    return as_f32(W)


def make_models():
    for cfg in MODELS:
        W = make_weights(cfg)
        write_model_dir(cfg, W)
        R = load_model(cfg.name)
        assert set(R) == set(W) and all(torch.equal(R[k], W[k].float()) for k in W)
        assert ("lm_head.weight" in R) == (not cfg.tied)

    # forward golden: row 1 left-padded by 3
    g = gen(301)
    T = 9
    ids = torch.randint(0, ENDOFTEXT, (2, T), generator=g)
    ids[:, 0] = IM_START
    ids[1, 3] = IM_START
    ids[1, :3] = ENDOFTEXT
    mask = torch.ones(2, T, dtype=torch.int64)
    mask[1, :3] = 0
    real = mask.bool()
    tens = {"input_ids": ids, "attention_mask": mask, "position_ids": positions_from_mask(mask)}
    for cfg in MODELS:
        W = load_model(cfg.name)
        with torch.no_grad():
            logits = forward(cfg, W, ids, mask)
            # self-checks: (1) HF eager attention (additive min-float 4-D mask) gives the same real rows
            hf = forward(cfg, W, ids, mask, hf_eager=True)
            assert torch.allclose(logits[real], hf[real], atol=1e-5)
            # (2) left padding does not change the real rows vs an unpadded single-row forward
            single = forward(cfg, W, ids[1:, 3:], mask[1:, 3:])
            assert torch.allclose(logits[1, 3:], single[0], atol=1e-5), (logits[1, 3:] - single[0]).abs().max()
            single0 = forward(cfg, W, ids[:1], mask[:1])
            assert torch.allclose(logits[0], single0[0], atol=1e-5)
            # (3) the head: tied = embedding matrix, untied = lm_head
            if cfg.tied:
                W2 = dict(W)
                W2["model.embed_tokens.weight"] = W["model.embed_tokens.weight"].clone()
                W2["model.embed_tokens.weight"][-1] += 1.0  # unused row (id 287) only changes logit 287
                l2 = forward(cfg, W2, ids, mask)
                assert torch.allclose(l2[..., :-1], logits[..., :-1]) and not torch.allclose(l2[..., -1], logits[..., -1])
            # distributions are not near-uniform
            p = torch.softmax(logits[real], -1)
            assert p.max(-1).values.min() > 3.0 / cfg.V
        tens["logits." + cfg.name] = torch.where(real[..., None], logits, torch.zeros(()))
    save_safetensors(os.path.join(OUT, "models", "forward.safetensors"), tens,
                     {"pad_id": ENDOFTEXT, "models": ",".join(c.name for c in MODELS),
                      "note": "pad query rows of logits.* are zeroed; compare real rows (attention_mask=1) only"})


# ----------------------------------------------------------------------------------------------------------------
# D. LoRA + GKD gradients
# ----------------------------------------------------------------------------------------------------------------

LORA_R, LORA_ALPHA = 4, 8
LORA_TARGETS = ["q_proj", "v_proj"]


def peft_key(layer, mod, ab):
    return f"base_model.model.model.layers.{layer}.self_attn.{mod}.lora_{ab}.weight"


def make_lora(cfg, seed, zero_b):
    g = gen(seed)
    ad = {}
    for i in range(cfg.L):
        for mod in LORA_TARGETS:
            out = cfg.C if mod == "q_proj" else cfg.NKV * cfg.HS
            bound = 1.0 / math.sqrt(cfg.C)
            A = (torch.rand(LORA_R, cfg.C, generator=g, dtype=F32) * 2 - 1) * bound
            B = torch.zeros(out, LORA_R) if zero_b else randn(g, out, LORA_R, scale=0.05)
            ad[peft_key(i, mod, "A")] = A
            ad[peft_key(i, mod, "B")] = B
    return ad


def lora_modules(cfg, ad):
    """PEFT keys -> {"model.layers.i.self_attn.q_proj": (A, B)}."""
    out = {}
    for i in range(cfg.L):
        for mod in LORA_TARGETS:
            out[f"model.layers.{i}.self_attn.{mod}"] = (ad[peft_key(i, mod, "A")], ad[peft_key(i, mod, "B")])
    return out


def write_adapter(d, ad, base_name):
    save_safetensors(os.path.join(d, "adapter_model.safetensors"), ad, {"format": "pt"})
    write_json(os.path.join(d, "adapter_config.json"), {
        "base_model_name_or_path": base_name,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_to_transform": None,
        "lora_alpha": LORA_ALPHA,
        "lora_dropout": 0.0,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": LORA_R,
        "target_modules": list(LORA_TARGETS),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    })


def gkd_loss(student_logits, teacher_logits, labels, beta):
    """Per-sequence causal shift: logits[:, :-1] vs labels[:, 1:]; JSD summed over vocab on rows with label != -100,
    divided by the number of those rows. Returns (loss, number of completion tokens)."""
    lab = labels[:, 1:]
    m = lab != -100
    s = student_logits[:, :-1][m]
    t = teacher_logits[:, :-1][m]
    n = int(m.sum())
    return jsd_rows(s, t, beta).sum() / n, n


def student_teacher_loss(st_cfg, stW, te_cfg, teW, ad, batch, beta, grads=False):
    ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    with torch.no_grad():
        tl = forward(te_cfg, teW, ids, mask)
    if ad is not None:
        params = {k: v.clone().requires_grad_(grads) for k, v in ad.items()}
        sl = forward(st_cfg, stW, ids, mask, lora_modules(st_cfg, params), LORA_ALPHA / LORA_R)
    else:
        params = {}
        sl = forward(st_cfg, stW, ids, mask)
    loss, n = gkd_loss(sl, tl, labels, beta)
    if not grads:
        return loss.detach(), n, None
    keys = sorted(params)
    gs = torch.autograd.grad(loss, [params[k] for k in keys])
    return loss.detach(), n, dict(zip(keys, gs))


def make_lora_grads():
    st, te = MODEL["student-g2-untied-f32"], MODEL["teacher-g2-untied-f32"]
    stW, teW = load_model(st.name), load_model(te.name)
    ad = make_lora(st, 401, zero_b=False)
    write_adapter(os.path.join(OUT, "models", "lora-adapter"), ad, st.name)
    ad_r, _ = load_safetensors(os.path.join(OUT, "models", "lora-adapter", "adapter_model.safetensors"))
    assert all(torch.equal(ad_r[k], ad[k]) for k in ad)

    g = gen(402)
    T = 11
    ids = torch.randint(0, ENDOFTEXT, (2, T), generator=g)
    ids[1, :2] = ENDOFTEXT
    mask = torch.ones(2, T, dtype=torch.int64)
    mask[1, :2] = 0
    labels = ids.clone()
    labels[0, :5] = -100  # row 0: 5 prompt tokens, 6 completion tokens
    labels[1, :2 + 4] = -100  # row 1: 2 pads + 4 prompt tokens, 5 completion tokens
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    tens = dict(batch)
    for bname, beta in BETAS:
        loss, n, gr = student_teacher_loss(st, stW, te, teW, ad, batch, beta, grads=(beta == 0.5))
        assert n == 11
        tens["loss.beta" + bname] = loss.reshape(1)
        if gr is not None:
            for k, v in gr.items():
                assert v.abs().max() > 0, k
                tens["grad." + k] = v
            # f64 cross-check of the gradients
            st64 = {k: v.double() for k, v in stW.items()}
            te64 = {k: v.double() for k, v in teW.items()}
            ad64 = {k: v.double() for k, v in ad.items()}
            _, _, g64 = student_teacher_loss(st, st64, te, te64, ad64, batch, beta, grads=True)
            for k in gr:
                err = (gr[k].double() - g64[k]).abs().max() / g64[k].abs().max()
                assert err < 1e-4, (k, err)
    # the adapter matters, and a zero-B adapter reproduces the base model
    base_loss, _, _ = student_teacher_loss(st, stW, te, teW, None, batch, 0.5)
    assert abs(base_loss - tens["loss.beta0.5"]).item() > 1e-5
    zero = {k: (torch.zeros_like(v) if "lora_B" in k else v) for k, v in ad.items()}
    zl, _, _ = student_teacher_loss(st, stW, te, teW, zero, batch, 0.5)
    assert abs(zl - base_loss).item() < 1e-6
    save_safetensors(os.path.join(OUT, "models", "lora_grads.safetensors"), tens,
                     {"student": st.name, "teacher": te.name, "adapter": "lora-adapter", "r": LORA_R,
                      "lora_alpha": LORA_ALPHA, "grad_beta": "0.5", "completion_tokens": 11, "pad_id": ENDOFTEXT})
    return ad


# ----------------------------------------------------------------------------------------------------------------
# E. tiny chat dataset, collator, eval and one train step
# ----------------------------------------------------------------------------------------------------------------

def m(role, content):
    return {"role": role, "content": content}


TRAIN = [
    [m("user", "What is the capital of France?"), m("assistant", "The capital of France is Paris.")],
    [m("system", "You are a terse math tutor."), m("user", "What is 12 times 7?"), m("assistant", "It is 84.")],
    [m("user", "Hi there!"), m("assistant", "Hello! How can I help you today?"),
     m("user", "Tell me a fun fact."), m("assistant", "Octopuses have three hearts.")],
    [m("user", "Name three primary colors."), m("assistant", "Red, blue and yellow.")],
    [m("system", "Answer in one word."), m("user", "Is the sky blue?"), m("assistant", "Yes.")],
    [m("user", "Write a short line about the sea."), m("assistant", "The sea sings softly to the shore at night.")],
]

TEST = [
    [m("user", "What is 2+2?"), m("assistant", "2+2 is 4.")],
    [m("system", "Be kind."), m("user", "I'm sad."), m("assistant", "I'm sorry. Do you want to talk?")],
    [m("user", "Spell cat."), m("assistant", "C-A-T")],
    [m("user", "List fruits:\n- one"), m("assistant", "- apple\n- pear")],
    [m("system", "You are a poet."), m("user", "Rhyme with moon."), m("assistant", "Soon, tune, June.")],
    [m("user", "Hello"), m("assistant", "Hi!"), m("user", "Bye."), m("assistant", "Bye!")],
    [m("user", "Why is the sky blue? Please explain it to me in detail, with the physics of light scattering, "
                "the role of the air molecules, the wavelengths involved, and why sunsets are red instead."),
     m("assistant", "Short light waves scatter more.")],
    [m("user", "Say  two   spaces."), m("assistant", "OK:  two   spaces.")],
    [m("system", "Reply with a number."), m("user", "How many days in 2024?"), m("assistant", "366")],
    [m("user", "Translate 'the end' to French."), m("assistant", "La fin.")],
]

MAX_LENGTH = 64
BATCH_SIZE = 4


def tokenize_row(messages):
    prompt_ids = encode(render_chat(messages[:-1], add_generation_prompt=True))
    full_ids = encode(render_chat(messages, add_generation_prompt=False))
    assert full_ids[:len(prompt_ids)] == prompt_ids, "prompt must tokenize as a prefix of the full conversation"
    return prompt_ids, full_ids[len(prompt_ids):]


def collate(rows, max_length):
    items = []
    for messages in rows:
        p, c = tokenize_row(messages)
        ids = (p + c)[-max_length:]
        lab = ([-100] * len(p) + c)[-max_length:]
        items.append((p, c, ids, lab))
    T = max(len(it[2]) for it in items)
    input_ids, mask, labels = [], [], []
    for _, _, ids, lab in items:
        pad = T - len(ids)
        input_ids.append([ENDOFTEXT] * pad + ids)
        mask.append([0] * pad + [1] * len(ids))
        labels.append([-100] * pad + lab)
    batch = {"input_ids": torch.tensor(input_ids), "attention_mask": torch.tensor(mask),
             "labels": torch.tensor(labels)}
    return batch, items


def write_jsonl(path, rows):
    write_text(path, "".join(json.dumps({"messages": r}, ensure_ascii=True) + "\n" for r in rows))


def make_data_and_eval(ad):
    for rows in (TRAIN, TEST):
        for r in rows:
            for x in r:
                assert x["content"].isascii() and not x["content"][:1].isspace()
    write_jsonl(os.path.join(OUT, "data", "tiny_chat", "train.jsonl"), TRAIN)
    write_jsonl(os.path.join(OUT, "data", "tiny_chat", "test.jsonl"), TEST)
    st, te = MODEL["student-g2-untied-f32"], MODEL["teacher-g2-untied-f32"]
    stW, teW = load_model(st.name), load_model(te.name)
    beta = 0.5

    rows_out, batches = [], []
    n_trunc = 0
    for bi in range(0, len(TEST), BATCH_SIZE):
        chunk = TEST[bi: bi + BATCH_SIZE]
        batch, items = collate(chunk, MAX_LENGTH)
        loss, n, _ = student_teacher_loss(st, stW, te, teW, None, batch, beta)
        loss_a, n2, _ = student_teacher_loss(st, stW, te, teW, ad, batch, beta)
        assert n == n2
        batches.append({"rows": len(chunk), "completion_tokens": n, "seq_len": int(batch["input_ids"].shape[1]),
                        "loss": float(loss), "loss_with_adapter": float(loss_a)})
        for j, (p, c, ids, lab) in enumerate(items):
            trunc = len(p) + len(c) > MAX_LENGTH
            n_trunc += trunc
            if trunc:
                assert len(c) < MAX_LENGTH - 1 and len(ids) == MAX_LENGTH
            rows_out.append({"index": bi + j, "prompt_ids": p, "completion_ids": c, "truncated": trunc,
                             "input_ids": ids, "labels": lab})
    assert n_trunc == 1, n_trunc
    n_rows = sum(b["rows"] for b in batches)
    eval_loss = sum(b["loss"] * b["rows"] for b in batches) / n_rows
    eval_loss_a = sum(b["loss_with_adapter"] * b["rows"] for b in batches) / n_rows
    write_json(os.path.join(OUT, "eval.json"), {
        "student": st.name, "teacher": te.name, "adapter": "models/lora-adapter", "beta": beta,
        "temperature": 1.0, "max_length": MAX_LENGTH, "per_device_eval_batch_size": BATCH_SIZE,
        "pad_token_id": ENDOFTEXT, "dataset": "data/tiny_chat/test.jsonl",
        "eval_loss": eval_loss, "eval_loss_with_adapter": eval_loss_a,
        "batches": batches, "rows": rows_out})

    # one train step: first 2 train rows, student + lora-init (B = 0) vs teacher
    init = make_lora(st, 501, zero_b=True)
    write_adapter(os.path.join(OUT, "models", "lora-init"), init, st.name)
    batch, items = collate(TRAIN[:2], MAX_LENGTH)
    loss, n, gr = student_teacher_loss(st, stW, te, teW, init, batch, beta, grads=True)
    base_loss, _, _ = student_teacher_loss(st, stW, te, teW, None, batch, beta)
    assert abs(loss - base_loss).item() < 1e-6
    tens = dict(batch)
    tens["loss"] = loss.reshape(1)
    for k, v in gr.items():
        if "lora_A" in k:
            assert v.abs().max().item() == 0.0
        else:
            assert v.abs().max().item() > 0
        tens["grad." + k] = v
    save_safetensors(os.path.join(OUT, "train_step.safetensors"), tens,
                     {"student": st.name, "teacher": te.name, "adapter": "models/lora-init", "beta": "0.5",
                      "max_length": MAX_LENGTH, "completion_tokens": n, "pad_id": ENDOFTEXT,
                      "rows": "data/tiny_chat/train.jsonl rows 0 and 1"})
    return eval_loss, eval_loss_a, batches, float(loss)


# ----------------------------------------------------------------------------------------------------------------
# G. generation: greedy completions (batched with left padding and alone) and next-token sampling distributions
# ----------------------------------------------------------------------------------------------------------------

GEN_PROMPTS = ["Hi", "Say hi.", "Name three primary colors."]
GEN_EOS = [IM_END, ENDOFTEXT]  # generation_config.json's eos_token_id
GEN_PAD = ENDOFTEXT
GEN_MAX_NEW = 12
GEN_RUNS = [("student-g2-untied-f32", None), ("teacher-g2-untied-f32", None), ("student-g2-untied-f32", "lora-adapter")]
SAMPLING_CASES = [(0.9, 0, 1.0), (0.9, 20, 1.0), (0.9, 0, 0.8), (1.3, 50, 0.9)]  # (temperature, top_k, top_p)


def greedy_generate(cfg, W, prompts, lora=None, lora_scaling=None):
    """transformers' greedy generate without a cache: left-padded prompts, the full forward at every step, argmax of
    the last position; a row finishes at its first EOS and gets pad tokens after it; stops when every row finished.
    Returns the completions (up to and including the EOS), the padded (B, Tnew) block and the smallest top-1/top-2
    logit margin met (how far every argmax is from a tie)."""
    B, T = len(prompts), max(len(p) for p in prompts)
    ids = torch.tensor([[GEN_PAD] * (T - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (T - len(p)) + [1] * len(p) for p in prompts])
    finished, completions, block, margin = [False] * B, [[] for _ in prompts], [[] for _ in prompts], float("inf")
    for _ in range(GEN_MAX_NEW):
        with torch.no_grad():
            logits = forward(cfg, W, ids, mask, lora, lora_scaling)[:, -1]  # (B, V)
        top2 = logits.topk(2, dim=-1).values
        step = []
        for b in range(B):
            token = GEN_PAD
            if not finished[b]:
                token = int(logits[b].argmax())
                margin = min(margin, float(top2[b, 0] - top2[b, 1]))
                completions[b].append(token)
                finished[b] = token in GEN_EOS
            step.append(token)
            block[b].append(token)
        ids = torch.cat([ids, torch.tensor(step)[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(B, 1, dtype=mask.dtype)], dim=1)
        if all(finished):
            break
    return completions, block, margin


def hf_sampling_probs(logits, temperature, top_k, top_p):
    """transformers' TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper (in that order, filter value -inf)
    on one row of logits, then the softmax that multinomial sampling draws from. Also returns how far the top-p
    cumulative mass comes to its cut (the cut must not hinge on rounding)."""
    scores = logits[None] / temperature
    if top_k > 0:
        kth = torch.topk(scores, min(top_k, scores.size(-1)))[0][..., -1, None]
        scores = scores.masked_fill(scores < kth, -float("inf"))
    cut_margin = float("inf")
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -1:] = 0
        scores = scores.masked_fill(remove.scatter(1, sorted_indices, remove), -float("inf"))
        live = torch.isfinite(sorted_logits)
        cut_margin = float((cumulative[live] - (1 - top_p)).abs().min())
    return torch.softmax(scores, dim=-1)[0], cut_margin


def make_generation(ad):
    prompts = [encode(render_chat([{"role": "user", "content": t}], add_generation_prompt=True)) for t in GEN_PROMPTS]
    assert len({len(p) for p in prompts}) == len(prompts), "prompts of different lengths"
    runs = []
    for name, adapter in GEN_RUNS:
        cfg = MODEL[name]
        W = load_model(name)
        lora = lora_modules(cfg, ad) if adapter else None
        scaling = LORA_ALPHA / LORA_R if adapter else None
        completions, block, margin = greedy_generate(cfg, W, prompts, lora, scaling)
        assert margin > 1e-3, (name, adapter, margin)
        for i, p in enumerate(prompts):
            alone, alone_block, _ = greedy_generate(cfg, W, [p], lora, scaling)
            assert alone[0] == completions[i], (name, adapter, i)
            assert len(alone_block[0]) == len(alone[0])  # a single row stops at its own EOS
        for c, row in zip(completions, block):
            assert row[:len(c)] == c and all(t == GEN_PAD for t in row[len(c):])
            assert all(t not in GEN_EOS for t in c[:-1])
        runs.append({"model": name, "adapter": adapter and "models/" + adapter, "min_margin": margin,
                     "completions": completions, "tokens": block,
                     "texts": [decode(c, skip_special=True) for c in completions],
                     "finished": [c[-1] in GEN_EOS for c in completions]})
    # the goldens exercise an early finish beside longer rows (and, alone, a row that stops before max_new_tokens)
    assert any(any(r["finished"]) and not all(r["finished"]) for r in runs)
    assert any(len(c) < GEN_MAX_NEW for r in runs for c in r["completions"])

    st = MODEL["student-g2-untied-f32"]
    context = prompts[0]
    with torch.no_grad():
        logits = forward(st, load_model(st.name), torch.tensor([context]), torch.ones(1, len(context)))[0, -1]
    cases = []
    for temperature, top_k, top_p in SAMPLING_CASES:
        probs, cut_margin = hf_sampling_probs(logits, temperature, top_k, top_p)
        assert cut_margin > 1e-4, (temperature, top_k, top_p, cut_margin)
        if top_k:
            ordered = (logits / temperature).sort(descending=True).values
            assert ordered[top_k - 1] - ordered[top_k] > 1e-5
        cases.append({"temperature": temperature, "top_k": top_k, "top_p": top_p,
                      "support": int((probs > 0).sum()), "probs": [float(x) for x in probs]})
    write_json(os.path.join(OUT, "generation.json"), {
        "note": "greedy generate, left-padded batch == each prompt alone; tokens after a row's first EOS are pad",
        "eos_token_id": GEN_EOS, "pad_token_id": GEN_PAD, "max_new_tokens": GEN_MAX_NEW,
        "prompts": [{"text": t, "ids": p} for t, p in zip(GEN_PROMPTS, prompts)],
        "runs": runs,
        "sampling": {"model": st.name, "context_ids": context, "logits": [float(x) for x in logits],
                     "cases": cases}})
    return runs


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_ops()
    make_tokenizer_goldens()
    make_models()
    ad = make_lora_grads()
    eval_loss, eval_loss_a, batches, step_loss = make_data_and_eval(ad)
    gen_runs = make_generation(ad)
    unused = [mm for mm, c in MERGE_USE.items() if c == 0]
    assert not unused, unused

    total, nfiles = 0, 0
    for root, _, files in os.walk(OUT):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
            nfiles += 1
    assert total < 3 * 1024 * 1024
    print(f"special ids: {SPECIAL_IDS}; merges: {len(MERGES)}; unicode regex: {UNICODE_REGEX}")
    print(f"eval_loss={eval_loss!r} eval_loss_with_adapter={eval_loss_a!r}")
    print("eval batches: " + "; ".join(f"rows={b['rows']} tokens={b['completion_tokens']} T={b['seq_len']} "
                                       f"loss={b['loss']:.6f}" for b in batches))
    print(f"train_step loss={step_loss!r}")
    for r in gen_runs:
        print(f"generation {r['model']}{' + ' + r['adapter'] if r['adapter'] else ''}: lengths "
              f"{[len(c) for c in r['completions']]}, finished {r['finished']}, min margin {r['min_margin']:.4f}")
    print(f"wrote {nfiles} files, {total} bytes under {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
