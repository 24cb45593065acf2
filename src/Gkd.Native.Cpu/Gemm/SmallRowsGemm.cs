using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Few rows of C (decode steps, M ≤ <see cref="MaxRows"/>): packing B would cost more than the multiply, so B is
/// streamed once in its stored layout and dtype. transB (B is (N, K), the linear-layer weight): dot products along
/// K, 4 rows of A × 2 rows of B at a time. Otherwise (B is (K, N)): 6 rows of A × 16 columns of B in registers,
/// one FMA chain per element over all of K, walked in blocks of K so B streams row by row. Tasks are column ranges of C; each element is computed the same way
/// whichever task holds it, so results do not depend on the thread count.
/// </summary>
internal static unsafe class SmallRowsGemm
{
    public const int MaxRows = 16;

    /// <summary>Columns per task at least: fewer would not cover the cost of handing out a task.</summary>
    private const int MinTaskCols = 64;

    /// <summary>Rows of B (K, N) per block on the row path.</summary>
    private const int RowBlockDepth = 256;

    public static void Run<TB>(in GemmProblem problem, int threads) where TB : struct, IBReader
    {
        var g = problem;
        var tasks = Math.Max(1, Math.Min(threads <= 1 ? 1 : 4 * threads, g.N / MinTaskCols));
        var step = (g.N + tasks - 1) / tasks;
        step = (step + 15) / 16 * 16;
        tasks = (g.N + step - 1) / step;
        GemmWorkers.For(tasks, threads, (t, ws) =>
        {
            var j0 = t * step;
            var j1 = Math.Min(g.N, j0 + step);
            if (g.TransB) DotColumns<TB>(g, ws, j0, j1);
            else RowColumns<TB>(g, ws, j0, j1);
        });
    }

    /// <summary>C[:, j0..j1) for B (N, K): c[i, j] = α · (op(A) row i · B row j) ∘ C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotColumns<TB>(in GemmProblem g, GemmWorkspace ws, int j0, int j1) where TB : struct, IBReader
    {
        // The dot products want op(A) rows contiguous along K: copy Aᵀ's columns when transA.
        var a = g.A;
        var lda = g.Lda;
        if (g.TransA)
        {
            a = ws.A((long)g.M * g.K);
            lda = g.K;
            for (var p = 0; p < g.K; p++)
                for (var i = 0; i < g.M; i++)
                    a[((nint)i * g.K) + p] = g.A[(p * g.Lda) + i];
        }
        var dots = stackalloc float[8];
        var mode = g.FirstMode;
        for (var j = j0; j < j1; j += 2)
        {
            var b0 = g.B;
            var o0 = j * g.Ldb;
            var o1 = Math.Min(j + 1, j1 - 1) * g.Ldb;
            for (var i = 0; i < g.M; i += 4)
            {
                // Rows past M repeat row i; their results are dropped.
                var rows = Math.Min(4, g.M - i);
                var a0 = a + (i * lda);
                Dot4x2<TB>(g.K, a0, rows > 1 ? a0 + lda : a0, rows > 2 ? a0 + (2 * lda) : a0, rows > 3 ? a0 + (3 * lda) : a0,
                    b0, o0, o1, dots);
                for (var r = 0; r < rows; r++)
                    for (var q = 0; q < Math.Min(2, j1 - j); q++)
                        TileStore.Store(g.C + ((i + r) * g.Ldc) + j + q, g.Alpha * dots[(r * 2) + q], g.Beta, mode);
            }
        }
    }

