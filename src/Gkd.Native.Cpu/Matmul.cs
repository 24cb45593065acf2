using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu.Gemm;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// c (M, N) = alpha · op(a) · op(b) + beta · c, every tensor read as its 2-D (Rows, Cols) view: a (M, K), or
    /// (K, M) when transA; b (K, N), or (N, K) when transB. a and c are f32; b is f32, bf16 or f16 (a stored
    /// weight). beta = 0 writes (=) without reading c, beta = 1 accumulates (+=). Linear layer: y = x · Wᵀ is
    /// (transB); its backward dX = dY · W and dW (+)= dYᵀ · X (transA).
    /// </summary>
    public void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, float alpha, float beta)
    {
        var (aRows, aCols) = Matrix(a, "a");
        var (bRows, bCols) = Matrix(b, "b");
        var (cRows, cCols) = Matrix(c, "c");
        var (m, k) = transA ? (aCols, aRows) : (aRows, aCols);
        var (kb, n) = transB ? (bCols, bRows) : (bRows, bCols);
        if (kb != k || cRows != m || cCols != n)
            throw new ArgumentException(
                $"matmul shapes do not agree: c {c.Shape} = a {a.Shape}{(transA ? "ᵀ" : "")} · b {b.Shape}{(transB ? "ᵀ" : "")} " +
                $"needs op(a) (M, K) = ({m}, {k}), op(b) (K, N) = ({kb}, {n}) with equal K and c (M, N) = ({m}, {n}) as 2-D views");
        if (a.DType != DType.F32 || c.DType != DType.F32)
            throw new ArgumentException($"matmul needs f32 a and c on the CPU, got a {a.DType} {a.Shape} and c {c.DType} {c.Shape}");
        if (b.DType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"matmul b {b.Shape} must be f32, bf16 or f16, not {b.DType}");
        if (Overlaps(c, a) || Overlaps(c, b))
            throw new ArgumentException($"matmul output c {c.Shape} overlaps its input {(Overlaps(c, a) ? $"a {a.Shape}" : $"b {b.Shape}")}");

        Sgemm.Multiply(transA, transB, m, n, k, alpha, F32(a), Math.Max(1, aCols), Ptr(b), b.DType, Math.Max(1, bCols),
            beta, F32(c), Math.Max(1, cCols), Threads);
    }

    private static (int Rows, int Cols) Matrix(Tensor t, string name) =>
        t.Shape.Rows <= int.MaxValue
            ? ((int)t.Shape.Rows, t.Shape.Cols)
            : throw new ArgumentException($"matmul {name} {t.Shape} has more than {int.MaxValue} rows");

    private static bool Overlaps(Tensor x, Tensor y) =>
        ReferenceEquals(x.Storage, y.Storage) && x.ByteLength > 0 && y.ByteLength > 0 &&
        x.ByteOffset < y.ByteOffset + y.ByteLength && y.ByteOffset < x.ByteOffset + x.ByteLength;
}
