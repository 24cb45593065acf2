"""The SGEMM peer: torch.mm (OpenBLAS) on the shapes of `Gkd.Native.Bench sgemm`, in f32.

Prints `RESULT name median_ms gflops` per shape, like the C# timing mode, for bench/sgemm.sh.
Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they force OpenBLAS's slower kernels).
"""
import argparse
import time

import torch

# name -> (M, N, K, transB): C (M, N) = A (M, K) · B (K, N), or A · Wᵀ with W (N, K) when transB.
SHAPES = {
    "512": (512, 512, 512, False),
    "1024": (1024, 1024, 1024, False),
    "2048": (2048, 2048, 2048, False),
    # Qwen2-0.5B LM head over a 4096-token batch: logits (T, V) = x (T, C) · Wᵀ; the peer's W is f32.
    "lmhead": (4096, 151936, 896, True),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1234)
    for name in args.shapes.split(","):
        m, n, k, trans_b = SHAPES[name]
        a = torch.rand(m, k, generator=gen) * 2 - 1
        b = torch.rand(n, k, generator=gen) * 2 - 1 if trans_b else torch.rand(k, n, generator=gen) * 2 - 1
        bt = b.t() if trans_b else b
        out = torch.empty(m, n)
        for _ in range(2):
            torch.mm(a, bt, out=out)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            torch.mm(a, bt, out=out)
            times.append(time.perf_counter() - start)
        ms = sorted(times)[args.runs // 2] * 1e3
        gflops = 2.0 * m * n * k / (ms * 1e6)
        print(f"RESULT {name} {ms:.2f} {gflops:.1f}", flush=True)
        del a, b, bt, out


if __name__ == "__main__":
    main()