    /// <summary>dots[r·2 + q] = Σ_p a_r[p] · b[o_q + p]: 8 vector accumulators, lanes summed pairwise at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x2<TB>(int k, float* a0, float* a1, float* a2, float* a3, void* b, nint o0, nint o1, float* dots)
        where TB : struct, IBReader
    {
        Vector256<float> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector256<float> s20 = default, s21 = default, s30 = default, s31 = default;
        var p = 0;
        for (; p + 8 <= k; p += 8)
        {
            var x0 = TB.Read8(b, o0 + p);
            var x1 = TB.Read8(b, o1 + p);
            var y = Vector256.Load(a0 + p);
            s00 = Vector256.FusedMultiplyAdd(y, x0, s00);
            s01 = Vector256.FusedMultiplyAdd(y, x1, s01);
            y = Vector256.Load(a1 + p);
            s10 = Vector256.FusedMultiplyAdd(y, x0, s10);
            s11 = Vector256.FusedMultiplyAdd(y, x1, s11);
            y = Vector256.Load(a2 + p);
            s20 = Vector256.FusedMultiplyAdd(y, x0, s20);
            s21 = Vector256.FusedMultiplyAdd(y, x1, s21);
            y = Vector256.Load(a3 + p);
            s30 = Vector256.FusedMultiplyAdd(y, x0, s30);
            s31 = Vector256.FusedMultiplyAdd(y, x1, s31);
        }
        dots[0] = Vector256.Sum(s00);
        dots[1] = Vector256.Sum(s01);
        dots[2] = Vector256.Sum(s10);
        dots[3] = Vector256.Sum(s11);
        dots[4] = Vector256.Sum(s20);
        dots[5] = Vector256.Sum(s21);
        dots[6] = Vector256.Sum(s30);
        dots[7] = Vector256.Sum(s31);
        for (; p < k; p++)
        {
            var x0 = TB.Read(b, o0 + p);
            var x1 = TB.Read(b, o1 + p);
            dots[0] = MathF.FusedMultiplyAdd(a0[p], x0, dots[0]);
            dots[1] = MathF.FusedMultiplyAdd(a0[p], x1, dots[1]);
            dots[2] = MathF.FusedMultiplyAdd(a1[p], x0, dots[2]);
            dots[3] = MathF.FusedMultiplyAdd(a1[p], x1, dots[3]);
            dots[4] = MathF.FusedMultiplyAdd(a2[p], x0, dots[4]);
            dots[5] = MathF.FusedMultiplyAdd(a2[p], x1, dots[5]);
            dots[6] = MathF.FusedMultiplyAdd(a3[p], x0, dots[6]);
            dots[7] = MathF.FusedMultiplyAdd(a3[p], x1, dots[7]);
        }
    }

    /// <summary>
    /// C[:, j0..j1) for B (K, N), K in blocks of <see cref="RowBlockDepth"/> so each block of B (≤ 256 rows of the
    /// task's columns) is read contiguously and stays in L2 while all row groups use it. The partial sums wait in
    /// acc (M, j1 − j0) as exact f32, so each element is still one FMA chain over all of K.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowColumns<TB>(in GemmProblem g, GemmWorkspace ws, int j0, int j1) where TB : struct, IBReader
    {
        // op(A)[i, p] = a[i·si + p·sp].
        var si = g.TransA ? 1 : g.Lda;
        var sp = g.TransA ? g.Lda : 1;
        var w = j1 - j0;
        var acc = ws.B((long)g.M * w);
        for (var p0 = 0; p0 < g.K; p0 += RowBlockDepth)
        {
            var p1 = Math.Min(g.K, p0 + RowBlockDepth);
            var j = j0;
            for (; j + 16 <= j1; j += 16)
                for (var i = 0; i < g.M; i += 6)
                    Strip6x16<TB>(g, i, Math.Min(6, g.M - i), j, p0, p1, si, sp, acc + (i * w) + (j - j0), w);
            for (; j < j1; j++)
                for (var i = 0; i < g.M; i++)
                {
                    ref var sum = ref acc[(i * w) + (j - j0)];
                    var s = p0 == 0 ? 0f : sum;
                    for (var p = p0; p < p1; p++)
                        s = MathF.FusedMultiplyAdd(g.A[(i * si) + (p * sp)], TB.Read(g.B, (p * g.Ldb) + j), s);
                    sum = s;
                }
        }
        var mode = g.FirstMode;
        for (var i = 0; i < g.M; i++)
            for (var j = j0; j < j1; j++)
                TileStore.Store(g.C + (i * g.Ldc) + j, g.Alpha * acc[(i * w) + (j - j0)], g.Beta, mode);
    }

