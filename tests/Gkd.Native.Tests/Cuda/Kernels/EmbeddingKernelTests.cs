using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>
/// kernels/embedding.cu through the CUDA backend on the emulated runtime: the gather and the scatter-add both match
/// the CPU backend bit for bit (the scatter adds each row's dy rows in ascending position, as the CPU does).
/// </summary>
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
[Category("KernelEmulation")]
public sealed class EmbeddingKernelTests(DType activations)
{
    private const int Vocab = 37;

    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Start() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Stop() => _pair.Dispose();

    [TestCase(1, 1, DType.F32)]
    [TestCase(7, 13, DType.BF16)]
    [TestCase(33, 257, DType.F32)]
    [TestCase(3, 1031, DType.BF16)]
    [TestCase(9, 64, DType.BF16)]
    [TestCase(9, 64, DType.F32)]
    public void Forward_GathersTheCpuBackendsRows(int n, int cols, DType tableType)
    {
        var table = _pair.Upload(BackendPair.Random(1, Vocab * cols), tableType, Vocab, cols);
        var ids = _pair.Upload(Ids(n, 2), n);
        using var yCpu = _pair.Cpu.Allocate(new Shape(n, cols), DType.F32);
        using var yCuda = _pair.Cuda.Allocate(new Shape(n, cols), activations);
        _pair.Cpu.EmbeddingForward(yCpu, ids.Cpu, table.Cpu);
        _pair.Cuda.EmbeddingForward(yCuda, ids.Cuda, table.Cuda);
        KernelParity.BitExact(yCuda, yCpu, $"y ({activations}) = table ({tableType})[ids]");
        KernelParity.Release(table, ids);
    }

    [TestCase(1, 1, null)]
    [TestCase(7, 13, DType.F32)]
    [TestCase(33, 257, null)]
    [TestCase(3, 1031, DType.F32)]
    [TestCase(300, 13, null)]
    [TestCase(40, 64, null)]
    [TestCase(20, 2056, DType.F32)]
    [TestCase(20, 2051, null)]
    public void Backward_ScatterAddsLikeTheCpuBackend_BitForBit(int n, int cols, DType? dtableType)
    {
        var dtable = _pair.Upload(BackendPair.Random(3, Vocab * cols), dtableType, Vocab, cols);
        var dy = _pair.Upload(BackendPair.Random(4, n * cols), null, n, cols);
        var ids = _pair.Upload(Ids(n, 5), n);
        using var start = _pair.Cuda.Allocate(dtable.Cuda.Shape, dtable.Cuda.DType);
        _pair.Cuda.Copy(start, dtable.Cuda);
        _pair.Cpu.EmbeddingBackward(dtable.Cpu, dy.Cpu, ids.Cpu);
        _pair.Cuda.EmbeddingBackward(dtable.Cuda, dy.Cuda, ids.Cuda);
        KernelParity.BitExact(dtable.Cuda, dtable.Cpu, $"dtable ({dtable.Cuda.DType}) += scatter of dy ({activations})");

        _pair.Cuda.EmbeddingBackward(start, dy.Cuda, ids.Cuda);
        Assert.That(KernelParity.Bits(start.ToFloatArray()), Is.EqualTo(KernelParity.Bits(dtable.Cuda.ToFloatArray())), "a second run");
        KernelParity.Release(dtable, dy, ids);
    }

    [Test]
    public void Backward_OfDistinctRows_IsARowScatter()
    {
        // The fused distillation head's use: gather completion rows, scatter their gradients back.
        const int n = 11, cols = 24, rows = 50;
        var target = _pair.Upload(new float[rows * cols], null, rows, cols);
        var dy = _pair.Upload(BackendPair.Random(6, n * cols), null, n, cols);
        var ids = _pair.Upload(Enumerable.Range(0, n).Select(i => 49 - 4 * i).ToArray(), n);
        _pair.Cpu.EmbeddingBackward(target.Cpu, dy.Cpu, ids.Cpu);
        _pair.Cuda.EmbeddingBackward(target.Cuda, dy.Cuda, ids.Cuda);
        KernelParity.BitExact(target.Cuda, target.Cpu, "row scatter");
        KernelParity.Release(target, dy, ids);
    }

    [TestCase(-1)]
    [TestCase(Vocab)]
    public void OutOfRangeIds_FailTheKernelsAssertion(int bad)
    {
        const int n = 5, cols = 8;
        using var table = _pair.Cuda.Zeros(new Shape(Vocab, cols), activations);
        using var y = _pair.Cuda.Allocate(new Shape(n, cols), activations);
        using var ids = _pair.Cuda.FromArray([0, 1, bad, 3, 4], n);
        Assert.That(() => _pair.Cuda.EmbeddingForward(y, ids, table),
            Throws.TypeOf<KernelLaunchException>().With.Message.Contains("GKD_ASSERT"));
        Assert.That(() => _pair.Cuda.EmbeddingBackward(table, y, ids),
            Throws.TypeOf<KernelLaunchException>().With.Message.Contains("GKD_ASSERT"));
    }

    [Test]
    public void UnalignedViews_TakeTheElementPath()
    {
        // C = 16 would move packs of 8 columns, but both tensors start one element into their storage.
        const int n = 6, cols = 16;
        var table = _pair.Upload(BackendPair.Random(7, Vocab * cols + 1), null, Vocab * cols + 1);
        var dy = _pair.Upload(BackendPair.Random(8, n * cols + 1), null, n * cols + 1);
        var ids = _pair.Upload(Ids(n, 9), n);
        using var tableCpu = Shifted(table.Cpu, Vocab, cols);
        using var tableCuda = Shifted(table.Cuda, Vocab, cols);
        using var dyCpu = Shifted(dy.Cpu, n, cols);
        using var dyCuda = Shifted(dy.Cuda, n, cols);
        _pair.Cpu.EmbeddingBackward(tableCpu, dyCpu, ids.Cpu);
        _pair.Cuda.EmbeddingBackward(tableCuda, dyCuda, ids.Cuda);
        KernelParity.BitExact(table.Cuda, table.Cpu, "scatter into an unaligned view");
        using var yCpu = _pair.Cpu.Allocate(new Shape(n, cols), DType.F32);
        using var yCuda = _pair.Cuda.Allocate(new Shape(n, cols), activations);
        _pair.Cpu.EmbeddingForward(yCpu, ids.Cpu, tableCpu);
        _pair.Cuda.EmbeddingForward(yCuda, ids.Cuda, tableCuda);
        KernelParity.BitExact(yCuda, yCpu, "gather from an unaligned view");
        KernelParity.Release(table, dy, ids);
    }

    /// <summary>(rows, cols) over elements 1 … rows·cols of a flat tensor: one element past an aligned start.</summary>
    private static Tensor Shifted(Tensor flat, int rows, int cols)
    {
        using var tail = flat.Rows(1, rows * cols);
        return tail.View(rows, cols);
    }

    /// <summary>n ids in [0, Vocab) with plenty of repeats.</summary>
    private static int[] Ids(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(Vocab)).ToArray();
    }
}
