using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Few rows of C (decode steps, M ≤ <see cref="MaxRows"/>): packing B would cost more than the multiply, so B is
/// streamed once in its stored layout and dtype. transB (B is (N, K), the linear-layer weight): dot products along
/// K, 4 rows of A × 2 rows of B at a time. Otherwise (B is (K, N)): 6 rows of A × 16 columns of B in registers,
/// one FMA chain per element over all of K. Tasks are column ranges of C; each element is computed the same way
/// whichever task holds it, so results do not depend on the thread count.
/// </summary>
internal static unsafe class SmallRowsGemm
{
    public const int MaxRows = 16;

    /// <summary>Columns per task at least: fewer would not cover the cost of handing out a task.</summary>
    private const int MinTaskCols = 64;

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
            else RowColumns<TB>(g, j0, j1);
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

    /// <summary>C[:, j0..j1) for B (K, N): 16-column strips in registers, the last &lt; 16 columns one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowColumns<TB>(in GemmProblem g, int j0, int j1) where TB : struct, IBReader
    {
        // op(A)[i, p] = a[i·si + p·sp].
        var si = g.TransA ? 1 : g.Lda;
        var sp = g.TransA ? g.Lda : 1;
        var mode = g.FirstMode;
        var strip = stackalloc float[6 * 16];
        var j = j0;
        for (; j + 16 <= j1; j += 16)
            for (var i = 0; i < g.M; i += 6)
            {
                var rows = Math.Min(6, g.M - i);
                Strip6x16<TB>(g, i, rows, j, si, sp, strip);
                for (var r = 0; r < rows; r++)
                    for (var q = 0; q < 16; q++)
                        TileStore.Store(g.C + ((i + r) * g.Ldc) + j + q, g.Alpha * strip[(r * 16) + q], g.Beta, mode);
            }
        for (; j < j1; j++)
            for (var i = 0; i < g.M; i++)
            {
                var acc = 0f;
                for (var p = 0; p < g.K; p++)
                    acc = MathF.FusedMultiplyAdd(g.A[(i * si) + (p * sp)], TB.Read(g.B, (p * g.Ldb) + j), acc);
                TileStore.Store(g.C + (i * g.Ldc) + j, g.Alpha * acc, g.Beta, mode);
            }
    }

    /// <summary>strip (6, 16) = op(A)[i .. i+6, :] · B[:, j .. j+16); rows past <paramref name="rows"/> repeat row i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip6x16<TB>(in GemmProblem g, int i, int rows, int j, nint si, nint sp, float* strip)
        where TB : struct, IBReader
    {
        var a0 = g.A + (i * si);
        var a1 = rows > 1 ? a0 + si : a0;
        var a2 = rows > 2 ? a0 + (2 * si) : a0;
        var a3 = rows > 3 ? a0 + (3 * si) : a0;
        var a4 = rows > 4 ? a0 + (4 * si) : a0;
        var a5 = rows > 5 ? a0 + (5 * si) : a0;
        var b = g.B;
        var ldb = g.Ldb;
        Vector256<float> c0x = default, c0y = default, c1x = default, c1y = default, c2x = default, c2y = default;
        Vector256<float> c3x = default, c3y = default, c4x = default, c4y = default, c5x = default, c5y = default;
        nint o = j;
        nint q = 0;
        for (var p = 0; p < g.K; p++, o += ldb, q += sp)
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
        c0x.Store(strip);
        c0y.Store(strip + 8);
        c1x.Store(strip + 16);
        c1y.Store(strip + 24);
        c2x.Store(strip + 32);
        c2y.Store(strip + 40);
        c3x.Store(strip + 48);
        c3y.Store(strip + 56);
        c4x.Store(strip + 64);
        c4y.Store(strip + 72);
        c5x.Store(strip + 80);
        c5y.Store(strip + 88);
    }
}
