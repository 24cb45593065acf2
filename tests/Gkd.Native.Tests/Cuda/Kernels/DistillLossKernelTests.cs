using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>
/// kernels/distill_loss.cu under emulation, through the CUDA backend, against the CPU backend's DistillLoss on the
/// same (for bf16: the same rounded) logits: loss and gradient for every β regime, odd vocabularies (partial 16-byte
/// vectors at both ends of rows), the full Qwen2 vocabulary, in-place gradients, rows that are not co-aligned.
/// </summary>
[Category("KernelEmulation")]
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
public sealed class DistillLossKernelTests(DType activations)
{
    private const float GradScale = 0.37f;

    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Create() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Dispose() => _pair.Dispose();

    private static IEnumerable<TestCaseData> Shapes()
    {
        (int Rows, int V)[] shapes = [(1, 37), (3, 1000), (7, 4099), (1, 151936)];
        foreach (var (rows, v) in shapes)
            foreach (var beta in new[] { 0f, 0.1f, 0.5f, 0.9f, 1f })
                yield return new TestCaseData(rows, v, beta);
    }

    [TestCaseSource(nameof(Shapes))]
    public void LossAndGradient_MatchCpu(int rows, int v, float beta)
    {
        using var x = Upload(rows, v, seed: rows * 31 + v + (int)(beta * 10));
        var (loss, grad) = Run(x.CudaS, x.CudaT, beta, inPlace: false);
        var (expectedLoss, expectedGrad) = Cpu(x.CpuS, x.CpuT, beta);
        Close.Assert(loss, expectedLoss, _pair.Tolerance, "loss");
        AssertGradient(grad, expectedGrad, x.CpuS, x.CpuT);
    }

    [TestCase(0f)]
    [TestCase(0.5f)]
    [TestCase(1f)]
    public void InPlaceGradient_EqualsTheSeparateOneBitForBit(float beta)
    {
        const int rows = 3, v = 1000;
        using var x = Upload(rows, v, seed: 5);
        var (loss, grad) = Run(x.CudaS, x.CudaT, beta, inPlace: false);
        var (lossInPlace, gradInPlace) = Run(x.CudaS, x.CudaT, beta, inPlace: true);
        Assert.That(lossInPlace, Is.EqualTo(loss), "loss");
        Assert.That(gradInPlace, Is.EqualTo(grad), "dStudent written over the student logits");
    }

    [TestCase(0f)]
    [TestCase(0.5f)]
    [TestCase(1f)]
    public void LossWithoutGradient_MatchesCpu(float beta)
    {
        const int rows = 7, v = 4099;
        using var x = Upload(rows, v, seed: 17);
        using var loss = _pair.Cuda.Allocate(new Shape(rows), DType.F32);
        using var expected = _pair.Cpu.Allocate(new Shape(rows), DType.F32);
        _pair.Cuda.DistillLoss(loss, null, x.CudaS, x.CudaT, beta, GradScale);
        _pair.Cpu.DistillLoss(expected, null, x.CpuS, x.CpuT, beta, GradScale);
        Close.Assert(loss.ToFloatArray(), expected.ToFloatArray(), _pair.Tolerance, "loss");
    }

    [TestCase(0f)]
    [TestCase(0.5f)]
    [TestCase(1f)]
    public void RowsAtDifferentAlignments_MatchCpu(float beta)
    {
        // The student's rows start one row later in their allocation than the teacher's: with V·size not a multiple of
        // 16 bytes the two rows sit at different offsets from a 16-byte boundary, so the kernel reads element by element.
        const int rows = 3, v = 1001;
        using var x = Upload(rows + 1, v, seed: 23);
        using var cpuS = x.CpuS.Rows(1, rows);
        using var cudaS = x.CudaS.Rows(1, rows);
        using var cpuT = x.CpuT.Rows(0, rows);
        using var cudaT = x.CudaT.Rows(0, rows);
        var (loss, grad) = Run(cudaS, cudaT, beta, inPlace: false);
        var (expectedLoss, expectedGrad) = Cpu(cpuS, cpuT, beta);
        Close.Assert(loss, expectedLoss, _pair.Tolerance, "loss");
        AssertGradient(grad, expectedGrad, cpuS, cpuT);
    }

    [TestCase(0f)]
    [TestCase(1f)]
    public void CheckValue_IsPoint8Ln9(float beta)
    {
        // Student probabilities [0.1, 0.9], teacher [0.9, 0.1], as logits ln p: both KLs are 0.8 · ln 9.
        using var x = new Inputs(_pair, [MathF.Log(0.1f), MathF.Log(0.9f)], [MathF.Log(0.9f), MathF.Log(0.1f)], 1, 2);
        var (loss, _) = Run(x.CudaS, x.CudaT, beta, inPlace: false);
        // bf16 logits: ln 0.1 and ln 0.9 rounded to 8 significant bits.
        Assert.That(loss[0], Is.EqualTo(1.7577796619).Within(activations == DType.BF16 ? 2e-2 : 1e-6));
    }

    [Test]
    public void TwoRuns_AreBitIdentical()
    {
        const int rows = 7, v = 4099;
        using var x = Upload(rows, v, seed: 29);
        var first = Run(x.CudaS, x.CudaT, 0.5f, inPlace: false);
        var second = Run(x.CudaS, x.CudaT, 0.5f, inPlace: false);
        Assert.That(second.Loss, Is.EqualTo(first.Loss));
        Assert.That(second.Grad, Is.EqualTo(first.Grad));
    }

