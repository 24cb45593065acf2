using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
        var words = stackalloc uint[16]; // the Philox words of elements q … q+15
        Vector256<float> vp = Vector256.Create(p), vScale = Vector256.Create(scale), unit = Vector256.Create(1f / (1 << 24));
        var q = start;
        for (; q + 16 <= end; q += 16)
        {
            PhiloxStreamBlocks4(words, seed, (ulong)q / 4);
            for (var e = 0; e < 16; e += 8)
            {
                var u = Vector256.ConvertToSingle((Vector256.Load(words + e) >> 8).AsInt32()) * unit; // Philox.ToUniform, exactly
                var kept = Vector256.GreaterThanOrEqual(u, vp);
                var v = Vector256.ConditionalSelect(kept, Vector256.Load(x + q + e) * vScale, Vector256<float>.Zero);
                (accumulate ? Vector256.Load(y + q + e) + v : v).Store(y + q + e);
            }
        }
        for (; q < end; q++)
        {
            var v = Philox.Uniform(seed, (ulong)q) >= p ? x[q] * scale : 0f;
            y[q] = accumulate ? y[q] + v : v;
        }
    }

    /// <summary>
    /// <see cref="Philox.StreamBlock"/> for the four blocks first … first+3 at once, one block per 64-bit lane
    /// (the same arithmetic as <see cref="Philox.Block"/>); words (16) gets the words in element order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PhiloxStreamBlocks4(uint* words, ulong seed, ulong first)
    {
        var low = Vector256.Create(0xFFFF_FFFFUL);
        var blocks = Vector256.Create(first) + Vector256.Create(0UL, 1, 2, 3);
        Vector256<ulong> c0 = blocks & low, c1 = blocks >> 32, c2 = Vector256<ulong>.Zero, c3 = Vector256<ulong>.Zero;
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (var round = 0; round < 10; round++)
        {
            var p0 = c0 * Vector256.Create((ulong)Philox.M0);
            var p1 = c2 * Vector256.Create((ulong)Philox.M1);
            (c0, c1, c2, c3) = ((p1 >> 32) ^ c1 ^ Vector256.Create((ulong)k0), p1 & low,
                (p0 >> 32) ^ c3 ^ Vector256.Create((ulong)k1), p0 & low);
            k0 += Philox.W0;
            k1 += Philox.W1;
        }
        for (var j = 0; j < 4; j++)
        {
            words[4 * j] = (uint)c0.GetElement(j);
            words[4 * j + 1] = (uint)c1.GetElement(j);
            words[4 * j + 2] = (uint)c2.GetElement(j);
            words[4 * j + 3] = (uint)c3.GetElement(j);
        }
    }
}
