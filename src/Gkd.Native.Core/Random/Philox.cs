namespace Gkd.Native.Core.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; Random123), a
/// counter-based generator: each 128-bit counter block maps to four 32-bit words under a 64-bit key, with no
/// state, so element i of any stream can be computed on its own — on any backend, in any order.
/// <para>
/// The stream for a seed: key = (seed mod 2³², seed / 2³²); element i reads word i mod 4 of the block with counter
/// (q mod 2³², q / 2³², 0, 0) where q = i / 4; the word w becomes the uniform float (w >> 8) · 2⁻²⁴ in [0, 1),
/// exact in f32. The CUDA backend implements the same mapping.
/// </para>
/// </summary>
public static class Philox
{
    /// <summary>Round multipliers.</summary>
    public const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;

    /// <summary>Key schedule increments (the golden ratio and √3 − 1 as 32-bit fractions).</summary>
    public const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four words of counter (c0, c1, c2, c3) under key (k0, k1): ten rounds, the key bumped after each.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (var round = 0; round < 10; round++)
        {
            var p0 = (ulong)M0 * c0;
            var p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
            k0 += W0;
            k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>The block holding elements 4q … 4q+3 of the stream for <paramref name="seed"/>.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) StreamBlock(ulong seed, ulong q) =>
        Block((uint)q, (uint)(q >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));

    /// <summary>A 32-bit word as a uniform float in [0, 1): its top 24 bits times 2⁻²⁴.</summary>
    public static float ToUniform(uint word) => (word >> 8) * (1f / (1 << 24));

    /// <summary>Element <paramref name="index"/> of the stream for <paramref name="seed"/> as a uniform float in [0, 1).</summary>
    public static float Uniform(ulong seed, ulong index)
    {
        var (x0, x1, x2, x3) = StreamBlock(seed, index / 4);
        return ToUniform((index % 4) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 });
    }
}
