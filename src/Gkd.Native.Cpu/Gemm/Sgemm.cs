using System.Runtime.Intrinsics;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Single-precision GEMM, row-major: a packed, cache-blocked FMA micro-kernel (<see cref="PackedGemm{TK}"/>), and a
/// streaming path for a few rows of C (<see cref="SmallRowsGemm"/>). Which path runs depends on the shape only.
/// </summary>
public static unsafe class Sgemm
{
    /// <summary>
    /// C (M, N; row stride ldc) = alpha · op(A) · op(B) + beta · C. A is f32, (M, K) with row stride lda, or (K, M)
    /// when transA. B is (K, N) with row stride ldb, or (N, K) when transB, stored as bType ∈ {F32, BF16, F16}.
    /// beta = 0 never reads C. Deterministic: the result does not depend on <paramref name="threads"/>.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, void* b, DType bType, int ldb, float beta, float* c, int ldc, int threads) =>
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, bType, ldb, beta, c, ldc, threads, SgemmKernel.Auto);

    /// <summary>
    /// As <see cref="Multiply(bool, bool, int, int, int, float, float*, int, void*, DType, int, float, float*, int, int)"/>,
    /// with the packed path's micro-kernel chosen by the caller (benchmarks, and tests of the kernel the machine
    /// would not pick).
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, void* b, DType bType, int ldb, float beta, float* c, int ldc, int threads, SgemmKernel kernel)
    {
        Validate(transA, transB, m, n, k, lda, bType, ldb, ldc, threads);
        if (m == 0 || n == 0) return;
        var problem = new GemmProblem
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            AAddress = (nint)a, Lda = lda, BAddress = (nint)b, Ldb = ldb, CAddress = (nint)c, Ldc = ldc,
        };
        if (k == 0 || alpha == 0f)
        {
            ScaleC(problem);
            return;
        }
        switch (bType)
        {
            case DType.F32: Dispatch<F32Reader>(problem, threads, kernel); break;
            case DType.BF16: Dispatch<Bf16Reader>(problem, threads, kernel); break;
            default: Dispatch<F16Reader>(problem, threads, kernel); break;
        }
    }

    /// <summary>
    /// The same product over spans (no unsafe code needed by the caller): b holds B's raw bytes in bType. Each span
    /// must cover its matrix: (rows − 1) · ld + cols elements.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<byte> b, DType bType, int ldb, float beta, Span<float> c, int ldc,
        int threads, SgemmKernel kernel = SgemmKernel.Auto)
    {
        Validate(transA, transB, m, n, k, lda, bType, ldb, ldc, threads);
        Require("A", a.Length, transA ? k : m, transA ? m : k, lda);
        Require("B", b.Length / bType.Size(), transB ? n : k, transB ? k : n, ldb);
        Require("C", c.Length, m, n, ldc);
        fixed (float* pa = a, pc = c)
        fixed (byte* pb = b)
            Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, bType, ldb, beta, pc, ldc, threads, kernel);
    }

    private static void Require(string name, long length, int rows, int cols, int ld)
    {
        var needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (length < needed)
            throw new ArgumentException($"sgemm {name} ({rows}, {cols}) with row stride {ld} needs {needed} elements, the span has {length}");
    }

    private static void Dispatch<TB>(in GemmProblem problem, int threads, SgemmKernel kernel) where TB : struct, IBReader
    {
        // Tiny products are not worth waking workers for (the result is the same either way).
        if ((long)problem.M * problem.N * problem.K < 1 << 16) threads = 1;
        if (problem.M <= SmallRowsGemm.MaxRows)
            SmallRowsGemm.Run<TB>(problem, threads);
        else if (kernel == SgemmKernel.Vector512 || (kernel == SgemmKernel.Auto && Vector512.IsHardwareAccelerated))
            PackedGemm<MicroKernel512>.Run<TB>(problem, threads);
        else
            PackedGemm<MicroKernel256>.Run<TB>(problem, threads);
    }

    /// <summary>C = β·C with no product (K = 0 or α = 0, as in BLAS): β = 0 writes zeros without reading C.</summary>
    private static void ScaleC(in GemmProblem g)
    {
        for (var i = 0; i < g.M; i++)
        {
            var row = new Span<float>(g.C + (i * g.Ldc), g.N);
            if (g.Beta == 0f) row.Clear();
            else
                for (var j = 0; j < row.Length; j++) row[j] *= g.Beta;
        }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, DType bType, int ldb, int ldc, int threads)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"sgemm sizes M={m} N={n} K={k} must be ≥ 0");
        if (lda < Math.Max(1, transA ? m : k))
            throw new ArgumentOutOfRangeException(nameof(lda), $"sgemm lda={lda} is less than the {(transA ? "M" : "K")} columns of A{(transA ? "ᵀ" : "")} (M={m}, K={k})");
        if (ldb < Math.Max(1, transB ? k : n))
            throw new ArgumentOutOfRangeException(nameof(ldb), $"sgemm ldb={ldb} is less than the {(transB ? "K" : "N")} columns of B{(transB ? "ᵀ" : "")} (K={k}, N={n})");
        if (ldc < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(ldc), $"sgemm ldc={ldc} is less than N={n}");
        if (bType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"sgemm B must be f32, bf16 or f16, not {bType}", nameof(bType));
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"sgemm threads={threads} must be ≥ 1");
    }
}
