using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/rope.cu: rotary embedding (rotate_half) of N token rows of H heads of HS, activations f32 or
/// bf16. A block per row (grid N), <see cref="BlockThreads"/> threads; the row's cos/sin pairs go to HS floats of
/// dynamic shared memory. The inverse frequencies (HS/2) f32 are computed here once per (HS, theta) with transformers'
/// f32 arithmetic — the same as the CPU backend's RopeTable — and kept on the device until disposal.
/// </summary>
public sealed class RopeKernels : IDisposable
{
    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly Dictionary<DType, KernelFunction> _forward = [];
    private readonly Dictionary<DType, KernelFunction> _backward = [];
    private readonly Dictionary<(int HeadDim, float Theta), DevicePtr> _inverseFrequencies = [];

    public RopeKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("rope"));
        foreach (var dtype in (ReadOnlySpan<DType>)[DType.F32, DType.BF16])
        {
            _forward[dtype] = _module.Function($"rope_forward_{KernelDTypes.Suffix(dtype)}");
            _backward[dtype] = _module.Function($"rope_backward_{KernelDTypes.Suffix(dtype)}");
        }
    }

    /// <summary>Threads per block: the row's H·HS/2 pairs rounded up to a warp, at most 256.</summary>
    private static int BlockThreads(int width) => Math.Clamp((width / 2 + 31) / 32 * 32, 32, 256);

    /// <summary>y (N, width) = R(pos · inv_freq) x per head of <paramref name="headDim"/> (=); y may alias x.</summary>
    public void Forward(DevicePtr y, DevicePtr x, DevicePtr positions, int headDim, float theta, long n, int width, DType dtype) =>
        Launch(_forward[dtype], y, x, positions, headDim, theta, n, width);

    /// <summary>dx (N, width) += R(−pos · inv_freq) dy per head (+=); dx must not alias dy.</summary>
    public void Backward(DevicePtr dx, DevicePtr dy, DevicePtr positions, int headDim, float theta, long n, int width, DType dtype) =>
        Launch(_backward[dtype], dx, dy, positions, headDim, theta, n, width);

    public void Dispose()
    {
        foreach (var table in _inverseFrequencies.Values) _runtime.Free(table);
        _inverseFrequencies.Clear();
        _module.Dispose();
    }

    /// <summary>
    /// inv_freq_i = 1 / theta^(2i / HS) as transformers computes it in f32: the exponent an f32 quotient, the power
    /// rounded to f32, then an f32 reciprocal (the CPU backend's RopeTable does the same).
    /// </summary>
    private static float[] InverseFrequencies(int headDim, float theta)
    {
        var inv = new float[headDim / 2]; // (HS/2)
        for (var i = 0; i < inv.Length; i++)
        {
            var exponent = (float)(2 * i) / headDim;
            inv[i] = 1f / (float)Math.Pow(theta, exponent);
        }
        return inv;
    }

    private void Launch(KernelFunction function, DevicePtr output, DevicePtr input, DevicePtr positions, int headDim,
        float theta, long n, int width)
    {
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(output).Add(input).Add(positions).Add(InverseFrequencyTable(headDim, theta)).Add(width).Add(headDim);
        args.Launch(_runtime, function, new Dim3(checked((uint)n)), new Dim3((uint)BlockThreads(width)), headDim * sizeof(float));
    }

    private DevicePtr InverseFrequencyTable(int headDim, float theta)
    {
        if (_inverseFrequencies.TryGetValue((headDim, theta), out var table)) return table;
        var values = InverseFrequencies(headDim, theta);
        table = _runtime.Allocate(values.Length * sizeof(float));
        _runtime.CopyToDevice(table, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        _inverseFrequencies[(headDim, theta)] = table;
        return table;
    }
}
