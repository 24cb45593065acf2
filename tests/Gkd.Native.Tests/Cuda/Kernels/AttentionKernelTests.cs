using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>
/// kernels/attention.cu on the emulated runtime, f32 and bf16 activations: forward and backward against the CPU
/// backend, the cache write against its layout, and the decode step against the CPU forward's last row.
/// </summary>
[Category("KernelEmulation")]
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
public sealed class AttentionKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Create() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Dispose() => _pair.Dispose();

    /// <summary>(B, T, NH, NKV, HS, start): groups of 1, 2 and 4, odd head sizes, rows padded all but one.</summary>
    private static IEnumerable<TestCaseData> Shapes() =>
    [
        new TestCaseData(1, 1, 1, 1, 8, new[] { 0 }),
        new TestCaseData(2, 7, 2, 1, 24, new[] { 0, 6 }),
        new TestCaseData(3, 33, 4, 2, 64, new[] { 0, 5, 32 }),
        new TestCaseData(1, 70, 4, 1, 8, new[] { 3 }),
        new TestCaseData(2, 70, 2, 2, 24, new[] { 69, 0 }),
        new TestCaseData(1, 9, 1, 1, 13, new[] { 2 }),
        new TestCaseData(1, 5, 2, 1, 128, new[] { 1 }),
        new TestCaseData(2, 3, 2, 2, 256, new[] { 0, 2 }),
    ];

    [TestCaseSource(nameof(Shapes))]
    public void Forward_MatchesCpu(int b, int t, int nh, int nkv, int hs, int[] start)
    {
        using var run = new Run(_pair, b, t, nh, nkv, hs, start, seed: b * 100 + t);
        run.Forward();

        Close.Assert(run.Lse.Cuda.ToFloatArray(), run.Lse.Cpu.ToFloatArray(), Close.F32, "lse");
        Close.Assert(run.O.Cuda.ToFloatArray(), run.O.Cpu.ToFloatArray(), _pair.Tolerance, "o");
    }

    [TestCaseSource(nameof(Shapes))]
    public void Backward_MatchesCpu(int b, int t, int nh, int nkv, int hs, int[] start)
    {
        using var run = new Run(_pair, b, t, nh, nkv, hs, start, seed: b * 100 + t + 7);
        run.Forward();
        run.Backward();

        Close.Assert(run.Dq.Cuda.ToFloatArray(), run.Dq.Cpu.ToFloatArray(), _pair.Tolerance, "dq");
        Close.Assert(run.Dk.Cuda.ToFloatArray(), run.Dk.Cpu.ToFloatArray(), _pair.Tolerance, "dk");
        Close.Assert(run.Dv.Cuda.ToFloatArray(), run.Dv.Cpu.ToFloatArray(), _pair.Tolerance, "dv");
    }

    [Test]
    public void ForwardAndBackward_AreDeterministic()
    {
        using var first = new Run(_pair, 2, 70, 4, 2, 24, [0, 9], seed: 5);
        using var second = new Run(_pair, 2, 70, 4, 2, 24, [0, 9], seed: 5);
        first.Forward();
        first.Backward();
        second.Forward();
        second.Backward();

        Assert.That(Bits(second.O.Cuda), Is.EqualTo(Bits(first.O.Cuda)), "o");
        Assert.That(Bits(second.Lse.Cuda), Is.EqualTo(Bits(first.Lse.Cuda)), "lse");
        Assert.That(Bits(second.Dq.Cuda), Is.EqualTo(Bits(first.Dq.Cuda)), "dq");
        Assert.That(Bits(second.Dk.Cuda), Is.EqualTo(Bits(first.Dk.Cuda)), "dk");
        Assert.That(Bits(second.Dv.Cuda), Is.EqualTo(Bits(first.Dv.Cuda)), "dv");
    }

    [Test]
    public void Forward_StartOutsideTheRowFailsTheLaunch()
    {
        using var run = new Run(_pair, 1, 4, 1, 1, 8, [5], seed: 1);
        Assert.That(() => _pair.Cuda.AttentionForward(run.O.Cuda, run.Lse.Cuda, run.Q.Cuda, run.K.Cuda, run.V.Cuda, run.Start.Cuda, 8),
            Throws.InstanceOf<KernelLaunchException>().With.Message.Contains("GKD_ASSERT"));
    }

    [Test]
    public void KvCacheWrite_FillsTheSlotsAndNothingElse()
    {
        const int b = 2, t = 3, nkv = 2, hs = 5, tMax = 7, pos = 4;
        var cacheValues = BackendPair.Random(1, b * nkv * tMax * hs);
        var kValues = BackendPair.Random(2, b * t * nkv * hs);
        var vValues = BackendPair.Random(3, b * t * nkv * hs);
        var (_, kCache) = _pair.Upload(cacheValues, null, b, nkv, tMax, hs);
        var (_, vCache) = _pair.Upload(cacheValues, null, b, nkv, tMax, hs);
        var (_, k) = _pair.Upload(kValues, null, b * t, nkv * hs);
        var (_, v) = _pair.Upload(vValues, null, b * t, nkv * hs);
        var before = kCache.ToFloatArray();
        var kRounded = k.ToFloatArray();
        var vRounded = v.ToFloatArray();

        _pair.Cuda.KvCacheWrite(kCache, vCache, k, v, pos);

        var (expectedK, expectedV) = (before.ToArray(), before.ToArray());
        for (var bi = 0; bi < b; bi++)
            for (var ti = 0; ti < t; ti++)
                for (var g = 0; g < nkv; g++)
                    for (var c = 0; c < hs; c++)
                    {
                        int slot = ((bi * nkv + g) * tMax + pos + ti) * hs + c, src = ((bi * t + ti) * nkv + g) * hs + c;
                        expectedK[slot] = kRounded[src];
                        expectedV[slot] = vRounded[src];
                    }
        Assert.That(kCache.ToFloatArray(), Is.EqualTo(expectedK), "kCache");
        Assert.That(vCache.ToFloatArray(), Is.EqualTo(expectedV), "vCache");
    }

    /// <summary>(B, T, NH, NKV, HS, start): several key splits of 128, a split wholly before start, head chunks of 8.</summary>
    private static IEnumerable<TestCaseData> DecodeShapes() =>
    [
        new TestCaseData(1, 1, 1, 1, 8, new[] { 0 }),
        new TestCaseData(2, 7, 2, 1, 24, new[] { 0, 6 }),
        new TestCaseData(3, 33, 4, 2, 64, new[] { 0, 5, 32 }),
        new TestCaseData(1, 300, 4, 1, 8, new[] { 17 }),
        new TestCaseData(1, 140, 2, 2, 13, new[] { 130 }),
        new TestCaseData(2, 20, 10, 1, 8, new[] { 19, 0 }),
        new TestCaseData(1, 6, 2, 1, 128, new[] { 2 }),
    ];

    [TestCaseSource(nameof(DecodeShapes))]
    public void Decode_MatchesTheForwardsLastRow(int b, int t, int nh, int nkv, int hs, int[] start)
    {
        const int spare = 3;
        using var run = new Run(_pair, b, t, nh, nkv, hs, start, seed: b * 10 + t + hs);
        run.Forward();
        using var kCache = _pair.Cuda.Allocate(new Shape(b, nkv, t + spare, hs), activations);
        using var vCache = _pair.Cuda.Allocate(new Shape(b, nkv, t + spare, hs), activations);
        // The prompt's first T − 1 tokens in one write, then the decoded token's own slot.
        if (t > 1) WriteCache(kCache, vCache, run, b, 0, t - 1, nkv * hs);
        WriteCache(kCache, vCache, run, b, t - 1, 1, nkv * hs);
        var (_, q) = _pair.Upload(LastRows(run.QValues, b, t, nh * hs), null, b, nh * hs);
        using var o = _pair.Cuda.Allocate(new Shape(b, nh * hs), activations);

        _pair.Cuda.AttentionDecode(o, q, kCache, vCache, run.Start.Cuda, t, hs);

        var expected = LastRows(run.O.Cpu.ToFloatArray(), b, t, nh * hs);
        Close.Assert(o.ToFloatArray(), expected, _pair.Tolerance, "o");
        q.Dispose();
    }

    [Test]
    public void Decode_IsDeterministic()
    {
        const int b = 2, t = 300, nh = 4, nkv = 2, hs = 24;
        using var run = new Run(_pair, b, t, nh, nkv, hs, [0, 40], seed: 3);
        using var kCache = _pair.Cuda.Allocate(new Shape(b, nkv, t, hs), activations);
        using var vCache = _pair.Cuda.Allocate(new Shape(b, nkv, t, hs), activations);
        WriteCache(kCache, vCache, run, b, 0, t, nkv * hs);
        var (_, q) = _pair.Upload(LastRows(run.QValues, b, t, nh * hs), null, b, nh * hs);
        using var first = _pair.Cuda.Allocate(new Shape(b, nh * hs), activations);
        using var second = _pair.Cuda.Allocate(new Shape(b, nh * hs), activations);

        _pair.Cuda.AttentionDecode(first, q, kCache, vCache, run.Start.Cuda, t, hs);
        _pair.Cuda.AttentionDecode(second, q, kCache, vCache, run.Start.Cuda, t, hs);

        Assert.That(Bits(second), Is.EqualTo(Bits(first)));
        q.Dispose();
    }

    /// <summary>Slots [from, from + count) of the caches = times [from, from + count) of the run's k and v.</summary>
    private void WriteCache(Tensor kCache, Tensor vCache, Run run, int b, int from, int count, int width)
    {
        var k = new float[b * count * width];
        var v = new float[b * count * width];
        for (var bi = 0; bi < b; bi++)
        {
            Array.Copy(run.KValues, (bi * run.T + from) * width, k, bi * count * width, count * width);
            Array.Copy(run.VValues, (bi * run.T + from) * width, v, bi * count * width, count * width);
        }
        var (_, kg) = _pair.Upload(k, null, b * count, width);
        var (_, vg) = _pair.Upload(v, null, b * count, width);
        _pair.Cuda.KvCacheWrite(kCache, vCache, kg, vg, from);
        kg.Dispose();
        vg.Dispose();
    }

    /// <summary>Row T − 1 of each batch row of a (B·T, width) array: (B, width).</summary>
    private static float[] LastRows(float[] values, int b, int t, int width)
    {
        var rows = new float[b * width];
        for (var bi = 0; bi < b; bi++) Array.Copy(values, (bi * t + t - 1) * width, rows, bi * width, width);
        return rows;
    }

    private static uint[] Bits(Tensor t) => t.ToFloatArray().Select(BitConverter.SingleToUInt32Bits).ToArray();

    /// <summary>
    /// One attention problem on both backends, as the tape lays it out: q, o, dout, dq (B·T, NH·HS), k, v, dk, dv
    /// (B·T, NKV·HS), lse (B, NH, T), start (B). Gradients start from random values (the backward accumulates).
    /// </summary>
    private sealed class Run : IDisposable
    {
        private readonly BackendPair _pair;
        private readonly int _hs;

        public Run(BackendPair pair, int b, int t, int nh, int nkv, int hs, int[] start, int seed)
        {
            _pair = pair;
            _hs = hs;
            T = t;
            int rows = b * t, qWidth = nh * hs, kWidth = nkv * hs;
            QValues = Rounded(BackendPair.Random(seed, rows * qWidth, 1.5f));
            KValues = Rounded(BackendPair.Random(seed + 1, rows * kWidth, 1.5f));
            VValues = Rounded(BackendPair.Random(seed + 2, rows * kWidth));
            Q = pair.Upload(QValues, null, rows, qWidth);
            K = pair.Upload(KValues, null, rows, kWidth);
            V = pair.Upload(VValues, null, rows, kWidth);
            Start = pair.Upload(start, b);
            O = (pair.Cpu.Allocate(new Shape(rows, qWidth), DType.F32), pair.Cuda.Allocate(new Shape(rows, qWidth), pair.Cuda.ActivationDType));
            Lse = (pair.Cpu.Allocate(new Shape(b, nh, t), DType.F32), pair.Cuda.Allocate(new Shape(b, nh, t), DType.F32));
            Dout = pair.Upload(BackendPair.Random(seed + 3, rows * qWidth), null, rows, qWidth);
            Dq = pair.Upload(BackendPair.Random(seed + 4, rows * qWidth), null, rows, qWidth);
            Dk = pair.Upload(BackendPair.Random(seed + 5, rows * kWidth), null, rows, kWidth);
            Dv = pair.Upload(BackendPair.Random(seed + 6, rows * kWidth), null, rows, kWidth);
        }

        public int T { get; }
        public float[] QValues { get; }
        public float[] KValues { get; }
        public float[] VValues { get; }
        public (Tensor Cpu, Tensor Cuda) Q { get; }
        public (Tensor Cpu, Tensor Cuda) K { get; }
        public (Tensor Cpu, Tensor Cuda) V { get; }
        public (Tensor Cpu, Tensor Cuda) Start { get; }
        public (Tensor Cpu, Tensor Cuda) O { get; }
        public (Tensor Cpu, Tensor Cuda) Lse { get; }
        public (Tensor Cpu, Tensor Cuda) Dout { get; }
        public (Tensor Cpu, Tensor Cuda) Dq { get; }
        public (Tensor Cpu, Tensor Cuda) Dk { get; }
        public (Tensor Cpu, Tensor Cuda) Dv { get; }

        public void Forward()
        {
            _pair.Cpu.AttentionForward(O.Cpu, Lse.Cpu, Q.Cpu, K.Cpu, V.Cpu, Start.Cpu, _hs);
            _pair.Cuda.AttentionForward(O.Cuda, Lse.Cuda, Q.Cuda, K.Cuda, V.Cuda, Start.Cuda, _hs);
        }

        public void Backward()
        {
            _pair.Cpu.AttentionBackward(Dq.Cpu, Dk.Cpu, Dv.Cpu, Dout.Cpu, Q.Cpu, K.Cpu, V.Cpu, O.Cpu, Lse.Cpu, Start.Cpu, _hs);
            _pair.Cuda.AttentionBackward(Dq.Cuda, Dk.Cuda, Dv.Cuda, Dout.Cuda, Q.Cuda, K.Cuda, V.Cuda, O.Cuda, Lse.Cuda, Start.Cuda, _hs);
        }

        public void Dispose()
        {
            foreach (var (cpu, cuda) in (ReadOnlySpan<(Tensor, Tensor)>)[Q, K, V, Start, O, Lse, Dout, Dq, Dk, Dv])
            {
                cpu.Dispose();
                cuda.Dispose();
            }
        }

        /// <summary>The values as the CUDA side stores them (bf16-rounded when the activations are bf16).</summary>
        private float[] Rounded(float[] values) => _pair.Cuda.ActivationDType == DType.BF16
            ? values.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))).ToArray()
            : values;
    }
}
