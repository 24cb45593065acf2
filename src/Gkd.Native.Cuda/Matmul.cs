using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>See IBackend.Matmul: tensors as 2-D views, b may be a stored weight dtype; runs on the runtime's GEMM.</summary>
    public void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, float alpha, float beta)
    {
        var (aRows, aCols) = ((int)a.Shape.Rows, a.Shape.Cols);
        var (bRows, bCols) = ((int)b.Shape.Rows, b.Shape.Cols);
        var (m, k) = transA ? (aCols, aRows) : (aRows, aCols);
        var (kb, n) = transB ? (bCols, bRows) : (bRows, bCols);
        if (k != kb || c.Shape.Rows != m || c.Shape.Cols != n)
            throw new ArgumentException($"matmul: c {c.Shape} = {(transA ? "aᵀ" : "a")} {a.Shape} · {(transB ? "bᵀ" : "b")} {b.Shape} does not fit");
        if (m == 0 || n == 0) return;
        if (a.DType != b.DType)
        {
            // cuBLAS multiplies operands of one dtype: mixed ones (an f32 LoRA matrix against bf16 activations, a bf16
            // weight against f32 activations) run in the activation dtype, the other operand converted once.
            using var a2 = As(a, ActivationDType);
            using var b2 = As(b, ActivationDType);
            Runtime.Gemm.Gemm(transA, transB, m, n, k, alpha, Ptr(a2), a2.DType, aCols, Ptr(b2), b2.DType, bCols, beta, Ptr(c), c.DType, n);
            return;
        }
        Runtime.Gemm.Gemm(transA, transB, m, n, k, alpha, Ptr(a), a.DType, aCols, Ptr(b), b.DType, bCols, beta, Ptr(c), c.DType, n);
    }

    /// <summary>t itself (a new handle) when it has the dtype, else a converted copy.</summary>
    private Tensor As(Tensor t, DType dtype)
    {
        if (t.DType == dtype) return t.Share();
        var copy = Allocate(t.Shape, dtype);
        Copy(copy, t);
        return copy;
    }
}
