namespace Gkd.Native.Training.Data;

/// <summary>
/// Steele, Lea and Flood's SplitMix64: a tiny PRNG whose sequence is fixed by its definition (unlike System.Random's,
/// which may change between .NET versions), so shuffled orders stay reproducible.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private ulong _state = seed;

    public ulong Next() => Mix(_state += Gamma);

    /// <summary>A uniform integer in [0, n), without modulo bias (rejects the lowest 2^64 mod n draws).</summary>
    public int NextBelow(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        var bound = (ulong)n;
        var threshold = (0 - bound) % bound;
        while (true)
        {
            var r = Next();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>The SplitMix64 finaliser: a bijective 64-bit mixer.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
