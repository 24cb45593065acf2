namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Float operations a chunk should hold so that scheduling costs little beside it.</summary>
    private const long ChunkWork = 1 << 15;

    /// <summary>One chunk of a partition: its index and its items [start, end).</summary>
    private delegate void ChunkBody(int chunk, long start, long end);

    /// <summary>Items per chunk for items costing about <paramref name="workPerItem"/> float operations each.</summary>
    private static long Grain(long workPerItem) => Math.Max(1, ChunkWork / Math.Max(1, workPerItem));

    /// <summary>How many chunks <see cref="ForChunks"/> makes of <paramref name="count"/> items.</summary>
    private static int ChunkCount(long count, long grain) => checked((int)((count + grain - 1) / grain));

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) cut into the fixed chunks [c·grain, min((c+1)·grain, count)),
    /// spread over <see cref="Threads"/> workers. The partition depends only on count and grain, never on the
    /// thread count, so a reduction that writes one partial per chunk and combines the partials in chunk order
    /// gives the same bits for any <see cref="Threads"/>.
    /// </summary>
    private void ForChunks(long count, long grain, ChunkBody body)
    {
        var chunks = ChunkCount(count, grain);
        if (Threads == 1 || chunks <= 1)
        {
            for (var c = 0; c < chunks; c++) body(c, c * grain, Math.Min(count, (c + 1) * grain));
            return;
        }
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Threads },
            c => body(c, c * grain, Math.Min(count, (c + 1) * grain)));
    }

    /// <summary>A chunk of a reduction: adds items [start, end) into its own zeroed partial.</summary>
    private delegate void PartialBody(float* partial, long start, long end);

    /// <summary>
    /// dst (width) += Σ of per-chunk partials (width): each fixed chunk of [0, count) fills its own zeroed partial,
    /// then the partials are summed in chunk order and the total added to dst. Same bits for any thread count.
    /// </summary>
    private void ReduceChunks(float* dst, int width, long count, long grain, PartialBody body)
    {
        var chunks = ChunkCount(count, grain);
        if (chunks == 0) return;
        var partials = GC.AllocateArray<float>(checked(chunks * width), pinned: true); // (chunks, width)
        fixed (float* p = partials)
        {
            var pp = p;
            ForChunks(count, grain, (k, s, e) => body(pp + (long)k * width, s, e));
            for (var k = 1; k < chunks; k++)
            {
                var pk = pp + (long)k * width;
                for (var j = 0; j < width; j++) pp[j] += pk[j];
            }
            for (var j = 0; j < width; j++) dst[j] += pp[j];
        }
    }
}
