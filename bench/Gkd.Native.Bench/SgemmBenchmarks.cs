using BenchmarkDotNet.Attributes;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Bench;

/// <summary>Sgemm.Multiply on square A·B (f32 B) and linear-layer A·Wᵀ (bf16 W) products.</summary>
public class SgemmBenchmarks
{
    private SgemmOperands? _operands;

    [Params(256, 512, 1024)]
    public int Size { get; set; }

    [Params(false, true)]
    public bool LinearBf16 { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _operands = new SgemmOperands(LinearBf16
        ? new SgemmShape("linear", Size, Size, Size, true, DType.BF16)
        : new SgemmShape("square", Size, Size, Size, false, DType.F32));

    [GlobalCleanup]
    public void Cleanup() => _operands?.Dispose();

    [Benchmark]
    public void Multiply() => _operands!.Multiply(Threads);
}
