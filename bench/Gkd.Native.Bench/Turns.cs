namespace Gkd.Native.Bench;

/// <summary>
/// The timed-run loop of the timing modes. With sync (--sync 1) it first prints READY, then waits for a line on stdin
/// before each run and stops at end of input: bench/cpu.sh alternates Gkd.Native and its PyTorch peer run by run
/// (each process loaded and warmed up once), so load on a shared machine hits both sides alike.
/// </summary>
public static class Turns
{
    public static IEnumerable<int> Of(int runs, bool sync)
    {
        if (sync) Console.WriteLine("READY");
        for (var r = 0; r < runs; r++)
        {
            if (sync && Console.In.ReadLine() is null) yield break;
            yield return r;
        }
    }
}
