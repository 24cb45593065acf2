using Gkd.Native.Core.Random;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

public class PhiloxTests
{
    // Random123's kat_vectors for philox4x32 with 10 rounds: counter words, key words → output words.
    [TestCase(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [TestCase(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [TestCase(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint x0, uint x1, uint x2, uint x3)
    {
        Assert.That(Philox.Block(c0, c1, c2, c3, k0, k1), Is.EqualTo((x0, x1, x2, x3)));
    }

    [Test]
    public void StreamMapsElementsToBlockWordsAndTopBits()
    {
        const ulong seed = 0x0123456789abcdefUL;
        for (ulong i = 0; i < 4 * 5; i++)
        {
            var q = i / 4;
            var block = Philox.Block((uint)q, (uint)(q >> 32), 0, 0, 0x89abcdefu, 0x01234567u);
            var word = (i % 4) switch { 0 => block.X0, 1 => block.X1, 2 => block.X2, _ => block.X3 };
            Assert.That(Philox.Uniform(seed, i), Is.EqualTo((word >> 8) / 16777216.0f), $"element {i}");
        }
        Assert.That(Philox.StreamBlock(seed, 1UL << 40), Is.EqualTo(Philox.Block(0, 1 << 8, 0, 0, 0x89abcdefu, 0x01234567u)));
    }

    [Test]
    public void UniformsLieInTheHalfOpenUnitInterval()
    {
        Assert.That(Philox.ToUniform(0), Is.EqualTo(0f));
        Assert.That(Philox.ToUniform(uint.MaxValue), Is.EqualTo(1f - 1f / 16777216));
        Assert.That(Philox.ToUniform(uint.MaxValue), Is.LessThan(1f));
    }
}
