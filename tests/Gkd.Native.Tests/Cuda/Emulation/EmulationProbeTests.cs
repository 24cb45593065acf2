using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>The CUDA execution model under emulation, through the probe kernels of emulation_probe.cu.</summary>
[Category("KernelEmulation")]
public sealed class EmulationProbeTests
{
    private EmulatedRuntime _runtime = null!;
    private IKernelModule _probe = null!;

    [OneTimeSetUp]
    public void LoadProbe()
    {
        _runtime = new EmulatedRuntime();
        _probe = _runtime.LoadModule(ProbeKernels.Source);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _probe.Dispose();
        _runtime.Dispose();
    }

    [TestCase(7u, 1024u)]
    [TestCase(9u, 100u)]
    [TestCase(13u, 33u)]
    public void Barrier_OrdersEveryWriteBeforeTheNeighbourReads(uint blocks, uint threads)
    {
        const int rounds = 3;
        var output = _runtime.Zeros<int>(blocks * threads);
        var args = new KernelArgs();
        args.Add(output).Add(rounds);
        Launch("probe_barrier_neighbour", new Dim3(blocks), new Dim3(threads), 0, ref args);

        var actual = _runtime.Download<int>(output, (int)(blocks * threads));
        for (var b = 0; b < blocks; b++)
            for (var t = 0; t < threads; t++)
            {
                var expected = 0;
                for (var r = 0; r < rounds; r++) expected += (int)((t + 1) % threads) * (r + 1) + b;
                Assert.That(actual[b * threads + t], Is.EqualTo(expected), $"block {b}, thread {t}");
            }
    }

    [Test]
    public void SharedMemoryTreeReduction_SumsEachBlock()
    {
        const int blocks = 37, threads = 256;
        var input = IntegerValued(new Random(11), blocks * threads);
        var output = _runtime.Zeros<float>(blocks);
        var args = new KernelArgs();
        args.Add(output).Add(_runtime.Upload(input));
        Launch("probe_tree_reduce", new Dim3(blocks), new Dim3(threads), 0, ref args);

        var expected = Enumerable.Range(0, blocks).Select(b => input.AsSpan(b * threads, threads).ToArray().Sum()).ToArray();
        Assert.That(_runtime.Download<float>(output, blocks), Is.EqualTo(expected));
    }

    [Test]
    public void WarpShuffles_XorButterflyAndDownReductions()
    {
        const int blocks = 9, threads = 128;
        var input = IntegerValued(new Random(12), blocks * threads);
        var xorOut = _runtime.Zeros<float>(blocks * threads);
        var downOut = _runtime.Zeros<float>(blocks * threads / 32);
        var args = new KernelArgs();
        args.Add(xorOut).Add(downOut).Add(_runtime.Upload(input));
        Launch("probe_warp_reduce", new Dim3(blocks), new Dim3(threads), 0, ref args);

        var warpSums = Enumerable.Range(0, blocks * threads / 32).Select(w => input.AsSpan(w * 32, 32).ToArray().Sum()).ToArray();
        Assert.That(_runtime.Download<float>(downOut, warpSums.Length), Is.EqualTo(warpSums));
        Assert.That(_runtime.Download<float>(xorOut, blocks * threads), Is.EqualTo(Enumerable.Range(0, blocks * threads).Select(i => warpSums[i / 32])));
    }

