using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>y (N, FF) = silu(gate) · up, silu(g) = g / (1 + e^−g) as torch computes it; all f32, y may alias either input.</summary>
    public void SwiGluForward(Tensor y, Tensor gate, Tensor up)
    {
        const string op = nameof(SwiGluForward);
        Require.F32(op, "y", y); Require.F32(op, "gate", gate); Require.F32(op, "up", up);
        Require.SameView(op, "y", y, "gate", gate); Require.SameView(op, "y", y, "up", up);
        float* py = F32(y), pg = F32(gate), pu = F32(up); // (N, FF) each
        if (UseVector512) ForChunks(y.Numel, Grain(8), (_, s, e) => SwiGluKernel<Vec512>(py + s, pg + s, pu + s, e - s));
        else ForChunks(y.Numel, Grain(8), (_, s, e) => SwiGluKernel<Vec256>(py + s, pg + s, pu + s, e - s));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SwiGluKernel<V>(float* y, float* gate, float* up, long n) where V : unmanaged, IVec<V>
    {
        var one = V.Splat(1f);
        long i = 0;
        for (; i + V.Count <= n; i += V.Count)
        {
            var g = V.Load(gate + i);
            (g / (one + V.Exp(-g)) * V.Load(up + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
    }

    /// <summary>
    /// dgate (N, FF) += dy · up · silu'(gate) with silu'(g) = σ(g)·(1 + g·(1 − σ(g))), and dup (N, FF) += dy · silu(gate)
    /// (both +=); all f32.
    /// </summary>
    public void SwiGluBackward(Tensor dgate, Tensor dup, Tensor dy, Tensor gate, Tensor up)
    {
        const string op = nameof(SwiGluBackward);
        Require.F32(op, "dgate", dgate); Require.F32(op, "dup", dup); Require.F32(op, "dy", dy);
        Require.F32(op, "gate", gate); Require.F32(op, "up", up);
        Require.SameView(op, "dgate", dgate, "gate", gate); Require.SameView(op, "dup", dup, "gate", gate);
        Require.SameView(op, "dy", dy, "gate", gate); Require.SameView(op, "up", up, "gate", gate);
        float* pdg = F32(dgate), pdu = F32(dup), pdy = F32(dy), pg = F32(gate), pu = F32(up); // (N, FF) each
        ChunkBody body = UseVector512
            ? (_, s, e) => SwiGluBackwardKernel<Vec512>(pdg + s, pdu + s, pdy + s, pg + s, pu + s, e - s)
            : (_, s, e) => SwiGluBackwardKernel<Vec256>(pdg + s, pdu + s, pdy + s, pg + s, pu + s, e - s);
        ForChunks(dy.Numel, Grain(12), body);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SwiGluBackwardKernel<V>(float* dgate, float* dup, float* dy, float* gate, float* up, long n)
        where V : unmanaged, IVec<V>
    {
        var one = V.Splat(1f);
        long i = 0;
        for (; i + V.Count <= n; i += V.Count)
        {
            V g = V.Load(gate + i), d = V.Load(dy + i);
            var sig = one / (one + V.Exp(-g));
            (V.Load(dgate + i) + d * V.Load(up + i) * (sig * (one + g * (one - sig)))).Store(dgate + i);
            (V.Load(dup + i) + d * (g * sig)).Store(dup + i);
        }
        for (; i < n; i++)
        {
            float g = gate[i], sig = 1f / (1f + MathF.Exp(-g));
            dgate[i] += dy[i] * up[i] * (sig * (1f + g * (1f - sig)));
            dup[i] += dy[i] * (g * sig);
        }
    }
}
