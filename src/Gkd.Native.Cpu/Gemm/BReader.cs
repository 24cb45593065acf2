using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Reads B elements of one stored dtype as f32. Structs, so packing and the small-M kernels are specialised per
/// dtype with the conversion inlined.
/// </summary>
internal unsafe interface IBReader
{
    /// <summary>b[i] as f32.</summary>
    static abstract float Read(void* b, nint i);

    /// <summary>b[i .. i+8) as f32.</summary>
    static abstract Vector256<float> Read8(void* b, nint i);
}

internal readonly unsafe struct F32Reader : IBReader
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(void* b, nint i) => ((float*)b)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Read8(void* b, nint i) => Vector256.Load((float*)b + i);
}

/// <summary>bf16 → f32 is the 16 bits shifted into the high half.</summary>
internal readonly unsafe struct Bf16Reader : IBReader
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(void* b, nint i) => BFloat16Bits.ToSingle(((ushort*)b)[i]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Read8(void* b, nint i) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)b + i).ToVector256Unsafe()), 16).AsSingle();
}

internal readonly unsafe struct F16Reader : IBReader
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(void* b, nint i) => (float)((Half*)b)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Read8(void* b, nint i)
    {
        var h = (Half*)b + i;
        return Vector256.Create((float)h[0], (float)h[1], (float)h[2], (float)h[3],
            (float)h[4], (float)h[5], (float)h[6], (float)h[7]);
    }
}