    [TestCase(100u, 1u, 1u)]
    [TestCase(5u, 4u, 3u)]
    [TestCase(1024u, 1u, 1u)]
    [TestCase(33u, 1u, 1u)]
    [TestCase(1u, 1u, 1u)]
    public void BlockReduce_SumsAndMaxesWithPartialWarps(uint x, uint y, uint z)
    {
        const int blocks = 5;
        var threads = (int)(x * y * z);
        var input = IntegerValued(new Random(13), blocks * threads);
        var sums = _runtime.Zeros<float>(2 * blocks);
        var maxes = _runtime.Zeros<float>(blocks);
        var disagreements = _runtime.Zeros<int>(1);
        var args = new KernelArgs();
        args.Add(sums).Add(maxes).Add(disagreements).Add(_runtime.Upload(input));
        Launch("probe_block_reduce", new Dim3(blocks), new Dim3(x, y, z), 0, ref args);

        var blockValues = Enumerable.Range(0, blocks).Select(b => input.AsSpan(b * threads, threads).ToArray()).ToArray();
        Assert.That(_runtime.Download<float>(sums, 2 * blocks),
            Is.EqualTo(blockValues.SelectMany(v => new[] { v.Sum(), 2 * v.Sum() })));
        Assert.That(_runtime.Download<float>(maxes, blocks), Is.EqualTo(blockValues.Select(v => v.Max())));
        Assert.That(_runtime.Download<int>(disagreements, 1)[0], Is.Zero, "threads that saw another result");
    }

    [Test]
    public void Shuffles_FollowCudaLaneRulesInAPartialWarp()
    {
        const int threads = 70;
        var input = Enumerable.Range(0, threads).Select(i => 1000 + i * 17).ToArray();
        var output = _runtime.Zeros<int>(4 * threads);
        var args = new KernelArgs();
        args.Add(output).Add(_runtime.Upload(input));
        Launch("probe_shuffles", new Dim3(1), new Dim3(threads), 0, ref args);

        var actual = _runtime.Download<int>(output, 4 * threads);
        for (var t = 0; t < threads; t++)
        {
            int lane = t % 32, warpBase = t - lane, lanes = Math.Min(32, threads - warpBase);
            // A source lane outside the warp (CUDA: undefined) reads the caller's own value under emulation.
            int From(int src) => src >= 0 && src < lanes ? input[warpBase + src] : input[t];
            Assert.That(actual.AsSpan(4 * t, 4).ToArray(),
                Is.EqualTo(new[] { From(lane - 3), From(lane + 5), From(lane * 7 & 31), From(lane ^ 9) }), $"thread {t}");
        }
    }

    [TestCase(70)]
    [TestCase(50)]
    [TestCase(1)]
    public void Votes_CountOnlyLiveLanes(int live)
    {
        const int threads = 70;
        var output = _runtime.Zeros<uint>(5 * threads);
        var args = new KernelArgs();
        args.Add(output).Add(live);
        Launch("probe_votes", new Dim3(1), new Dim3(threads), 0, ref args);

        var actual = _runtime.Download<uint>(output, 5 * threads);
        for (var t = 0; t < threads; t++)
        {
            var row = actual.AsSpan(5 * t, 5).ToArray();
            if (t >= live)
            {
                Assert.That(row, Is.All.Zero, $"exited thread {t}");
                continue;
            }
            var warpBase = t - t % 32;
            var participants = Enumerable.Range(warpBase, Math.Min(32, live - warpBase)).ToArray();
            uint Ballot(Func<int, bool> pred) => participants.Where(pred).Aggregate(0u, (m, r) => m | 1u << (r - warpBase));
            Assert.That(row, Is.EqualTo(new[]
            {
                Ballot(r => r % 3 == 0),
                participants.Any(r => r % 37 == 0) ? 1u : 0u,
                participants.All(r => r % 2 == 0) ? 1u : 0u,
                1u,
                Ballot(r => r % 4 == 1),
            }), $"thread {t}");
        }
    }

