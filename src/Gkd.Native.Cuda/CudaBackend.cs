using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda;

/// <summary>
/// The CUDA backend: every op a kernel from kernels/*.cu launched through an <see cref="IKernelRuntime"/> (the GPU,
/// or the CPU emulation of the CUDA execution model), matmuls through the runtime's GEMM (cuBLAS). Activations are
/// bf16 by default (f32 on request, e.g. for parity with the CPU backend); kernels do their math in f32. Memory comes
/// from a caching arena; nothing synchronises with the host except copies to it. Ops live in one file per family.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    private readonly Lazy<CastKernels> _cast;

    public CudaBackend(IKernelRuntime runtime, DType activationDType = DType.BF16)
    {
        if (activationDType is not (DType.BF16 or DType.F32))
            throw new ArgumentException($"activations must be bf16 or f32, not {activationDType}");
        Runtime = runtime;
        ActivationDType = activationDType;
        Arena = new DeviceArena(runtime);
        _cast = new(() => new CastKernels(runtime));
    }

    public IKernelRuntime Runtime { get; }
    public DeviceArena Arena { get; }
    public string Name => "cuda";
    public DType ActivationDType { get; }

    public Tensor Allocate(Shape shape, DType dtype) => new(new CudaStorage(this, shape.Numel * dtype.Size()), 0, shape, dtype);

    public void CopyFromHost(Tensor dst, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != dst.ByteLength) throw new ArgumentException($"{bytes.Length} bytes for {dst}, expected {dst.ByteLength}");
        Runtime.CopyToDevice(Ptr(dst), bytes);
    }

    public void CopyToHost(Span<byte> bytes, Tensor src)
    {
        if (bytes.Length != src.ByteLength) throw new ArgumentException($"{bytes.Length} bytes for {src}, expected {src.ByteLength}");
        Runtime.CopyToHost(bytes, Ptr(src));
    }

    public void Copy(Tensor dst, Tensor src)
    {
        if (dst.Numel != src.Numel) throw new ArgumentException($"copy {src.Shape} into {dst.Shape}");
        if (dst.DType == src.DType)
            Runtime.CopyDeviceToDevice(Ptr(dst), Ptr(src), src.ByteLength);
        else if (dst.DType == DType.BF16 && src.DType == DType.F32)
            _cast.Value.F32ToBf16(Ptr(dst), Ptr(src), src.Numel);
        else if (dst.DType == DType.F32 && src.DType == DType.BF16)
            _cast.Value.Bf16ToF32(Ptr(dst), Ptr(src), src.Numel);
        else
            throw new ArgumentException($"cuda: cannot convert {src.DType} to {dst.DType}");
    }

    public void Synchronize() => Runtime.Synchronize();

    /// <summary>The device address of t's first element.</summary>
    internal static DevicePtr Ptr(Tensor t)
    {
        if (t.Storage is not CudaStorage s) throw new ArgumentException($"{t} does not live on the CUDA backend");
        ObjectDisposedException.ThrowIf(t.IsDisposed, t);
        return s.Pointer.Offset(t.ByteOffset);
    }

    public void Dispose()
    {
        if (_cast.IsValueCreated) _cast.Value.Dispose();
        foreach (var launcher in _launchers) launcher.Dispose();
        Arena.Dispose();
    }

    /// <summary>The op families' launchers created so far, disposed with the backend.</summary>
    private readonly List<IDisposable> _launchers = [];

    /// <summary>The launcher in <paramref name="field"/>, made on first use and registered for disposal.</summary>
    private T Launcher<T>(ref T? field, Func<T> make) where T : class, IDisposable
    {
        if (field is null)
        {
            field = make();
            _launchers.Add(field);
        }
        return field;
    }
}
