using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Cuda;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Support;

/// <summary>
/// The CPU reference backend beside the CUDA backend on the emulated runtime, for kernel parity tests: the same
/// random inputs go to both, and results come back as f32 arrays. One emulated runtime is shared by the whole test
/// run so each kernel file is built once.
/// </summary>
public sealed class BackendPair : IDisposable
{
    private static readonly Lazy<EmulatedRuntime> SharedRuntime = new(() => new EmulatedRuntime());

    public BackendPair(DType activations)
    {
        Cpu = new CpuBackend(2);
        Cuda = Emulated(activations);
    }

    /// <summary>A CUDA backend on the shared emulated runtime (disposing it leaves the runtime alive).</summary>
    public static CudaBackend Emulated(DType activations) => new(SharedRuntime.Value, activations);

    public CpuBackend Cpu { get; }
    public CudaBackend Cuda { get; }

    /// <summary>Tolerance for comparing the CUDA result with the CPU one: f32 math either way, bf16 storage when the activations are bf16.</summary>
    public double Tolerance => Cuda.ActivationDType == DType.BF16 ? Close.BF16 : Close.F32;

    /// <summary>The same values on both backends: f32 on the CPU, dtype (default: the CUDA activation dtype) on CUDA.</summary>
    public (Tensor Cpu, Tensor Cuda) Upload(float[] values, DType? cudaDType, params int[] dims)
    {
        var cpu = Cpu.FromArray(values, dims);
        var dtype = cudaDType ?? Cuda.ActivationDType;
        using var staged = Cuda.FromArray(values, dims);
        var cuda = Cuda.Allocate(new Shape(dims), dtype);
        Cuda.Copy(cuda, staged);
        if (dtype == DType.BF16)
        {
            // Round the CPU copy the same way, so both backends see identical inputs.
            using var back = Cpu.Allocate(new Shape(dims), DType.BF16);
            Cpu.Copy(back, cpu);
            Cpu.Copy(cpu, back);
        }
        return (cpu, cuda);
    }

    public (Tensor Cpu, Tensor Cuda) Upload(int[] values, params int[] dims) => (Cpu.FromArray(values, dims), Cuda.FromArray(values, dims));

    /// <summary>Uniform values in [−scale, scale) from a fixed seed.</summary>
    public static float[] Random(int seed, long count, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var a = new float[count];
        for (var i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    public void Dispose()
    {
        Cpu.Dispose();
        Cuda.Dispose();
    }
}
