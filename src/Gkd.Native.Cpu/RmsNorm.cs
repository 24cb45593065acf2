using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// y (N, C) f32 = w · (x · rstd) with rstd (N) f32 = 1 / sqrt(Σ x² / C + eps), all in f32 as Qwen2RMSNorm does;
    /// x f32, w (C) in any float dtype. y may alias x.
    /// </summary>
    public void RmsNormForward(Tensor y, Tensor rstd, Tensor x, Tensor w, float eps)
    {
        const string op = nameof(RmsNormForward);
        Require.F32(op, "y", y); Require.F32(op, "rstd", rstd); Require.F32(op, "x", x); Require.Float(op, "w", w);
        Require.SameView(op, "y", y, "x", x);
        var c = x.Shape.Cols;
        Require.Numel(op, "w", w, c);
        Require.Numel(op, "rstd", rstd, x.Shape.Rows);
        float* py = F32(y), pr = F32(rstd), px = F32(x); // (N, C), (N), (N, C)
        var pw = WeightF32(w, out var copy); // (C)
        if (UseVector512) ForChunks(x.Shape.Rows, Grain(3L * c), (_, s, e) => RmsNormRows<Vec512>(py, pr, px, pw, eps, s, e, c));
        else ForChunks(x.Shape.Rows, Grain(3L * c), (_, s, e) => RmsNormRows<Vec256>(py, pr, px, pw, eps, s, e, c));
        GC.KeepAlive(copy);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RmsNormRows<V>(float* y, float* rstd, float* x, float* w, float eps, long start, long end, int c)
        where V : unmanaged, IVec<V>
    {
        for (var n = start; n < end; n++)
        {
            float* xr = x + n * c, yr = y + n * c; // (C) each
            var r = 1f / MathF.Sqrt(Dot<V>(xr, xr, c) / c + eps);
            rstd[n] = r;
            var vr = V.Splat(r);
            var j = 0;
            for (; j + V.Count <= c; j += V.Count) (V.Load(w + j) * (V.Load(xr + j) * vr)).Store(yr + j);
            for (; j < c; j++) yr[j] = w[j] * (xr[j] * r);
        }
    }

    /// <summary>
    /// dx (N, C) f32 += ∂L/∂x = rstd·w·dy − x · rstd³ · Σ(dy·w·x) / C, and when dw is given, dw (C) f32 += Σₙ dy·x·rstd
    /// (both +=). The dw sum runs over fixed chunks of rows combined in order: same bits for any thread count.
    /// </summary>
    public void RmsNormBackward(Tensor dx, Tensor? dw, Tensor dy, Tensor x, Tensor w, Tensor rstd)
    {
        const string op = nameof(RmsNormBackward);
        Require.F32(op, "dx", dx); Require.F32(op, "dy", dy); Require.F32(op, "x", x); Require.F32(op, "rstd", rstd);
        Require.Float(op, "w", w);
        Require.SameView(op, "dx", dx, "x", x); Require.SameView(op, "dy", dy, "x", x);
        var c = x.Shape.Cols;
        Require.Numel(op, "w", w, c);
        Require.Numel(op, "rstd", rstd, x.Shape.Rows);
        float* pdx = F32(dx), pdy = F32(dy), px = F32(x), pr = F32(rstd); // (N, C), (N, C), (N, C), (N)
        var pw = WeightF32(w, out var copy); // (C)
        var rows = x.Shape.Rows;
        var grain = Grain(6L * c);
        if (dw is null)
        {
            if (UseVector512) ForChunks(rows, grain, (_, s, e) => RmsNormBackwardRows<Vec512>(pdx, null, pdy, px, pw, pr, s, e, c));
            else ForChunks(rows, grain, (_, s, e) => RmsNormBackwardRows<Vec256>(pdx, null, pdy, px, pw, pr, s, e, c));
        }
        else
        {
            Require.F32(op, "dw", dw);
            Require.Numel(op, "dw", dw, c);
            var pdw = F32(dw); // (C)
            PartialBody body = UseVector512
                ? (acc, s, e) => RmsNormBackwardRows<Vec512>(pdx, acc, pdy, px, pw, pr, s, e, c)
                : (acc, s, e) => RmsNormBackwardRows<Vec256>(pdx, acc, pdy, px, pw, pr, s, e, c);
            ReduceChunks(pdw, c, rows, grain, body);
        }
        GC.KeepAlive(copy);
    }

    /// <summary>dx rows [start, end) += their gradient; dwAcc (C), when not null, += Σ dy·x·rstd over those rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RmsNormBackwardRows<V>(float* dx, float* dwAcc, float* dy, float* x, float* w, float* rstd,
        long start, long end, int c) where V : unmanaged, IVec<V>
    {
        for (var n = start; n < end; n++)
        {
            float* dxr = dx + n * c, dyr = dy + n * c, xr = x + n * c; // (C) each
            var r = rstd[n];
            var k = r * r * r * DotOfThree<V>(dyr, w, xr, c) / c;
            V vr = V.Splat(r), vk = V.Splat(k);
            var j = 0;
            for (; j + V.Count <= c; j += V.Count)
            {
                V g = V.Load(dyr + j), xv = V.Load(xr + j);
                (V.Load(dxr + j) + (V.Load(w + j) * g * vr - xv * vk)).Store(dxr + j);
                if (dwAcc != null) V.Fma(g * xv, vr, V.Load(dwAcc + j)).Store(dwAcc + j);
            }
            for (; j < c; j++)
            {
                dxr[j] += w[j] * dyr[j] * r - xr[j] * k;
                if (dwAcc != null) dwAcc[j] = MathF.FusedMultiplyAdd(dyr[j] * xr[j], r, dwAcc[j]);
            }
        }
    }

    /// <summary>Σ a·b·c over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotOfThree<V>(float* a, float* b, float* c, int n) where V : unmanaged, IVec<V>
    {
        V acc0 = V.Zero, acc1 = V.Zero;
        var w = V.Count;
        var i = 0;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            acc0 = V.Fma(V.Load(a + i) * V.Load(b + i), V.Load(c + i), acc0);
            acc1 = V.Fma(V.Load(a + i + w) * V.Load(b + i + w), V.Load(c + i + w), acc1);
        }
        for (; i + w <= n; i += w) acc0 = V.Fma(V.Load(a + i) * V.Load(b + i), V.Load(c + i), acc0);
        var sum = (acc0 + acc1).Sum();
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i] * b[i], c[i], sum);
        return sum;
    }
}
