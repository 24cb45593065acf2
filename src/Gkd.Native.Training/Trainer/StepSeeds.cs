using Gkd.Native.Core.Random;

namespace Gkd.Native.Training.Trainer;

/// <summary>
/// Every random choice of a run is a counter-based draw keyed by (seed, purpose, optimizer step, micro-batch), so
/// the seed and the step count are the whole generator state: resuming at step N replays exactly what a straight
/// run would have drawn.
/// </summary>
public static class StepSeeds
{
    private enum Purpose : ulong
    {
        Coin = 1,
        Dropout = 2,
        Generation = 3,
        Completions = 4,
    }

    /// <summary>Whether micro-batch g of step k is on-policy (probability lmbda).</summary>
    public static bool OnPolicy(ulong seed, int step, int microBatch, int accumulation, double lmbda) =>
        Philox.Uniform(Key(seed, Purpose.Coin), (ulong)step * (ulong)accumulation + (ulong)microBatch) < lmbda;

    public static ulong Dropout(ulong seed, int step, int microBatch) => Key(seed, Purpose.Dropout, step, microBatch);

    public static ulong Generation(ulong seed, int step, int model) => Key(seed, Purpose.Generation, step, model);

    public static ulong Completions(ulong seed, int step) => Key(seed, Purpose.Completions, step);

    private static ulong Key(ulong seed, Purpose purpose, long a = 0, long b = 0)
    {
        var z = seed;
        foreach (var v in new[] { (ulong)purpose, (ulong)a, (ulong)b })
        {
            z += 0x9E3779B97F4A7C15UL + v;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return z;
    }
}
