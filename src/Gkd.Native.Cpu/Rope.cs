using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>cos/sin tables per (HS, theta), grown to the largest position seen.</summary>
    private readonly ConcurrentDictionary<(int HeadDim, float Theta), RopeTable> _ropeTables = new();

    /// <summary>
    /// Rotary embedding, non-interleaved: x (N, H·HS) f32, positions (N) i32 ≥ 0, y (N, H·HS) f32 may alias x.
    /// y[i] = x[i]·cos a − x[i+HS/2]·sin a, y[i+HS/2] = x[i+HS/2]·cos a + x[i]·sin a with a, cos a, sin a from
    /// <see cref="RopeTable"/> (transformers' f32 arithmetic). Each product is rounded before the sum, as in
    /// transformers' q·cos + rotate_half(q)·sin.
    /// </summary>
    public void RopeForward(Tensor y, Tensor x, Tensor positions, int headDim, float theta)
    {
        var table = RopeArgs(nameof(RopeForward), y, x, positions, headDim, theta);
        float* py = F32(y), px = F32(x); // (N, H·HS) each
        var pos = I32(positions); // (N)
        var width = x.Shape.Cols;
        ChunkBody body = UseVector512
            ? (_, s, e) => RopeRows<Vec512>(py, px, pos, table, s, e, width, headDim, backward: false)
            : (_, s, e) => RopeRows<Vec256>(py, px, pos, table, s, e, width, headDim, backward: false);
        ForChunks(x.Shape.Rows, Grain(3L * width), body);
        GC.KeepAlive(table);
    }

    /// <summary>dx (N, H·HS) f32 += Rᵀ dy, the rotation by −a (+=). dx must not alias dy.</summary>
    public void RopeBackward(Tensor dx, Tensor dy, Tensor positions, int headDim, float theta)
    {
        var table = RopeArgs(nameof(RopeBackward), dx, dy, positions, headDim, theta);
        float* pdx = F32(dx), pdy = F32(dy); // (N, H·HS) each
        var pos = I32(positions); // (N)
        Require.That(pdx != pdy, nameof(RopeBackward), "dx must not alias dy");
        var width = dy.Shape.Cols;
        ChunkBody body = UseVector512
            ? (_, s, e) => RopeRows<Vec512>(pdx, pdy, pos, table, s, e, width, headDim, backward: true)
            : (_, s, e) => RopeRows<Vec256>(pdx, pdy, pos, table, s, e, width, headDim, backward: true);
        ForChunks(dy.Shape.Rows, Grain(3L * width), body);
        GC.KeepAlive(table);
    }

    /// <summary>Checks the arguments; returns the cos/sin tables covering every position.</summary>
    private RopeTable.Snapshot RopeArgs(string op, Tensor y, Tensor x,
        Tensor positions, int headDim, float theta)
    {
        Require.F32(op, "y", y); Require.F32(op, "x", x); Require.I32(op, "positions", positions);
        Require.SameView(op, "y", y, "x", x);
        Require.That(headDim > 0 && headDim % 2 == 0 && x.Shape.Cols % headDim == 0, op,
            $"head size {headDim} must be even and divide the last axis of x {Require.Describe(x)}");
        Require.That(theta > 0f, op, $"theta = {theta} must be positive");
        Require.Numel(op, "positions", positions, x.Shape.Rows);
        var pos = I32(positions); // (N)
        var max = 0;
        for (long n = 0; n < positions.Numel; n++)
        {
            Require.That(pos[n] >= 0, op, $"positions[{n}] = {pos[n]} is negative");
            max = Math.Max(max, pos[n]);
        }
        return _ropeTables.GetOrAdd((headDim, theta), key => new RopeTable(key.HeadDim, key.Theta)).Covering(max);
    }

    /// <summary>
    /// Rows [start, end) of x (N, width) rotated into y: forward y = R x (=), backward y += Rᵀ x (+=).
    /// Each head's halves are x1 = x[0, HS/2) and x2 = x[HS/2, HS).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RopeRows<V>(float* y, float* x, int* positions, RopeTable.Snapshot table, long start, long end,
        int width, int headDim, bool backward) where V : unmanaged, IVec<V>
    {
        var half = headDim / 2;
        fixed (float* cosAll = table.Cos, sinAll = table.Sin)
        {
            for (var n = start; n < end; n++)
            {
                float* cs = cosAll + (long)positions[n] * half, sn = sinAll + (long)positions[n] * half; // (HS/2) each
                for (var h = 0; h < width; h += headDim)
                {
                    float* x1 = x + n * width + h, x2 = x1 + half, y1 = y + n * width + h, y2 = y1 + half; // (HS/2) each
                    var i = 0;
                    for (; i + V.Count <= half; i += V.Count)
                    {
                        V a = V.Load(x1 + i), b = V.Load(x2 + i), c = V.Load(cs + i), s = V.Load(sn + i);
                        if (backward)
                        {
                            (V.Load(y1 + i) + (a * c + b * s)).Store(y1 + i);
                            (V.Load(y2 + i) + (b * c - a * s)).Store(y2 + i);
                        }
                        else
                        {
                            (a * c - b * s).Store(y1 + i);
                            (b * c + a * s).Store(y2 + i);
                        }
                    }
                    for (; i < half; i++)
                    {
                        float a = x1[i], b = x2[i], c = cs[i], s = sn[i];
                        if (backward)
                        {
                            y1[i] += a * c + b * s;
                            y2[i] += b * c - a * s;
                        }
                        else
                        {
                            y1[i] = a * c - b * s;
                            y2[i] = b * c + a * s;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// cos and sin of the rotary angles for one (HS, theta), as transformers computes them in f32:
    /// inv_freq_i = 1 / theta^(2i / HS) (the exponent an f32 quotient, the power rounded to f32, then an f32
    /// reciprocal), a = (f32) pos · inv_freq_i, and cos a, sin a rounded to f32 from double (correctly rounded;
    /// torch's vectorized f32 pow/cos/sin may differ by 1 ulp).
    /// </summary>
    private sealed class RopeTable(int headDim, float theta)
    {
        /// <summary>Tables for positions [0, Positions): Cos, Sin (Positions, HS/2), on the pinned heap.</summary>
        public sealed record Snapshot(float[] Cos, float[] Sin, int Positions);

        private const int MinPositions = 256;

        private readonly float[] _invFreq = InverseFrequencies(headDim, theta); // (HS/2)
        private readonly Lock _grow = new();
        private volatile Snapshot _current = new([], [], 0);

        /// <summary>Tables covering positions [0, maxPosition].</summary>
        public Snapshot Covering(int maxPosition)
        {
            var current = _current;
            if (maxPosition < current.Positions) return current;
            lock (_grow)
            {
                if (maxPosition >= _current.Positions)
                    _current = Build(Math.Max(maxPosition + 1, Math.Max(2 * _current.Positions, MinPositions)));
                return _current;
            }
        }

        private Snapshot Build(int positions)
        {
            var half = _invFreq.Length;
            var cos = GC.AllocateUninitializedArray<float>(checked(positions * half), pinned: true); // (P, HS/2)
            var sin = GC.AllocateUninitializedArray<float>(positions * half, pinned: true); // (P, HS/2)
            for (var p = 0; p < positions; p++)
                for (var i = 0; i < half; i++)
                {
                    var a = (float)p * _invFreq[i];
                    cos[p * half + i] = (float)Math.Cos(a);
                    sin[p * half + i] = (float)Math.Sin(a);
                }
            return new Snapshot(cos, sin, positions);
        }

        private static float[] InverseFrequencies(int headDim, float theta)
        {
            var inv = new float[headDim / 2]; // (HS/2)
            for (var i = 0; i < inv.Length; i++)
            {
                var exponent = (float)(2 * i) / headDim;
                inv[i] = 1f / (float)Math.Pow(theta, exponent);
            }
            return inv;
        }
    }
}
