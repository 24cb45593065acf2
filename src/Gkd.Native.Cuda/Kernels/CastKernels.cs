using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>Launcher for kernels/cast.cu: f32 ↔ bf16 element-wise casts (round to nearest even) over n elements.</summary>
public sealed class CastKernels : IDisposable
{
    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly KernelFunction _f32ToBf16;
    private readonly KernelFunction _bf16ToF32;

    public CastKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("cast"));
        _f32ToBf16 = _module.Function("cast_f32_to_bf16");
        _bf16ToF32 = _module.Function("cast_bf16_to_f32");
    }

    /// <summary>output (n) bf16 = input (n) f32.</summary>
    public void F32ToBf16(DevicePtr output, DevicePtr input, long n) => Launch(_f32ToBf16, output, input, n);

    /// <summary>output (n) f32 = input (n) bf16.</summary>
    public void Bf16ToF32(DevicePtr output, DevicePtr input, long n) => Launch(_bf16ToF32, output, input, n);

    public void Dispose() => _module.Dispose();

    private void Launch(KernelFunction function, DevicePtr output, DevicePtr input, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        var (grid, block) = GridStride.For(n);
        var args = new KernelArgs();
        args.Add(output).Add(input).Add(n);
        args.Launch(_runtime, function, grid, block);
    }
}
