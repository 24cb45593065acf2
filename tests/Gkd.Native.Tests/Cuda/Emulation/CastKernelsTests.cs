using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>kernels/cast.cu under emulation against BFloat16Bits, bit for bit.</summary>
[Category("KernelEmulation")]
public sealed class CastKernelsTests
{
    private EmulatedRuntime _runtime = null!;
    private CastKernels _cast = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _runtime = new EmulatedRuntime();
        _cast = new CastKernels(_runtime);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _cast.Dispose();
        _runtime.Dispose();
    }

    [TestCase(1)]
    [TestCase(255)]
    [TestCase(1_048_583)]
    public void F32ToBf16_RoundsToNearestEvenLikeBFloat16Bits(int n)
    {
        var input = RandomFloats(new Random(n), n);
        var source = _runtime.Upload(input);
        var output = _runtime.Zeros<ushort>(n);

        _cast.F32ToBf16(output, source, n);

        var expected = input.Select(BFloat16Bits.FromSingle).ToArray();
        Assert.That(_runtime.Download<ushort>(output, n), Is.EqualTo(expected));
    }

    [TestCase(3)]
    [TestCase(65_537)]
    public void Bf16ToF32_WidensExactly(int n)
    {
        var rng = new Random(n + 1);
        var input = Enumerable.Range(0, n).Select(i => i < 65_536 ? (ushort)i : (ushort)rng.Next(0, 65_536)).ToArray();
        var source = _runtime.Upload(input);
        var output = _runtime.Zeros<float>(n);

        _cast.Bf16ToF32(output, source, n);

        var expected = input.Select(b => BitConverter.SingleToUInt32Bits(BFloat16Bits.ToSingle(b))).ToArray();
        Assert.That(_runtime.Download<float>(output, n).Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(expected));
    }

    [Test]
    public void ZeroElements_LaunchesNothing()
    {
        var output = _runtime.Upload(new ushort[] { 7 });
        _cast.F32ToBf16(output, _runtime.Zeros<float>(1), 0);
        Assert.That(_runtime.Download<ushort>(output, 1), Is.EqualTo(new ushort[] { 7 }));
    }

    // Random bit patterns (every class: normals, denormals, ±0, ±inf, NaNs with any payload), plus the rounding
    // edges: exact halves between bf16 neighbours (ties to even both ways), just above and below, overflow to inf.
    private static float[] RandomFloats(Random rng, int n)
    {
        uint[] edges =
        [
            0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffbfffff, 0x00000001, 0x807fffff,
            0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0x7f7fffff, 0x7f7f8000, 0xff7f8000, 0x00008000, 0x00018000,
        ];
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            var bits = i < edges.Length ? edges[i] : (uint)rng.NextInt64(0, 1L << 32);
            if (i >= edges.Length && rng.Next(4) == 0) bits = (bits & 0xffff0000) | (rng.Next(2) == 0 ? 0x8000u : (uint)rng.Next(0x7ff0, 0x8010));
            values[i] = BitConverter.UInt32BitsToSingle(bits);
        }
        return values;
    }
}
