using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// 8×8 in-register transpose (AVX: unpack, shuffle, 128-bit permute) for the packing routines: the k-major panels
/// want column q of 8 source rows as one vector.
/// </summary>
internal static unsafe class Transpose8
{
    /// <summary>Whether <see cref="Store"/> runs in registers here; the packers fall back to scalar copies otherwise.</summary>
    public static bool IsSupported => Avx.IsSupported;

    /// <summary>
    /// Column q of the 8 rows x0..x7 (x_r[q]) is stored as 8 floats at dst + q·stride, for q = 0 .. 7 in ascending
    /// order. A stride below 8 lets each store spill into the next one's slots, which that next store overwrites.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* dst, nint stride, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2,
        Vector256<float> x3, Vector256<float> x4, Vector256<float> x5, Vector256<float> x6, Vector256<float> x7)
    {
        var t0 = Avx.UnpackLow(x0, x1);
        var t1 = Avx.UnpackHigh(x0, x1);
        var t2 = Avx.UnpackLow(x2, x3);
        var t3 = Avx.UnpackHigh(x2, x3);
        var t4 = Avx.UnpackLow(x4, x5);
        var t5 = Avx.UnpackHigh(x4, x5);
        var t6 = Avx.UnpackLow(x6, x7);
        var t7 = Avx.UnpackHigh(x6, x7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).Store(dst);
        Avx.Permute2x128(s1, s5, 0x20).Store(dst + stride);
        Avx.Permute2x128(s2, s6, 0x20).Store(dst + (2 * stride));
        Avx.Permute2x128(s3, s7, 0x20).Store(dst + (3 * stride));
        Avx.Permute2x128(s0, s4, 0x31).Store(dst + (4 * stride));
        Avx.Permute2x128(s1, s5, 0x31).Store(dst + (5 * stride));
        Avx.Permute2x128(s2, s6, 0x31).Store(dst + (6 * stride));
        Avx.Permute2x128(s3, s7, 0x31).Store(dst + (7 * stride));
    }
}
