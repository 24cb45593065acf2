namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Runs independent GEMM tasks (disjoint tiles of C) on up to <c>threads</c> workers, each with its own
/// workspace. Which worker runs a task never changes what the task computes, so results do not depend on the
/// thread count or on scheduling.
/// </summary>
internal static class GemmWorkers
{
    public static void For(int tasks, int threads, Action<int, GemmWorkspace> task)
    {
        if (threads <= 1 || tasks <= 1)
        {
            var ws = GemmWorkspace.Rent();
            for (var t = 0; t < tasks; t++) task(t, ws);
            GemmWorkspace.Return(ws);
            return;
        }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, GemmWorkspace.Rent,
            (t, _, ws) =>
            {
                task(t, ws);
                return ws;
            },
            GemmWorkspace.Return);
    }
}
