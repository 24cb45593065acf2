using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu;

/// <summary>
/// A vector of floats that the kernels are written against, so one generic kernel serves both widths:
/// <see cref="Vec256"/> (AVX2) and <see cref="Vec512"/> (AVX-512). Each is a thin wrapper the JIT keeps in a register.
/// </summary>
internal unsafe interface IVec<TSelf> where TSelf : unmanaged, IVec<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Splat(float x);
    static abstract TSelf Load(float* p);
    void Store(float* p);

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);

    /// <summary>a·b + c with one rounding.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    /// <summary>Lane-wise maximum (the native instruction; NaN handling is the hardware's).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf x);
    /// <summary>e^x, within 2 ulp of the exact value (SimdTests checks the BCL functions against double).</summary>
    static abstract TSelf Exp(TSelf x);
    /// <summary>ln x, within 3 ulp of the exact value.</summary>
    static abstract TSelf Log(TSelf x);

    /// <summary>Sum of the lanes in a fixed order.</summary>
    float Sum();
    /// <summary>Sum of the lanes in double.</summary>
    double SumDouble();
    float MaxAcross();
}

internal readonly unsafe struct Vec256(Vector256<float> v) : IVec<Vec256>
{
    private readonly Vector256<float> _v = v;

    public static int Count => Vector256<float>.Count;
    public static Vec256 Zero => new(Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Splat(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p) => _v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator +(Vec256 a, Vec256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator -(Vec256 a, Vec256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator *(Vec256 a, Vec256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator /(Vec256 a, Vec256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator -(Vec256 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Fma(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Max(Vec256 a, Vec256 b) => new(Vector256.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Abs(Vec256 x) => new(Vector256.Abs(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Exp(Vec256 x) => new(Vector256.Exp(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Log(Vec256 x) => new(Vector256.Log(x._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Sum() => Vector256.Sum(_v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double SumDouble()
    {
        var (lo, hi) = Vector256.Widen(_v);
        return Vector256.Sum(lo + hi);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float MaxAcross()
    {
        var m = Vector128.MaxNative(_v.GetLower(), _v.GetUpper());
        m = Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }
}

internal readonly unsafe struct Vec512(Vector512<float> v) : IVec<Vec512>
{
    private readonly Vector512<float> _v = v;

    public static int Count => Vector512<float>.Count;
    public static Vec512 Zero => new(Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Splat(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* p) => _v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator +(Vec512 a, Vec512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator -(Vec512 a, Vec512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator *(Vec512 a, Vec512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator /(Vec512 a, Vec512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator -(Vec512 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Fma(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Max(Vec512 a, Vec512 b) => new(Vector512.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Abs(Vec512 x) => new(Vector512.Abs(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Exp(Vec512 x) => new(Vector512.Exp(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Log(Vec512 x) => new(Vector512.Log(x._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Sum() => Vector512.Sum(_v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double SumDouble()
    {
        var (lo, hi) = Vector512.Widen(_v);
        return Vector512.Sum(lo + hi);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float MaxAcross() => new Vec256(Vector256.MaxNative(_v.GetLower(), _v.GetUpper())).MaxAcross();
}

public sealed partial class CpuBackend
{
    /// <summary>
    /// Whether kernels run on <see cref="Vec512"/> rather than <see cref="Vec256"/>: true where AVX-512 is
    /// accelerated. Tests set it on other machines too (Vector512 then runs as two 256-bit halves).
    /// </summary>
    internal bool UseVector512 { get; init; } = Vector512.IsHardwareAccelerated;
}
