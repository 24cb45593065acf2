using System.Runtime.InteropServices;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

/// <summary>
/// The reference backend: every op in managed code over native memory, f32 activations, weights in their stored
/// dtype. Work is split over <see cref="Threads"/> workers with fixed partitions, so results do not depend on
/// timing; reductions across rows combine per-chunk partials in a fixed order. Ops live in one file per family.
/// </summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    public CpuBackend(int threads = 0) => Threads = threads > 0 ? threads : Environment.ProcessorCount;

    public string Name => "cpu";
    public DType ActivationDType => DType.F32;

    /// <summary>Worker count for parallel loops and the GEMM.</summary>
    public int Threads { get; }

    public Tensor Allocate(Shape shape, DType dtype) =>
        new(new CpuStorage(this, shape.Numel * dtype.Size()), 0, shape, dtype);

    public void Fill(Tensor dst, float value)
    {
        var n = dst.Numel;
        switch (dst.DType)
        {
            case DType.F32: new Span<float>(F32(dst), checked((int)n)).Fill(value); break;
            case DType.I32: new Span<int>(I32(dst), checked((int)n)).Fill((int)value); break;
            case DType.BF16: new Span<ushort>(Ptr(dst), checked((int)n)).Fill(BFloat16Bits.FromSingle(value)); break;
            case DType.F16: new Span<Half>(Ptr(dst), checked((int)n)).Fill((Half)value); break;
        }
    }

    public void CopyFromHost(Tensor dst, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != dst.ByteLength) throw new ArgumentException($"{bytes.Length} bytes for {dst}, expected {dst.ByteLength}");
        bytes.CopyTo(new Span<byte>(Ptr(dst), bytes.Length));
    }

    public void CopyToHost(Span<byte> bytes, Tensor src)
    {
        if (bytes.Length != src.ByteLength) throw new ArgumentException($"{bytes.Length} bytes for {src}, expected {src.ByteLength}");
        new ReadOnlySpan<byte>(Ptr(src), bytes.Length).CopyTo(bytes);
    }

    public void Copy(Tensor dst, Tensor src)
    {
        if (dst.Numel != src.Numel) throw new ArgumentException($"copy {src.Shape} into {dst.Shape}");
        var n = checked((int)src.Numel);
        if (dst.DType == src.DType)
        {
            Buffer.MemoryCopy(Ptr(src), Ptr(dst), dst.ByteLength, src.ByteLength);
            return;
        }
        if (dst.DType == DType.I32 || src.DType == DType.I32) throw new ArgumentException($"cannot convert {src.DType} to {dst.DType}");
        if (dst.DType == DType.F32)
        {
            Convert.ToF32(new Span<float>(F32(dst), n), Ptr(src), src.DType);
            return;
        }
        var tmp = src.DType == DType.F32 ? null : new float[n];
        var f = tmp ?? new ReadOnlySpan<float>(F32(src), n);
        if (tmp is not null) Convert.ToF32(tmp, Ptr(src), src.DType);
        Convert.FromF32(Ptr(dst), dst.DType, f);
    }

    public void Synchronize() { }

    public void Dispose() { }

    internal static byte* Ptr(Tensor t)
    {
        if (t.Storage is not CpuStorage s) throw new ArgumentException($"{t} does not live on the CPU backend");
        ObjectDisposedException.ThrowIf(t.IsDisposed, t);
        return s.Pointer + t.ByteOffset;
    }

    /// <summary>The f32 data of t; throws for other dtypes.</summary>
    internal static float* F32(Tensor t)
    {
        if (t.DType != DType.F32) throw new ArgumentException($"{t}: expected f32");
        return (float*)Ptr(t);
    }

    internal static int* I32(Tensor t)
    {
        if (t.DType != DType.I32) throw new ArgumentException($"{t}: expected i32");
        return (int*)Ptr(t);
    }

    internal static Span<float> Span(Tensor t) => new(F32(t), checked((int)t.Numel));
}