    /// <summary>
    /// acc (rows ≤ 6, 16; row stride ldAcc) += op(A)[i .. i+rows, p0 .. p1) · B[p0 .. p1, j .. j+16), starting
    /// from 0 when p0 = 0. Rows past <paramref name="rows"/> repeat row i and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip6x16<TB>(in GemmProblem g, int i, int rows, int j, int p0, int p1, nint si, nint sp,
        float* acc, nint ldAcc) where TB : struct, IBReader
    {
        var a0 = g.A + (i * si) + (p0 * sp);
        var a1 = rows > 1 ? a0 + si : a0;
        var a2 = rows > 2 ? a0 + (2 * si) : a0;
        var a3 = rows > 3 ? a0 + (3 * si) : a0;
        var a4 = rows > 4 ? a0 + (4 * si) : a0;
        var a5 = rows > 5 ? a0 + (5 * si) : a0;
        var r1 = rows > 1 ? acc + ldAcc : acc;
        var r2 = rows > 2 ? acc + (2 * ldAcc) : acc;
        var r3 = rows > 3 ? acc + (3 * ldAcc) : acc;
        var r4 = rows > 4 ? acc + (4 * ldAcc) : acc;
        var r5 = rows > 5 ? acc + (5 * ldAcc) : acc;
        Vector256<float> c0x = default, c0y = default, c1x = default, c1y = default, c2x = default, c2y = default;
        Vector256<float> c3x = default, c3y = default, c4x = default, c4y = default, c5x = default, c5y = default;
        if (p0 > 0)
        {
            (c0x, c0y) = (Vector256.Load(acc), Vector256.Load(acc + 8));
            (c1x, c1y) = (Vector256.Load(r1), Vector256.Load(r1 + 8));
            (c2x, c2y) = (Vector256.Load(r2), Vector256.Load(r2 + 8));
            (c3x, c3y) = (Vector256.Load(r3), Vector256.Load(r3 + 8));
            (c4x, c4y) = (Vector256.Load(r4), Vector256.Load(r4 + 8));
            (c5x, c5y) = (Vector256.Load(r5), Vector256.Load(r5 + 8));
        }
        var b = g.B;
        var ldb = g.Ldb;
        nint o = (p0 * ldb) + j;
        nint q = 0;
        for (var p = p0; p < p1; p++, o += ldb, q += sp)
        {
            var x = TB.Read8(b, o);
            var y = TB.Read8(b, o + 8);
            var v = Vector256.Create(a0[q]);
            c0x = Vector256.FusedMultiplyAdd(v, x, c0x);
            c0y = Vector256.FusedMultiplyAdd(v, y, c0y);
            v = Vector256.Create(a1[q]);
            c1x = Vector256.FusedMultiplyAdd(v, x, c1x);
            c1y = Vector256.FusedMultiplyAdd(v, y, c1y);
            v = Vector256.Create(a2[q]);
            c2x = Vector256.FusedMultiplyAdd(v, x, c2x);
            c2y = Vector256.FusedMultiplyAdd(v, y, c2y);
            v = Vector256.Create(a3[q]);
            c3x = Vector256.FusedMultiplyAdd(v, x, c3x);
            c3y = Vector256.FusedMultiplyAdd(v, y, c3y);
            v = Vector256.Create(a4[q]);
            c4x = Vector256.FusedMultiplyAdd(v, x, c4x);
            c4y = Vector256.FusedMultiplyAdd(v, y, c4y);
            v = Vector256.Create(a5[q]);
            c5x = Vector256.FusedMultiplyAdd(v, x, c5x);
            c5y = Vector256.FusedMultiplyAdd(v, y, c5y);
        }
        c0x.Store(acc);
        c0y.Store(acc + 8);
        if (rows > 1)
        {
            c1x.Store(r1);
            c1y.Store(r1 + 8);
        }
        if (rows > 2)
        {
            c2x.Store(r2);
            c2y.Store(r2 + 8);
        }
        if (rows > 3)
        {
            c3x.Store(r3);
            c3y.Store(r3 + 8);
        }
        if (rows > 4)
        {
            c4x.Store(r4);
            c4y.Store(r4 + 8);
        }
        if (rows > 5)
        {
            c5x.Store(r5);
            c5y.Store(r5 + 8);
        }
    }
}
