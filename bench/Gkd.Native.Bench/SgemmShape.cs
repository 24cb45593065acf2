using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Bench;

/// <summary>One timed product: C (M, N) = A (M, K) · op(B), B stored as BType, (N, K) when TransB.</summary>
public sealed record SgemmShape(string Name, int M, int N, int K, bool TransB, DType BType)
{
    /// <summary>The shapes bench/sgemm.sh compares (the peer script names them the same way).</summary>
    public static IReadOnlyList<SgemmShape> Standard { get; } =
    [
        new("512", 512, 512, 512, false, DType.F32),
        new("1024", 1024, 1024, 1024, false, DType.F32),
        new("2048", 2048, 2048, 2048, false, DType.F32),
        // The Qwen2-0.5B LM head over a 4096-token batch: logits (T, V) = x (T, C) · Wᵀ, W (V, C) bf16.
        new("lmhead", 4096, 151936, 896, true, DType.BF16),
    ];

    public double Flops => 2.0 * M * N * K;

    public override string ToString() =>
        $"{M}x{N}x{K} {(TransB ? "A·Bᵀ" : "A·B")} B {BType.SafetensorsName().ToLowerInvariant()}";
}
