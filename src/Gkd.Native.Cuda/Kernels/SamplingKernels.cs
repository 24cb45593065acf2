using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/sampling.cu: one token per row of logits by temperature, top-k and top-p with a Philox draw
/// (see <see cref="Core.Backends.IBackend.Sample"/>). One block per row (<see cref="RowBlock"/>); logits f32 or bf16.
/// </summary>
public sealed class SamplingKernels : IDisposable
{
    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly KernelFunction _f32;
    private readonly KernelFunction _bf16;

    public SamplingKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("sampling"));
        _f32 = _module.Function("sample_f32");
        _bf16 = _module.Function("sample_bf16");
    }

    /// <summary>
    /// tokens (rows) i32 = one draw per row of logits (rows, v) of <paramref name="dtype"/>; temperature 0 is greedy,
    /// topK 0 and topP ≥ 1 are off; row b draws with Philox.Uniform(seed, offset + b).
    /// </summary>
    public void Sample(DevicePtr tokens, DevicePtr logits, DType dtype, long rows, int v, float temperature, int topK,
        float topP, ulong seed, ulong offset)
    {
        if (rows == 0) return;
        var function = dtype switch
        {
            DType.F32 => _f32,
            DType.BF16 => _bf16,
            _ => throw new ArgumentException($"sampling: logits must be f32 or bf16, not {dtype}", nameof(dtype)),
        };
        var (grid, block) = RowBlock.For(rows, v, dtype);
        var args = new KernelArgs();
        args.Add(tokens).Add(logits).Add((long)v).Add(temperature).Add(topK).Add(topP).Add(seed).Add(offset);
        args.Launch(_runtime, function, grid, block);
    }

    public void Dispose() => _module.Dispose();
}