    [Test]
    public void Atomics_AcrossManyBlocks_GiveExactTotals()
    {
        const int blocks = 1000, threads = 128, total = blocks * threads;
        var ints = _runtime.Upload(new[] { 0, 0, int.MinValue, int.MaxValue });
        var floats = _runtime.Zeros<float>(1);
        var u64 = _runtime.Zeros<ulong>(1);
        var cas = _runtime.Zeros<uint>(1);
        var exch = _runtime.Zeros<float>(1);
        var args = new KernelArgs();
        args.Add(ints).Add(floats).Add(u64).Add(cas).Add(exch);
        Launch("probe_atomics", new Dim3(blocks), new Dim3(threads), 0, ref args);

        Assert.That(_runtime.Download<int>(ints, 4), Is.EqualTo(new[]
        {
            total,
            blocks * (threads * (threads - 1) / 2),
            (int)Enumerable.Range(0, total).Max(g => (long)g * 7919 % 10007),
            (int)Enumerable.Range(0, total).Min(g => (long)g * 13 % 10009) + 5,
        }));
        Assert.That(_runtime.Download<float>(floats, 1)[0], Is.EqualTo((float)total));
        Assert.That(_runtime.Download<ulong>(u64, 1)[0], Is.EqualTo((ulong)total * (total - 1) / 2));
        Assert.That(_runtime.Download<uint>(cas, 1)[0], Is.EqualTo((uint)total));
        Assert.That(_runtime.Download<float>(exch, 1)[0], Is.EqualTo(42f));
    }

