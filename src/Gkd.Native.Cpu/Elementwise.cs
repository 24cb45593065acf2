using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>y = a + b, all f32 with the same (rows, cols) view; y may alias a or b.</summary>
    public void Add(Tensor y, Tensor a, Tensor b)
    {
        const string op = nameof(Add);
        Require.F32(op, "y", y); Require.F32(op, "a", a); Require.F32(op, "b", b);
        Require.SameView(op, "y", y, "a", a); Require.SameView(op, "y", y, "b", b);
        float* py = F32(y), pa = F32(a), pb = F32(b); // (N, C) each
        if (UseVector512) ForChunks(y.Numel, Grain(1), (_, s, e) => AddKernel<Vec512>(py + s, pa + s, pb + s, e - s));
        else ForChunks(y.Numel, Grain(1), (_, s, e) => AddKernel<Vec256>(py + s, pa + s, pb + s, e - s));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddKernel<V>(float* y, float* a, float* b, long n) where V : unmanaged, IVec<V>
    {
        long i = 0;
        for (; i + V.Count <= n; i += V.Count) (V.Load(a + i) + V.Load(b + i)).Store(y + i);
        for (; i < n; i++) y[i] = a[i] + b[i];
    }

    /// <summary>y += alpha · x, both f32 with the same (rows, cols) view.</summary>
    public void Axpy(Tensor y, Tensor x, float alpha)
    {
        const string op = nameof(Axpy);
        Require.F32(op, "y", y); Require.F32(op, "x", x);
        Require.SameView(op, "y", y, "x", x);
        float* py = F32(y), px = F32(x); // (N, C) each
        if (UseVector512) ForChunks(y.Numel, Grain(2), (_, s, e) => AxpyKernel<Vec512>(py + s, px + s, alpha, e - s));
        else ForChunks(y.Numel, Grain(2), (_, s, e) => AxpyKernel<Vec256>(py + s, px + s, alpha, e - s));
    }

    /// <summary>y (n) += alpha · x (n), with one rounding per element (fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyKernel<V>(float* y, float* x, float alpha, long n) where V : unmanaged, IVec<V>
    {
        var va = V.Splat(alpha);
        long i = 0;
        for (; i + V.Count <= n; i += V.Count) V.Fma(va, V.Load(x + i), V.Load(y + i)).Store(y + i);
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);
    }

    /// <summary>y *= alpha, y f32.</summary>
    public void Scale(Tensor y, float alpha)
    {
        Require.F32(nameof(Scale), "y", y);
        var py = F32(y); // (N, C)
        if (UseVector512) ForChunks(y.Numel, Grain(1), (_, s, e) => ScaleKernel<Vec512>(py + s, alpha, e - s));
        else ForChunks(y.Numel, Grain(1), (_, s, e) => ScaleKernel<Vec256>(py + s, alpha, e - s));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleKernel<V>(float* y, float alpha, long n) where V : unmanaged, IVec<V>
    {
        var va = V.Splat(alpha);
        long i = 0;
        for (; i + V.Count <= n; i += V.Count) (V.Load(y + i) * va).Store(y + i);
        for (; i < n; i++) y[i] *= alpha;
    }

    /// <summary>y (N, C) f32 += bias (C) in any float dtype.</summary>
    public void AddBias(Tensor y, Tensor bias)
    {
        const string op = nameof(AddBias);
        Require.F32(op, "y", y); Require.Float(op, "bias", bias);
        var c = y.Shape.Cols;
        Require.Numel(op, "bias", bias, c);
        var py = F32(y); // (N, C)
        var pb = WeightF32(bias, out var copy); // (C)
        if (UseVector512) ForChunks(y.Shape.Rows, Grain(c), (_, s, e) => AddBiasRows<Vec512>(py, pb, s, e, c));
        else ForChunks(y.Shape.Rows, Grain(c), (_, s, e) => AddBiasRows<Vec256>(py, pb, s, e, c));
        GC.KeepAlive(copy);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddBiasRows<V>(float* y, float* bias, long start, long end, int c) where V : unmanaged, IVec<V>
    {
        for (var n = start; n < end; n++) AddKernel<V>(y + n * c, y + n * c, bias, c);
    }

    /// <summary>
    /// dbias (C) f32 += Σₙ dy (N, C) f32 (+=). Each fixed chunk of rows sums into its own partial in row order;
    /// the partials are added in chunk order, so the result does not depend on the thread count.
    /// </summary>
    public void AddBiasBackward(Tensor dbias, Tensor dy)
    {
        const string op = nameof(AddBiasBackward);
        Require.F32(op, "dbias", dbias); Require.F32(op, "dy", dy);
        var c = dy.Shape.Cols;
        Require.Numel(op, "dbias", dbias, c);
        float* pdb = F32(dbias), pdy = F32(dy); // (C), (N, C)
        if (UseVector512) ReduceChunks(pdb, c, dy.Shape.Rows, Grain(c), (acc, s, e) => SumRows<Vec512>(acc, pdy, s, e, c));
        else ReduceChunks(pdb, c, dy.Shape.Rows, Grain(c), (acc, s, e) => SumRows<Vec256>(acc, pdy, s, e, c));
    }

    /// <summary>acc (C) += rows [start, end) of x (N, C), in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows<V>(float* acc, float* x, long start, long end, int c) where V : unmanaged, IVec<V>
    {
        for (var n = start; n < end; n++) AddKernel<V>(acc, acc, x + n * c, c);
    }

    /// <summary>
    /// result (1) f32 = Σ x² (+= when accumulate) over x f32 of any shape. Fixed chunks of elements each sum in
    /// double (f32 squares, f32 lanes flushed to double every block); chunk sums are added in order.
    /// </summary>
    public void SumOfSquares(Tensor result, Tensor x, bool accumulate)
    {
        const string op = nameof(SumOfSquares);
        Require.F32(op, "result", result); Require.F32(op, "x", x);
        Require.Numel(op, "result", result, 1);
        var px = F32(x); // (numel)
        var grain = Grain(2);
        var partials = new double[ChunkCount(x.Numel, grain)];
        if (UseVector512) ForChunks(x.Numel, grain, (k, s, e) => partials[k] = SumSquaresKernel<Vec512>(px + s, e - s));
        else ForChunks(x.Numel, grain, (k, s, e) => partials[k] = SumSquaresKernel<Vec256>(px + s, e - s));
        var total = accumulate ? F32(result)[0] : 0.0;
        foreach (var p in partials) total += p;
        F32(result)[0] = (float)total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumSquaresKernel<V>(float* x, long n) where V : unmanaged, IVec<V>
    {
        const int block = 16; // vectors summed in f32 before a flush to double
        var total = 0.0;
        long i = 0;
        while (i + V.Count <= n)
        {
            var acc = V.Zero;
            for (var v = 0; v < block && i + V.Count <= n; v++, i += V.Count)
            {
                var xv = V.Load(x + i);
                acc = V.Fma(xv, xv, acc);
            }
            total += acc.SumDouble();
        }
        for (; i < n; i++) total += (double)x[i] * x[i];
        return total;
    }

    /// <summary>Σ a·b over n floats: four f32 lanes-wide accumulators, then a fixed-order horizontal sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot<V>(float* a, float* b, int n) where V : unmanaged, IVec<V>
    {
        V acc0 = V.Zero, acc1 = V.Zero, acc2 = V.Zero, acc3 = V.Zero;
        var w = V.Count;
        var i = 0;
        for (; i + 4 * w <= n; i += 4 * w)
        {
            acc0 = V.Fma(V.Load(a + i), V.Load(b + i), acc0);
            acc1 = V.Fma(V.Load(a + i + w), V.Load(b + i + w), acc1);
            acc2 = V.Fma(V.Load(a + i + 2 * w), V.Load(b + i + 2 * w), acc2);
            acc3 = V.Fma(V.Load(a + i + 3 * w), V.Load(b + i + 3 * w), acc3);
        }
        for (; i + w <= n; i += w) acc0 = V.Fma(V.Load(a + i), V.Load(b + i), acc0);
        var sum = ((acc0 + acc1) + (acc2 + acc3)).Sum();
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }
}
