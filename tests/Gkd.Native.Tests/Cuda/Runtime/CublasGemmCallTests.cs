using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Runtime;

/// <summary>
/// The row-major → column-major mapping of <see cref="CublasGemm"/>, checked by running the mapped call through a
/// column-major GEMM written here exactly as cuBLAS defines it, against a row-major GEMM computed directly.
/// </summary>
public class CublasGemmCallTests
{
    private static readonly DevicePtr APtr = new(0x1000), BPtr = new(0x2000), CPtr = new(0x3000);

    /// <summary>cuBLAS's C = alpha·op(A)·op(B) + beta·C on column-major host arrays addressed by pointer.</summary>
    private static void ColumnMajorGemm(CublasGemmCall call, float alpha, float beta, Dictionary<ulong, float[]> memory)
    {
        var a = memory[call.A.Address];
        var b = memory[call.B.Address];
        var c = memory[call.C.Address];
        for (var j = 0; j < call.N; j++)
            for (var i = 0; i < call.M; i++)
            {
                var sum = 0f;
                for (var p = 0; p < call.K; p++)
                {
                    var av = call.TransA == CublasOperation.N ? a[i + p * call.Lda] : a[p + i * call.Lda];
                    var bv = call.TransB == CublasOperation.N ? b[p + j * call.Ldb] : b[j + p * call.Ldb];
                    sum += av * bv;
                }
                c[i + j * call.Ldc] = alpha * sum + beta * c[i + j * call.Ldc];
            }
    }

    private static float[] Random(Random rng, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)Math.Round(rng.NextDouble() * 4 - 2, 2)).ToArray();

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void Row_major_products_map_onto_the_column_major_call(bool transA, bool transB)
    {
        const int m = 3, n = 5, k = 4;
        const float alpha = 1.5f, beta = -0.5f;
        var rng = new Random(20260417 + (transA ? 2 : 0) + (transB ? 1 : 0));
        // Stored shapes: a (M, K) or (K, M), b (K, N) or (N, K), c (M, N); each row padded by 2 to catch ld mix-ups.
        var (aRows, aCols) = transA ? (k, m) : (m, k);
        var (bRows, bCols) = transB ? (n, k) : (k, n);
        int lda = aCols + 2, ldb = bCols + 2, ldc = n + 2;
        var a = Random(rng, aRows * lda);
        var b = Random(rng, bRows * ldb);
        var c = Random(rng, m * ldc);

        var expected = (float[])c.Clone();
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = alpha * sum + beta * c[i * ldc + j];
            }

        var call = CublasGemmCall.FromRowMajor(transA, transB, m, n, k, APtr, DType.F32, lda, BPtr, DType.F32, ldb, CPtr, DType.F32, ldc);
        var memory = new Dictionary<ulong, float[]> { [APtr.Address] = a, [BPtr.Address] = b, [CPtr.Address] = c };
        ColumnMajorGemm(call, alpha, beta, memory);

        Assert.Multiple(() =>
        {
            Assert.That(call.A, Is.EqualTo(BPtr), "cuBLAS's first operand is our b");
            Assert.That(call.B, Is.EqualTo(APtr), "and its second our a");
            Assert.That((call.M, call.N, call.K), Is.EqualTo((n, m, k)));
            Assert.That((call.TransA, call.TransB), Is.EqualTo((transB ? CublasOperation.T : CublasOperation.N, transA ? CublasOperation.T : CublasOperation.N)));
            Assert.That((call.Lda, call.Ldb, call.Ldc), Is.EqualTo((ldb, lda, ldc)));
            Assert.That(c, Is.EqualTo(expected).Within(1e-4f), "padding included: nothing outside c's rows is touched");
        });
    }

    [Test]
    public void Types_map_to_cuda_data_types_with_operands_swapped()
    {
        var call = CublasGemmCall.FromRowMajor(false, true, 2, 3, 4, APtr, DType.BF16, 4, BPtr, DType.BF16, 4, CPtr, DType.F32, 3);
        Assert.That((call.AType, call.BType, call.CType), Is.EqualTo((CudaDataType.R16BF, CudaDataType.R16BF, CudaDataType.R32F)));
        Assert.That(CublasGemmCall.DataType(DType.F16), Is.EqualTo(CudaDataType.R16F));
        Assert.Throws<ArgumentException>(() => CublasGemmCall.DataType(DType.I32));
    }

    [Test]
    public void Unsupported_type_mixes_and_short_leading_dimensions_are_rejected_before_cublas()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => CublasGemmCall.FromRowMajor(false, false, 2, 3, 4, APtr, DType.BF16, 4, BPtr, DType.F32, 3, CPtr, DType.F32, 3),
                Throws.ArgumentException.With.Message.Contains("a BF16, b F32"));
            Assert.That(() => CublasGemmCall.FromRowMajor(false, false, 2, 3, 4, APtr, DType.F32, 4, BPtr, DType.F32, 3, CPtr, DType.BF16, 3),
                Throws.ArgumentException);
            Assert.That(() => CublasGemmCall.FromRowMajor(false, false, 2, 3, 4, APtr, DType.F32, 3, BPtr, DType.F32, 3, CPtr, DType.F32, 3),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("lda"), "a (2, 4) needs lda ≥ 4");
            Assert.That(() => CublasGemmCall.FromRowMajor(true, false, 2, 3, 4, APtr, DType.F32, 2, BPtr, DType.F32, 3, CPtr, DType.F32, 3),
                Throws.Nothing, "aᵀ stored (4, 2) needs lda ≥ 2");
            Assert.That(() => CublasGemmCall.FromRowMajor(false, true, 2, 3, 4, APtr, DType.F32, 4, BPtr, DType.F32, 3, CPtr, DType.F32, 3),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("ldb"), "bᵀ stored (3, 4) needs ldb ≥ 4");
            Assert.That(() => CublasGemmCall.FromRowMajor(false, false, 2, 3, 4, APtr, DType.F32, 4, BPtr, DType.F32, 3, CPtr, DType.F32, 2),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("ldc"));
            Assert.That(() => CublasGemmCall.FromRowMajor(false, false, -1, 3, 4, APtr, DType.F32, 4, BPtr, DType.F32, 3, CPtr, DType.F32, 3),
                Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void The_workspace_follows_cublas_advice()
    {
        Assert.That(CublasGemm.WorkspaceBytes(90), Is.EqualTo(32L << 20));
        Assert.That(CublasGemm.WorkspaceBytes(100), Is.EqualTo(32L << 20));
        Assert.That(CublasGemm.WorkspaceBytes(89), Is.EqualTo(4L << 20));
    }
}