    [TestCase(1000)]
    [TestCase(25000)]
    public void DynamicSharedMemory_HasTheLaunchsSize(int n)
    {
        const int blocks = 3;
        var output = _runtime.Zeros<int>(blocks * n);
        var firstAsFloat = _runtime.Zeros<float>(blocks);
        var args = new KernelArgs();
        args.Add(output).Add(firstAsFloat).Add(n);
        Launch("probe_dynamic_shared", new Dim3(blocks), new Dim3(128), n * 4, ref args);

        var actual = _runtime.Download<int>(output, blocks * n);
        for (var b = 0; b < blocks; b++)
            for (var i = 0; i < n; i++)
                Assert.That(actual[b * n + i], Is.EqualTo((n - 1 - i) * 3 + b), $"block {b}, element {i}");
        Assert.That(_runtime.Download<float>(firstAsFloat, blocks).Select(BitConverter.SingleToInt32Bits), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [TestCase(3u, 2u, 5u, 7u, 3u, 2u)]
    [TestCase(5u, 3u, 1u, 33u, 1u, 1u)]
    [TestCase(1u, 1u, 7u, 1u, 1u, 64u)]
    [TestCase(2u, 3u, 1u, 13u, 5u, 1u)]
    public void GridsAndBlocks_OfOddShapes_IndexEveryThreadOnce(uint gx, uint gy, uint gz, uint bx, uint by, uint bz)
    {
        var grid = new Dim3(gx, gy, gz);
        var block = new Dim3(bx, by, bz);
        var count = (int)(grid.Count * block.Count);
        var output = _runtime.Zeros<uint>(8L * count);
        var args = new KernelArgs();
        args.Add(output);
        Launch("probe_shapes", grid, block, 0, ref args);

        var actual = _runtime.Download<uint>(output, 8 * count);
        var expected = new uint[8 * count];
        for (uint z = 0; z < gz; z++)
            for (uint y = 0; y < gy; y++)
                for (uint x = 0; x < gx; x++)
                    for (uint tz = 0; tz < bz; tz++)
                        for (uint ty = 0; ty < by; ty++)
                            for (uint tx = 0; tx < bx; tx++)
                            {
                                var gid = (x + gx * (y + gy * z)) * (uint)block.Count + tx + bx * (ty + by * tz);
                                new[] { tx, ty, tz, x, y, z, bx * 1000000 + by * 1000 + bz, gx * 1000000 + gy * 1000 + gz }
                                    .CopyTo(expected, 8 * gid);
                            }
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void GridStrideLoop_CoversAnOddLength()
    {
        const int n = 100_003;
        var input = Enumerable.Range(0, n).Select(i => (float)(i % 1013) - 500f).ToArray();
        var output = _runtime.Zeros<float>(n);
        var args = new KernelArgs();
        args.Add(output).Add(_runtime.Upload(input)).Add((long)n);
        Launch("probe_grid_stride", new Dim3(7), new Dim3(96), 0, ref args);

        Assert.That(_runtime.Download<float>(output, n), Is.EqualTo(input.Select(v => 2f * v + 1f)));
    }

    [Test]
    public void FailedAssert_ThrowsNamingKernelConditionAndThread_ThenTheRuntimeGoesOn()
    {
        const int blocks = 3, threads = 64;
        var output = _runtime.Zeros<int>(blocks * threads);
        var e = Assert.Throws<KernelLaunchException>(() =>
        {
            var failing = new KernelArgs();
            failing.Add(output).Add(5);
            Launch("probe_assert", new Dim3(blocks), new Dim3(threads), 0, ref failing);
        });
        Assert.That(e!.Message, Does.Contain("probe_assert").And.Contain("GKD_ASSERT(t != bad) failed at emulation_probe.cu:")
            .And.Contain("block (1, 0, 0), thread (5, 0, 0)"));

        var passing = new KernelArgs();
        passing.Add(output).Add(-1);
        Launch("probe_assert", new Dim3(blocks), new Dim3(threads), 0, ref passing);
        Assert.That(_runtime.Download<int>(output, blocks * threads), Is.All.EqualTo(1));
    }

    [Test]
    public void Trap_Throws()
    {
        var e = Assert.Throws<KernelLaunchException>(() => LaunchOnBuffer("probe_trap", new Dim3(2), new Dim3(32)));
        Assert.That(e!.Message, Does.Contain("__trap() at emulation_probe.cu:").And.Contain("thread (3, 0, 0)"));
    }

    [Test]
    public void Deadlock_ThrowsInsteadOfHanging()
    {
        var e = Assert.Throws<KernelLaunchException>(() => LaunchOnBuffer("probe_deadlock", new Dim3(1), new Dim3(64)));
        Assert.That(e!.Message, Does.Contain("deadlock in block (0, 0, 0)"));
    }

    [Test]
    public void WarpOperationWithAPartialMask_IsRefused()
    {
        var e = Assert.Throws<KernelLaunchException>(() => LaunchOnBuffer("probe_partial_mask", new Dim3(1), new Dim3(64)));
        Assert.That(e!.Message, Does.Contain("__syncwarp with mask 0x0000000f").And.Contain("full-mask"));
    }

    [Test]
    public void Philox_MatchesRandom123AndTheCpuStream()
    {
        var rng = new Random(14);
        var inputs = new List<uint>
        {
            0, 0, 0, 0, 0, 0,
            0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
            0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
        };
        for (var i = 0; i < 6 * 61; i++) inputs.Add((uint)rng.NextInt64(0, 1L << 32));
        var count = inputs.Count / 6;
        const int n = 1001;
        const ulong seed = 0x0123456789ABCDEF;
        var words = _runtime.Zeros<uint>(4 * count);
        var uniforms = _runtime.Zeros<float>(n);
        var args = new KernelArgs();
        args.Add(words).Add(uniforms).Add(_runtime.Upload(inputs.ToArray())).Add(count).Add(seed).Add((long)n);
        Launch("probe_philox", new Dim3(3), new Dim3(64), 0, ref args);

        var actual = _runtime.Download<uint>(words, 4 * count);
        Assert.That(actual.Take(12), Is.EqualTo(new[]
        {
            0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u,
            0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu,
            0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u,
        }));
        for (var i = 0; i < count; i++)
        {
            var (x0, x1, x2, x3) = Philox.Block(inputs[6 * i], inputs[6 * i + 1], inputs[6 * i + 2], inputs[6 * i + 3], inputs[6 * i + 4], inputs[6 * i + 5]);
            Assert.That(actual.AsSpan(4 * i, 4).ToArray(), Is.EqualTo(new[] { x0, x1, x2, x3 }), $"block {i}");
        }
        Assert.That(_runtime.Download<float>(uniforms, n), Is.EqualTo(Enumerable.Range(0, n).Select(i => Philox.Uniform(seed, (ulong)i))));
    }

    [Test]
    public void MathFunctions_MatchTheCpu()
    {
        var rng = new Random(15);
        var specials = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -1e-40f, 1e-38f, -3.5f, 2.5f };
        var input = specials.Concat(Enumerable.Range(0, 991).Select(_ => (float)(rng.NextDouble() * 16 - 8))).ToArray();
        var n = input.Length;
        var output = _runtime.Zeros<float>(17 * n);
        var bits = _runtime.Zeros<uint>(4 * n);
        var args = new KernelArgs();
        args.Add(output).Add(bits).Add(_runtime.Upload(input)).Add(n);
        Launch("probe_math", new Dim3((uint)(n + 127) / 128), new Dim3(128), 0, ref args);

        var actual = _runtime.Download<float>(output, 17 * n);
        var actualBits = _runtime.Download<uint>(bits, 4 * n);
        Func<double, double>[] functions =
        [
            Math.Exp, x => Math.Pow(2, x), x => Math.Log(A(x)), x => Math.Log2(A(x)), x => Math.Sqrt(A(x)),
            x => 1 / Math.Sqrt(A(x)), Math.Tanh, Erf, Math.Sin, Math.Cos, x => Math.Pow(A(x), 1.75),
            x => x * 1.5 + 0.25, Math.Floor, x => Math.Max(x, 0.25), x => Math.Min(x, 0.25),
        ];
        for (var i = 0; i < n; i++)
        {
            var x = input[i];
            if (float.IsFinite(x))
                for (var f = 0; f < functions.Length; f++)
                {
                    var expected = functions[f](x);
                    Assert.That(actual[f * n + i], Is.EqualTo(expected).Within(2e-6 * Math.Max(Math.Abs(expected), 1e-30)).Or.EqualTo((float)expected),
                        $"function {f} at {x:R}");
                }
            Assert.That(actual[15 * n + i], Is.EqualTo((float)Math.Abs(i - 7)));
            Assert.That(BitConverter.SingleToUInt32Bits(actual[16 * n + i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(x + 1f)));
            var expectedBits = new[]
            {
                BitConverter.SingleToUInt32Bits(x), float.IsNaN(x) ? 1u : 0u, float.IsInfinity(x) ? 1u : 0u,
                BFloat16Bits.FromSingle(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(x))),
            };
            Assert.That(actualBits.AsSpan(4 * i, 4).ToArray(), Is.EqualTo(expectedBits), $"bits of {x:R}");
        }
    }

    // The kernel's argument |x| + 0.125 is rounded to f32 before the function sees it.
    private static double A(double x) => MathF.Abs((float)x) + 0.125f;

    // erf to double precision (Abramowitz & Stegun 7.1.26 is too coarse for a float reference): its Taylor series
    // for |x| < 3, else 1 − erfc by a continued fraction.
    private static double Erf(double x)
    {
        var a = Math.Abs(x);
        double r;
        if (a < 3)
        {
            double term = a, sum = a;
            for (var k = 1; k < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); k++)
            {
                term *= -a * a / k;
                sum += term / (2 * k + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            var fraction = 0.0;
            for (var k = 60; k >= 1; k--) fraction = k / 2.0 / (a + fraction);
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + fraction);
        }
        return x < 0 ? -r : r;
    }

    private static float[] IntegerValued(Random rng, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)rng.Next(-100, 101)).ToArray();

    private void LaunchOnBuffer(string kernel, Dim3 grid, Dim3 block)
    {
        var args = new KernelArgs();
        args.Add(_runtime.Zeros<int>((long)(grid.Count * block.Count)));
        Launch(kernel, grid, block, 0, ref args);
    }

    private void Launch(string kernel, Dim3 grid, Dim3 block, int sharedBytes, ref KernelArgs args) =>
        args.Launch(_runtime, _probe.Function(kernel), grid, block, sharedBytes);
}