    [Test]
    public void MismatchedDTypes_AreRejected()
    {
        using var student = _pair.Cuda.Allocate(new Shape(2, 5), DType.F32);
        using var teacher = _pair.Cuda.Allocate(new Shape(2, 5), DType.BF16);
        using var loss = _pair.Cuda.Allocate(new Shape(2), DType.F32);
        Assert.That(() => _pair.Cuda.DistillLoss(loss, null, student, teacher, 0.5f, 1f),
            Throws.ArgumentException.With.Message.Contains("teacherLogits"));
    }

    /// <summary>
    /// dStudent against the CPU's: within the pair's tolerance of max|expected| — or, where an element is the near-
    /// cancelling difference of terms of size gradScale·(p_s + p_t) (a confident token, whose gradient is tiny beside its
    /// probability), within that tolerance of those terms, since both backends compute them in f32.
    /// </summary>
    private void AssertGradient(float[] actual, float[] expected, Tensor student, Tensor teacher)
    {
        var v = student.Shape.Cols;
        double[] ps = Probabilities(student.ToFloatArray(), v), pt = Probabilities(teacher.ToFloatArray(), v);
        var scale = expected.Max(e => Math.Abs((double)e));
        double Tolerance(int i) => _pair.Tolerance * (scale + GradScale * (ps[i] + pt[i]));
        double Ratio(int i) => Math.Abs((double)actual[i] - expected[i]) / Tolerance(i);
        var worst = Enumerable.Range(0, expected.Length).MaxBy(i => double.IsNaN(Ratio(i)) ? double.PositiveInfinity : Ratio(i));
        Assert.That(actual[worst], Is.EqualTo(expected[worst]).Within(Tolerance(worst)),
            $"dStudent[{worst}] (row {worst / v}), the worst element: p_s {ps[worst]:E3}, p_t {pt[worst]:E3}, " +
            $"max|expected| {scale:E3}");
    }

    /// <summary>The softmax of each row of v logits, in double.</summary>
    private static double[] Probabilities(float[] logits, int v)
    {
        var p = new double[logits.Length];
        for (var r = 0; r < logits.Length / v; r++)
        {
            var row = logits.AsSpan(r * v, v);
            double max = row.ToArray().Max(), sum = 0;
            for (var i = 0; i < v; i++) sum += p[r * v + i] = Math.Exp(row[i] - max);
            for (var i = 0; i < v; i++) p[r * v + i] /= sum;
        }
        return p;
    }

    /// <summary>
    /// Student and teacher logits (rows, v) on both backends: uniform in ±4 with a few confident tokens, as real
    /// logits have.
    /// </summary>
    private Inputs Upload(int rows, int v, int seed)
    {
        // One stream for both: System.Random's streams for neighbouring seeds are correlated.
        var both = BackendPair.Random(seed, 2L * rows * v, 4f);
        float[] student = both[..(rows * v)], teacher = both[(rows * v)..];
        var rng = new Random(seed);
        for (var i = 0; i < rows * 3; i++)
        {
            student[rng.Next(student.Length)] += 8f;
            teacher[rng.Next(teacher.Length)] += 8f;
        }
        return new Inputs(_pair, student, teacher, rows, v);
    }

    /// <summary>The same student and teacher logits on the CPU (f32) and on CUDA (the activation dtype).</summary>
    private sealed class Inputs : IDisposable
    {
        public Inputs(BackendPair pair, float[] student, float[] teacher, int rows, int v)
        {
            (CpuS, CudaS) = pair.Upload(student, null, rows, v);
            (CpuT, CudaT) = pair.Upload(teacher, null, rows, v);
        }

        public Tensor CpuS { get; }
        public Tensor CudaS { get; }
        public Tensor CpuT { get; }
        public Tensor CudaT { get; }

        public void Dispose()
        {
            foreach (var t in new[] { CpuS, CudaS, CpuT, CudaT }) t.Dispose();
        }
    }

    /// <summary>
    /// The CUDA op on a fresh copy of the student logits (so in place consumes only the copy); (loss, dStudent) as f32.
    /// </summary>
    private (float[] Loss, float[] Grad) Run(Tensor student, Tensor teacher, float beta, bool inPlace)
    {
        var cuda = _pair.Cuda;
        using var logits = cuda.Allocate(student.Shape, student.DType);
        cuda.Copy(logits, student);
        using var loss = cuda.Allocate(new Shape((int)student.Shape.Rows), DType.F32);
        using var grad = inPlace ? logits.Share() : cuda.Allocate(student.Shape, student.DType);
        cuda.DistillLoss(loss, grad, logits, teacher, beta, GradScale);
        return (loss.ToFloatArray(), grad.ToFloatArray());
    }

    private (float[] Loss, float[] Grad) Cpu(Tensor student, Tensor teacher, float beta)
    {
        var cpu = _pair.Cpu;
        using var loss = cpu.Allocate(new Shape((int)student.Shape.Rows), DType.F32);
        using var grad = cpu.Allocate(student.Shape, DType.F32);
        cpu.DistillLoss(loss, grad, student, teacher, beta, GradScale);
        return (loss.ToFloatArray(), grad.ToFloatArray());
    }
}
