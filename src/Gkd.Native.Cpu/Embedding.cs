using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>y (N, C) f32 = table[ids]: table (V, C) in any float dtype, ids (N) i32 each in [0, V).</summary>
    public void EmbeddingForward(Tensor y, Tensor ids, Tensor table)
    {
        const string op = nameof(EmbeddingForward);
        Require.F32(op, "y", y); Require.I32(op, "ids", ids); Require.Float(op, "table", table);
        var c = table.Shape.Cols;
        var vocab = table.Shape.Rows;
        Require.That(y.Shape.Cols == c && y.Shape.Rows == ids.Numel, op,
            $"y {Require.Describe(y)} must be (ids.Numel, C) for ids {Require.Describe(ids)} and table {Require.Describe(table)}");
        var pid = I32(ids); // (N)
        CheckIds(op, pid, ids.Numel, vocab);
        var py = F32(y); // (N, C)
        var pt = Ptr(table); // (V, C)
        var dtype = table.DType;
        var rowBytes = (long)c * dtype.Size();
        ForChunks(ids.Numel, Grain(c), (_, s, e) =>
        {
            for (var n = s; n < e; n++) Convert.ToF32(new Span<float>(py + n * c, c), pt + pid[n] * rowBytes, dtype);
        });
    }

    /// <summary>
    /// dtable (V, C) f32 += scatter of dy (N, C) f32 by ids (N) i32 (+=). The positions are sorted by id (stably),
    /// so each vocabulary row is updated by one worker, adding its dy rows in ascending n: the same bits as the
    /// serial loop <c>dtable[ids[n]] += dy[n]</c> for any thread count.
    /// </summary>
    public void EmbeddingBackward(Tensor dtable, Tensor dy, Tensor ids)
    {
        const string op = nameof(EmbeddingBackward);
        Require.F32(op, "dtable", dtable); Require.F32(op, "dy", dy); Require.I32(op, "ids", ids);
        var c = dtable.Shape.Cols;
        Require.That(dy.Shape.Cols == c && dy.Shape.Rows == ids.Numel, op,
            $"dy {Require.Describe(dy)} must be (ids.Numel, C) for ids {Require.Describe(ids)} and dtable {Require.Describe(dtable)}");
        var pid = I32(ids); // (N)
        var n = checked((int)ids.Numel);
        CheckIds(op, pid, n, dtable.Shape.Rows);
        var order = new long[n]; // (N) id << 32 | n, sorted: positions grouped by id, ascending n within a group
        for (var i = 0; i < n; i++) order[i] = (long)pid[i] << 32 | (uint)i;
        Array.Sort(order);
        var groups = new List<int>(); // first index in order of each distinct id
        for (var i = 0; i < n; i++)
            if (i == 0 || order[i] >> 32 != order[i - 1] >> 32) groups.Add(i);
        groups.Add(n);
        float* pdt = F32(dtable), pdy = F32(dy); // (V, C), (N, C)
        ChunkBody body = UseVector512
            ? (_, s, e) => ScatterGroups<Vec512>(pdt, pdy, order, groups, s, e, c)
            : (_, s, e) => ScatterGroups<Vec256>(pdt, pdy, order, groups, s, e, c);
        ForChunks(groups.Count - 1, Grain((long)c * Math.Max(1, n / Math.Max(1, groups.Count - 1))), body);
    }

    /// <summary>For id groups [start, end): dtable[id] += dy[n] for the group's positions in ascending n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterGroups<V>(float* dtable, float* dy, long[] order, List<int> groups, long start, long end, int c)
        where V : unmanaged, IVec<V>
    {
        for (var g = (int)start; g < end; g++)
        {
            var row = dtable + (order[groups[g]] >> 32) * c;
            for (var i = groups[g]; i < groups[g + 1]; i++) AddKernel<V>(row, row, dy + (order[i] & 0xFFFFFFFF) * c, c);
        }
    }

    private static void CheckIds(string op, int* ids, long n, long vocab)
    {
        for (long i = 0; i < n; i++)
            if ((uint)ids[i] >= vocab) throw new ArgumentException($"{op}: ids[{i}] = {ids[i]} is outside [0, {vocab})");
    }
}
