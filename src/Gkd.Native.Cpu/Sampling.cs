using System.Buffers;
using System.Runtime.CompilerServices;
using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Logits per block of the draw: the block sums let the draw skip to its block instead of a full scan.</summary>
    private const int SampleBlock = 2048;

    /// <summary>
    /// tokens (B) i32 = one draw per row of logits (B, V) f32 (read, never changed), as transformers samples:
    /// z = logits / temperature (f32); top-k keeps z ≥ the k-th largest z (ties kept; 0 or ≥ V = off); top-p keeps,
    /// in order of decreasing probability (ties by ascending index), each token whose preceding mass is below top_p
    /// of the (top-k) total, so at least one; p_i = e^(z_i − max z) on kept tokens, summed in double. The token is
    /// the first in vocabulary order whose cumulative kept p exceeds u_b · Σ kept p, u_b = Philox.Uniform(seed,
    /// offset + b). temperature 0 is greedy: the lowest index among the row's maxima. The default filters (top-k 0,
    /// top-p 1) cost two vectorised passes and no sort; one row per work item.
    /// </summary>
    public void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset)
    {
        const string op = nameof(Sample);
        Require.I32(op, "tokens", tokens); Require.F32(op, "logits", logits);
        var v = logits.Shape.Cols;
        var rows = logits.Shape.Rows;
        Require.That(v > 0 && rows > 0, op, $"logits {Require.Describe(logits)} must be (B, V) with B, V > 0");
        Require.Numel(op, "tokens", tokens, rows);
        Require.That(temperature >= 0f && float.IsFinite(temperature), op, $"temperature {temperature} must be finite and ≥ 0");
        Require.That(topK >= 0, op, $"top_k {topK} must be ≥ 0 (0 = off)");
        Require.That(topP > 0f && topP <= 1f, op, $"top_p {topP} must lie in (0, 1]");
        var filter = new SampleFilter(temperature, topK < v ? topK : 0, topP);
        int* pt = I32(tokens); // (B)
        var px = F32(logits);  // (B, V)
        ChunkBody body = UseVector512
            ? (_, r, _) => pt[r] = SampleRow<Vec512>(px + r * v, v, filter, Philox.Uniform(seed, offset + (ulong)r))
            : (_, r, _) => pt[r] = SampleRow<Vec256>(px + r * v, v, filter, Philox.Uniform(seed, offset + (ulong)r));
        ForChunks(rows, 1, body);
        for (var r = 0; r < rows; r++)
            if (pt[r] < 0) throw new ArgumentException($"{op}: row {r} of logits {Require.Describe(logits)} is not finite");
    }

    /// <summary>The sampling settings: temperature (0 = greedy), top-k (0 = off), top-p (1 = off).</summary>
    private readonly record struct SampleFilter(float Temperature, int TopK, float TopP);

    /// <summary>One row's token: x (n) logits, u the row's uniform draw in [0, 1); −1 for a row with NaN or infinities.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SampleRow<V>(float* x, int n, SampleFilter f, float u) where V : unmanaged, IVec<V>
    {
        var max = MaxOf<V>(x, n);
        if (f.Temperature == 0f) return FirstEqual(x, n, max);
        var blocks = (n + SampleBlock - 1) / SampleBlock;
        var pool = ArrayPool<float>.Shared.Rent(n);
        var sums = ArrayPool<double>.Shared.Rent(blocks);
        try
        {
            fixed (float* p = pool) // (n) kept probabilities, unnormalised
            fixed (double* blockSums = sums) // (blocks)
            {
                // Division is monotone, so max(x) / T is the largest z exactly: its token gets p = 1.
                var kth = f.TopK > 0 ? KthLargest(x, n, f.TopK, f.Temperature) : float.NegativeInfinity;
                var total = ExpBlocks<V>(p, blockSums, x, n, f.Temperature, max / f.Temperature, kth);
                if (!(total > 0 && double.IsFinite(total))) return -1;
                if (f.TopP < 1f) total = KeepTopP(p, blockSums, n, f.TopP * total);
                return Draw(p, blockSums, n, u * total);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pool);
            ArrayPool<double>.Shared.Return(sums);
        }
    }

    /// <summary>max of x (n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxOf<V>(float* x, int n) where V : unmanaged, IVec<V>
    {
        var i = 0;
        var max = float.NegativeInfinity;
        if (n >= V.Count)
        {
            var acc = V.Load(x);
            for (i = V.Count; i + V.Count <= n; i += V.Count) acc = V.Max(acc, V.Load(x + i));
            max = acc.MaxAcross();
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>The lowest index holding value (the row's maximum); −1 when none does (the row holds NaN).</summary>
    private static int FirstEqual(float* x, int n, float value)
    {
        for (var i = 0; i < n; i++)
            if (x[i] == value) return i;
        return -1;
    }

    /// <summary>The k-th largest of x_i / temperature (0 &lt; k &lt; n), through a min-heap of the k largest seen.</summary>
    private static float KthLargest(float* x, int n, int k, float temperature)
    {
        var heap = ArrayPool<float>.Shared.Rent(k);
        for (var i = 0; i < k; i++) heap[i] = x[i] / temperature;
        for (var i = k / 2 - 1; i >= 0; i--) SiftDown(heap, k, i);
        for (var i = k; i < n; i++)
        {
            var z = x[i] / temperature;
            if (!(z > heap[0])) continue;
            heap[0] = z;
            SiftDown(heap, k, 0);
        }
        var kth = heap[0];
        ArrayPool<float>.Shared.Return(heap);
        return kth;
    }

    /// <summary>Restores the min-heap order of heap[0, count) below index i.</summary>
    private static void SiftDown(float[] heap, int count, int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, least = i;
            if (l < count && heap[l] < heap[least]) least = l;
            if (r < count && heap[r] < heap[least]) least = r;
            if (least == i) return;
            (heap[i], heap[least]) = (heap[least], heap[i]);
            i = least;
        }
    }

    /// <summary>
    /// p (n) = e^(x / temperature − zMax), 0 where x / temperature &lt; kth; blockSums = Σ p per block of
    /// <see cref="SampleBlock"/> in double. Returns the total (blocks added in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ExpBlocks<V>(float* p, double* blockSums, float* x, int n, float temperature, float zMax, float kth)
        where V : unmanaged, IVec<V>
    {
        V vt = V.Splat(temperature), vm = V.Splat(zMax);
        double total = 0;
        for (int b0 = 0, k = 0; b0 < n; b0 += SampleBlock, k++)
        {
            var end = Math.Min(n, b0 + SampleBlock);
            var i = b0;
            for (; i + V.Count <= end; i += V.Count) V.Exp(V.Load(x + i) / vt - vm).Store(p + i);
            for (; i < end; i++) p[i] = MathF.Exp(x[i] / temperature - zMax);
            if (kth > float.NegativeInfinity)
                for (i = b0; i < end; i++)
                    if (x[i] / temperature < kth) p[i] = 0f;
            total += blockSums[k] = SumBlock<V>(p + b0, end - b0);
        }
        return total;
    }

    /// <summary>Σ p (n) in double, vector by vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumBlock<V>(float* p, int n) where V : unmanaged, IVec<V>
    {
        double sum = 0;
        var i = 0;
        for (; i + V.Count <= n; i += V.Count) sum += V.Load(p + i).SumDouble();
        for (; i < n; i++) sum += p[i];
        return sum;
    }

    /// <summary>
    /// The nucleus: zeroes every p_i (n) but the most probable tokens, by decreasing p then ascending index, whose
    /// preceding mass is below target (at least one is kept). Only candidates above a falling threshold are sorted:
    /// once their mass reaches target, every kept token is among them. Rewrites blockSums; returns the kept total.
    /// </summary>
    private static double KeepTopP(float* p, double* blockSums, int n, double target)
    {
        var keys = ArrayPool<ulong>.Shared.Rent(n); // (p descending, index ascending) sort keys of the candidates
        try
        {
            var count = 0;
            for (var shift = 1; ; shift *= 2)
            {
                // Thresholds 2^-1, 2^-2, 2^-4 … 2^-64 of the maximum p (= 1), then every positive p.
                var threshold = shift <= 64 ? MathF.Pow(2f, -shift) : float.Epsilon;
                count = 0;
                double mass = 0;
                for (var i = 0; i < n; i++)
                {
                    if (!(p[i] >= threshold)) continue;
                    keys[count++] = (ulong)(uint.MaxValue - BitConverter.SingleToUInt32Bits(p[i])) << 32 | (uint)i;
                    mass += p[i];
                }
                if (mass >= target || shift > 64) break;
            }
            Array.Sort(keys, 0, count);
            double preceding = 0;
            var last = 0;
            while (last < count && preceding < target) preceding += Unkey(keys[last++]).P;
            var (tau, tieLimit) = Unkey(keys[last - 1]);
            var total = 0.0;
            for (int b0 = 0, k = 0; b0 < n; b0 += SampleBlock, k++)
            {
                var end = Math.Min(n, b0 + SampleBlock);
                double sum = 0;
                for (var i = b0; i < end; i++)
                {
                    if (p[i] < tau || (p[i] == tau && i > tieLimit)) p[i] = 0f;
                    sum += p[i];
                }
                total += blockSums[k] = sum;
            }
            return total;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    private static (float P, int Index) Unkey(ulong key) =>
        (BitConverter.UInt32BitsToSingle(uint.MaxValue - (uint)(key >> 32)), (int)(uint)key);

    /// <summary>
    /// The first index whose cumulative p (n), in double and vocabulary order, exceeds target: blocks are skipped by
    /// their sums, then the chosen block is scanned. Where rounding leaves that scan short, the block's last kept
    /// token is taken (the whole row's, if no block was chosen).
    /// </summary>
    private static int Draw(float* p, double* blockSums, int n, double target)
    {
        double cum = 0;
        for (int b0 = 0, k = 0; b0 < n; b0 += SampleBlock, k++)
        {
            if (cum + blockSums[k] <= target)
            {
                cum += blockSums[k];
                continue;
            }
            var lastKept = -1;
            for (var i = b0; i < Math.Min(n, b0 + SampleBlock); i++)
            {
                if (p[i] == 0f) continue;
                cum += p[i];
                lastKept = i;
                if (cum > target) return i;
            }
            if (lastKept >= 0) return lastKept;
        }
        var last = n - 1;
        while (last > 0 && p[last] == 0f) last--;
        return last;
    }
}
