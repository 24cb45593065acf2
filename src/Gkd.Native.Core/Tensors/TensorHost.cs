using System.Runtime.InteropServices;
using Gkd.Native.Core.Backends;

namespace Gkd.Native.Core.Tensors;

/// <summary>Moving host arrays in and out of backend tensors.</summary>
public static class TensorHost
{
    /// <summary>A new f32 tensor holding data.</summary>
    public static Tensor FromArray(this IBackend backend, ReadOnlySpan<float> data, params ReadOnlySpan<int> dims)
    {
        var t = backend.Allocate(new Shape(dims), DType.F32);
        CheckCount(t, data.Length);
        backend.CopyFromHost(t, MemoryMarshal.AsBytes(data));
        return t;
    }

    /// <summary>A new i32 tensor holding data.</summary>
    public static Tensor FromArray(this IBackend backend, ReadOnlySpan<int> data, params ReadOnlySpan<int> dims)
    {
        var t = backend.Allocate(new Shape(dims), DType.I32);
        CheckCount(t, data.Length);
        backend.CopyFromHost(t, MemoryMarshal.AsBytes(data));
        return t;
    }

    /// <summary>A new tensor of zeros.</summary>
    public static Tensor Zeros(this IBackend backend, Shape shape, DType dtype)
    {
        var t = backend.Allocate(shape, dtype);
        backend.Fill(t, 0f);
        return t;
    }

    /// <summary>The values of a float tensor of any float dtype, converted to f32.</summary>
    public static float[] ToFloatArray(this Tensor t)
    {
        var result = new float[t.Numel];
        if (t.DType == DType.F32)
        {
            t.Backend.CopyToHost(MemoryMarshal.AsBytes(result.AsSpan()), t);
            return result;
        }
        using var f = t.Backend.Allocate(t.Shape, DType.F32);
        t.Backend.Copy(f, t);
        f.Backend.CopyToHost(MemoryMarshal.AsBytes(result.AsSpan()), f);
        return result;
    }

    /// <summary>The values of an i32 tensor.</summary>
    public static int[] ToIntArray(this Tensor t)
    {
        if (t.DType != DType.I32) throw new ArgumentException($"{t}: expected i32");
        var result = new int[t.Numel];
        t.Backend.CopyToHost(MemoryMarshal.AsBytes(result.AsSpan()), t);
        return result;
    }

    private static void CheckCount(Tensor t, int count)
    {
        if (count != t.Numel)
        {
            t.Dispose();
            throw new ArgumentException($"{count} values for shape {t.Shape} ({t.Numel} elements)");
        }
    }
}
