using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/elementwise.cu through the CUDA backend on the emulated runtime, against the CPU backend.</summary>
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
[Category("KernelEmulation")]
public sealed class ElementwiseKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Start() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Stop() => _pair.Dispose();

    [TestCase(DType.F32, 1)]
    [TestCase(DType.F32, 1031)]
    [TestCase(DType.BF16, 13)]
    [TestCase(DType.BF16, 1031)]
    [TestCase(DType.F16, 257)]
    [TestCase(DType.I32, 13)]
    [TestCase(DType.I32, 1031)]
    public void Fill_WritesTheCpuBackendsBits(DType dtype, int n)
    {
        using var cpu = _pair.Cpu.Allocate(new Shape(n), dtype);
        using var cuda = _pair.Cuda.Allocate(new Shape(n), dtype);
        _pair.Cpu.Fill(cpu, -1.7f);
        _pair.Cuda.Fill(cuda, -1.7f);
        Assert.That(Bytes(cuda), Is.EqualTo(Bytes(cpu)));
    }

    [TestCase(1, 1)]
    [TestCase(7, 13)]
    [TestCase(33, 257)]
    [TestCase(3, 1031)]
    [TestCase(5, 64)]
    public void Add_MatchesCpuBitForBit_AndMayAliasEitherInput(int rows, int cols)
    {
        var (a, b) = (Upload(1, rows, cols), Upload(2, rows, cols));
        using var yCpu = _pair.Cpu.Allocate(a.Cpu.Shape, DType.F32);
        using var yCuda = _pair.Cuda.Allocate(a.Cuda.Shape, activations);
        _pair.Cpu.Add(yCpu, a.Cpu, b.Cpu);
        _pair.Cuda.Add(yCuda, a.Cuda, b.Cuda);
        KernelParity.BitExact(yCuda, yCpu, "y = a + b");

        _pair.Cuda.Add(b.Cuda, a.Cuda, b.Cuda);
        KernelParity.BitExact(b.Cuda, yCpu, "b = a + b");
        _pair.Cpu.Add(a.Cpu, a.Cpu, a.Cpu);
        _pair.Cuda.Add(a.Cuda, a.Cuda, a.Cuda);
        KernelParity.BitExact(a.Cuda, a.Cpu, "a = a + a");
        KernelParity.Release(a, b);
    }

    [TestCase(1, 1, DType.F32)]
    [TestCase(7, 13, DType.F32)]
    [TestCase(33, 257, DType.BF16)]
    [TestCase(3, 1031, DType.BF16)]
    [TestCase(4, 96, DType.F32)]
    public void AxpyAndScale_MatchCpuBitForBit(int rows, int cols, DType xType)
    {
        var (y, x) = (Upload(3, rows, cols), Upload(4, rows, cols, xType));
        _pair.Cpu.Axpy(y.Cpu, x.Cpu, -0.75f);
        _pair.Cuda.Axpy(y.Cuda, x.Cuda, -0.75f);
        KernelParity.BitExact(y.Cuda, y.Cpu, $"y ({activations}) += α·x ({xType})");
        KernelParity.Adopt(y.Cpu, y.Cuda);

        _pair.Cpu.Scale(y.Cpu, 3.3f);
        _pair.Cuda.Scale(y.Cuda, 3.3f);
        KernelParity.BitExact(y.Cuda, y.Cpu, "y *= α");
        KernelParity.Release(y, x);
    }

    [TestCase(1, 1, DType.F32)]
    [TestCase(7, 13, DType.BF16)]
    [TestCase(33, 257, DType.F32)]
    [TestCase(3, 1031, DType.BF16)]
    [TestCase(6, 128, DType.BF16)]
    [TestCase(6, 128, DType.F32)]
    public void AddBias_MatchesCpuBitForBit(int rows, int cols, DType biasType)
    {
        var (y, bias) = (Upload(5, rows, cols), Upload(6, cols, biasType));
        _pair.Cpu.AddBias(y.Cpu, bias.Cpu);
        _pair.Cuda.AddBias(y.Cuda, bias.Cuda);
        KernelParity.BitExact(y.Cuda, y.Cpu, $"y ({activations}) += bias ({biasType})");
        KernelParity.Release(y, bias);
    }

    [TestCase(1, 1, DType.F32)]
    [TestCase(7, 13, null)]
    [TestCase(33, 257, null)]
    [TestCase(300, 13, DType.F32)]
    [TestCase(3, 1031, null)]
    [TestCase(1000, 40, null)]
    public void AddBiasBackward_MatchesCpu_AndRepeatsBitForBit(int rows, int cols, DType? dbiasType)
    {
        var (dbias, dy) = (Upload(7, cols, dbiasType), Upload(8, rows, cols));
        using var start = _pair.Cuda.Allocate(dbias.Cuda.Shape, dbias.Cuda.DType);
        _pair.Cuda.Copy(start, dbias.Cuda);
        _pair.Cpu.AddBiasBackward(dbias.Cpu, dy.Cpu);
        _pair.Cuda.AddBiasBackward(dbias.Cuda, dy.Cuda);
        KernelParity.Near(dbias.Cuda, dbias.Cpu, _pair.Tolerance, "dbias += Σ dy");

        _pair.Cuda.AddBiasBackward(start, dy.Cuda);
        Assert.That(KernelParity.Bits(start.ToFloatArray()), Is.EqualTo(KernelParity.Bits(dbias.Cuda.ToFloatArray())), "a second run");
        KernelParity.Release(dbias, dy);
    }

    [TestCase(1)]
    [TestCase(91)]
    [TestCase(34_023)]
    [TestCase(300_007)]
    public void SumOfSquares_MatchesCpu_WritesOrAccumulates_AndRepeatsBitForBit(int n)
    {
        var x = Upload(9, n);
        var (rCpu, rCuda) = _pair.Upload([123f], DType.F32, 1);
        _pair.Cpu.SumOfSquares(rCpu, x.Cpu, accumulate: false);
        _pair.Cuda.SumOfSquares(rCuda, x.Cuda, accumulate: false);
        Close.Assert(rCuda.ToFloatArray(), rCpu.ToFloatArray(), Close.F32, "Σ x²");
        var first = rCuda.ToFloatArray()[0];

        _pair.Cpu.SumOfSquares(rCpu, x.Cpu, accumulate: true);
        _pair.Cuda.SumOfSquares(rCuda, x.Cuda, accumulate: true);
        Close.Assert(rCuda.ToFloatArray(), rCpu.ToFloatArray(), Close.F32, "+= Σ x²");

        _pair.Cuda.SumOfSquares(rCuda, x.Cuda, accumulate: false);
        Assert.That(BitConverter.SingleToUInt32Bits(rCuda.ToFloatArray()[0]), Is.EqualTo(BitConverter.SingleToUInt32Bits(first)), "a second run");
        KernelParity.Release(x, (rCpu, rCuda));
    }

    [Test]
    public void SumOfSquares_OfNothing_IsZeroOrUnchanged()
    {
        using var x = _pair.Cuda.Allocate(new Shape(0), activations);
        using var r = _pair.Cuda.FromArray([5f], 1);
        _pair.Cuda.SumOfSquares(r, x, accumulate: true);
        Assert.That(r.ToFloatArray(), Is.EqualTo(new[] { 5f }));
        _pair.Cuda.SumOfSquares(r, x, accumulate: false);
        Assert.That(r.ToFloatArray(), Is.EqualTo(new[] { 0f }));
    }

    [Test]
    public void UnalignedViews_TakeTheElementPath_WithTheSameResults()
    {
        // Rows(1, …) of a (rows + 1, 13) tensor starts 13 elements in: no pointer is 16-byte aligned.
        const int rows = 9, cols = 13;
        var (a, b) = (Upload(10, rows + 1, cols), Upload(11, rows + 1, cols));
        var bias = Upload(12, cols + 1);
        using var aCpu = a.Cpu.Rows(1, rows);
        using var aCuda = a.Cuda.Rows(1, rows);
        using var bCpu = b.Cpu.Rows(1, rows);
        using var bCuda = b.Cuda.Rows(1, rows);
        using var biasCpu = bias.Cpu.Rows(1, cols);
        using var biasCuda = bias.Cuda.Rows(1, cols);
        _pair.Cpu.Add(aCpu, aCpu, bCpu);
        _pair.Cuda.Add(aCuda, aCuda, bCuda);
        KernelParity.BitExact(a.Cuda, a.Cpu, "add on unaligned views");
        KernelParity.Adopt(a.Cpu, a.Cuda);
        _pair.Cpu.Axpy(aCpu, bCpu, 0.5f);
        _pair.Cuda.Axpy(aCuda, bCuda, 0.5f);
        KernelParity.BitExact(a.Cuda, a.Cpu, "axpy on unaligned views");
        KernelParity.Adopt(a.Cpu, a.Cuda);
        _pair.Cpu.AddBias(aCpu, biasCpu);
        _pair.Cuda.AddBias(aCuda, biasCuda);
        KernelParity.BitExact(a.Cuda, a.Cpu, "bias on unaligned views");
        KernelParity.Release(a, b, bias);
    }

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, params int[] dims) => Upload(seed, dims, null);

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int rows, int cols, DType? dtype) => Upload(seed, [rows, cols], dtype);

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int n, DType? dtype) => Upload(seed, [n], dtype);

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int[] dims, DType? dtype) =>
        _pair.Upload(BackendPair.Random(seed, new Shape(dims).Numel), dtype, dims);

    private static byte[] Bytes(Tensor t)
    {
        var bytes = new byte[t.ByteLength];
        t.Backend.CopyToHost(bytes, t);
        return bytes;
    }
}
