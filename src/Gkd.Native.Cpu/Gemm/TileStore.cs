using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Stores one accumulator vector into C by <see cref="StoreMode"/>. The scalar form gives bit-identical results
/// (α·acc is one rounding, fma one more), so edge tiles written element by element match full tiles.
/// </summary>
internal static unsafe class TileStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, StoreMode mode)
    {
        var v = alpha * acc;
        if (mode == StoreMode.Accumulate) v = Vector256.Load(c) + v;
        else if (mode == StoreMode.Scale) v = Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), v);
        v.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, StoreMode mode)
    {
        var v = alpha * acc;
        if (mode == StoreMode.Accumulate) v = Vector512.Load(c) + v;
        else if (mode == StoreMode.Scale) v = Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), v);
        v.Store(c);
    }

    /// <summary>*c = α·acc combined by mode, where alphaAcc = α·acc was already formed; Write does not read *c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, float alphaAcc, float beta, StoreMode mode) => *c = mode switch
    {
        StoreMode.Accumulate => *c + alphaAcc,
        StoreMode.Scale => MathF.FusedMultiplyAdd(beta, *c, alphaAcc),
        _ => alphaAcc,
    };
}
