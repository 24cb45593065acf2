using System.Runtime.CompilerServices;
using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// y = x · keep / (1 − p), all f32 of any shape; element i is kept iff <see cref="Philox.Uniform"/>(seed, i) ≥ p
    /// and kept elements are multiplied by the f32 scale 1 / (1 − p). p = 0 copies; p = 1 zeroes. y may alias x.
    /// </summary>
    public void Dropout(Tensor y, Tensor x, float p, ulong seed)
    {
        const string op = nameof(Dropout);
        Require.F32(op, "y", y); Require.F32(op, "x", x);
        Require.Numel(op, "y", y, x.Numel);
        Require.That(p is >= 0f and <= 1f, op, $"p = {p} is outside [0, 1]");
        float* py = F32(y), px = F32(x); // (numel) each
        if (p == 0f)
        {
            if (py != px) Buffer.MemoryCopy(px, py, y.ByteLength, x.ByteLength);
            return;
        }
        ForChunks(x.Numel, DropoutGrain, (_, s, e) => DropoutKernel(py, px, p, seed, s, e, accumulate: false));
    }

    /// <summary>dx += dy · keep / (1 − p) with the forward's mask (+=). dx and dy f32 of the same element count.</summary>
    public void DropoutBackward(Tensor dx, Tensor dy, float p, ulong seed)
    {
        const string op = nameof(DropoutBackward);
        Require.F32(op, "dx", dx); Require.F32(op, "dy", dy);
        Require.Numel(op, "dx", dx, dy.Numel);
        Require.That(p is >= 0f and <= 1f, op, $"p = {p} is outside [0, 1]");
        float* pdx = F32(dx), pdy = F32(dy); // (numel) each
        ForChunks(dy.Numel, DropoutGrain, (_, s, e) => DropoutKernel(pdx, pdy, p, seed, s, e, accumulate: true));
    }

    /// <summary>Elements per chunk: a multiple of 4, so each Philox block belongs to one chunk.</summary>
    private const long DropoutGrain = 1 << 13;

    /// <summary>y[i] (=, or += when accumulate) x[i] · keep_i / (1 − p) for i in [start, end), start a multiple of 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DropoutKernel(float* y, float* x, float p, ulong seed, long start, long end, bool accumulate)
    {
        var scale = 1f / (1f - p);
        for (var q = start; q < end; q += 4)
        {
            var (w0, w1, w2, w3) = Philox.StreamBlock(seed, (ulong)q / 4);
            var n = (int)Math.Min(4, end - q);
            for (var lane = 0; lane < n; lane++)
            {
                var w = lane switch { 0 => w0, 1 => w1, 2 => w2, _ => w3 };
                var i = q + lane;
                var v = Philox.ToUniform(w) >= p ? x[i] * scale : 0f;
                y[i] = accumulate ? y[i] + v : v;
            }
        }
    }
}
