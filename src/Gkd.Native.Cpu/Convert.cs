using System.Runtime.Intrinsics;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

/// <summary>Bulk conversions between stored float dtypes and f32 (bf16 rounds to nearest even).</summary>
internal static unsafe class Convert
{
    /// <summary>dst (n) f32 = src (n) in dtype.</summary>
    public static void ToF32(Span<float> dst, void* src, DType dtype)
    {
        var n = dst.Length;
        switch (dtype)
        {
            case DType.F32:
                new ReadOnlySpan<float>(src, n).CopyTo(dst);
                break;
            case DType.BF16:
                fixed (float* d = dst) Bf16ToF32(d, (ushort*)src, n);
                break;
            case DType.F16:
                var h = (Half*)src;
                for (var i = 0; i < n; i++) dst[i] = (float)h[i];
                break;
            default:
                throw new ArgumentException($"cannot read {dtype} as f32");
        }
    }

    /// <summary>dst (n) in dtype = src (n) f32.</summary>
    public static void FromF32(void* dst, DType dtype, ReadOnlySpan<float> src)
    {
        var n = src.Length;
        switch (dtype)
        {
            case DType.F32:
                src.CopyTo(new Span<float>(dst, n));
                break;
            case DType.BF16:
                var b = (ushort*)dst;
                for (var i = 0; i < n; i++) b[i] = BFloat16Bits.FromSingle(src[i]);
                break;
            case DType.F16:
                var h = (Half*)dst;
                for (var i = 0; i < n; i++) h[i] = (Half)src[i];
                break;
            default:
                throw new ArgumentException($"cannot write f32 as {dtype}");
        }
    }

    /// <summary>bf16 → f32 is a 16-bit left shift; 8 lanes at a time.</summary>
    public static void Bf16ToF32(float* dst, ushort* src, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var w = Vector256.WidenLower(Vector128.Load(src + i).ToVector256Unsafe());
                Vector256.ShiftLeft(w, 16).AsSingle().Store(dst + i);
            }
        }
        for (; i < n; i++) dst[i] = BFloat16Bits.ToSingle(src[i]);
    }
}
