using System.Runtime.CompilerServices;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// The GotoBLAS/BLIS-style path. C is cut into tasks (row range × column range, aligned to MR and NR); each task,
/// with its own workspace, walks its columns in blocks of NC, packs op(B) for a group of K blocks (≤ 4 MiB, shared
/// by all its row blocks, so it lives in L3), then for each MC-row block and each K block packs op(A) (L2) and
/// sweeps NR-column panels (the kc×NR B panel stays in L1) over MR-row panels with the micro-kernel.
/// K is cut into blocks that depend only on K and are always added in ascending order, and every C element is
/// one FMA chain per block, so the result is the same for any task split and thread count.
/// </summary>
internal static unsafe class PackedGemm<TK> where TK : struct, IMicroKernel
{
    /// <summary>Columns of C per block: A is repacked once per block, so wider amortises packing better.</summary>
    private const int NC = 1024;

    /// <summary>Packed B kept per worker, in floats (4 MiB): NC × a group of K blocks.</summary>
    private const int BPackFloats = 1 << 20;

    /// <summary>Below these a task is split no further: narrower tasks repack A (or B) too often.</summary>
    private const int MinTaskCols = 512;
    private const int MinTaskRows = 96;

    public static void Run<TB>(in GemmProblem problem, int threads) where TB : struct, IBReader
    {
        var g = problem;

        // K blocks of equal depth ≤ KC (depends on K only).
        var kBlocks = (g.K + TK.KC - 1) / TK.KC;
        var kc = (g.K + kBlocks - 1) / kBlocks;
        var groupBlocks = Math.Max(1, BPackFloats / (NC * kc));

        var (rowTasks, colTasks) = Split(g.M, g.N, threads);
        var rowStep = RoundUp((g.M + rowTasks - 1) / rowTasks, TK.MR);
        var colStep = RoundUp((g.N + colTasks - 1) / colTasks, TK.NR);
        rowTasks = (g.M + rowStep - 1) / rowStep;
        colTasks = (g.N + colStep - 1) / colStep;

        GemmWorkers.For(rowTasks * colTasks, threads, (t, ws) =>
        {
            var i0 = t / colTasks * rowStep;
            var j0 = t % colTasks * colStep;
            RunTask<TB>(g, ws, i0, Math.Min(g.M, i0 + rowStep), j0, Math.Min(g.N, j0 + colStep), kc, groupBlocks);
        });
    }

    /// <summary>
    /// Task grid for the thread count: about two tasks per worker (the scheduler evens out a busy core), splitting
    /// columns first (each task then packs only its own B), then rows.
    /// </summary>
    private static (int Rows, int Cols) Split(int m, int n, int threads)
    {
        var cols = (n + NC - 1) / NC;
        var rows = 1;
        var target = threads <= 1 ? 1 : 2 * threads;
        while (rows * cols < target)
        {
            if (n / (cols * 2) >= MinTaskCols) cols *= 2;
            else if (m / (rows * 2) >= MinTaskRows) rows *= 2;
            else break;
        }
        return (rows, cols);
    }

    private static void RunTask<TB>(in GemmProblem g, GemmWorkspace ws, int i0, int i1, int j0, int j1, int kc, int groupBlocks)
        where TB : struct, IBReader
    {
        var aPack = ws.A(((long)TK.MC * kc) + Packing.ASlack);
        var tile = ws.Tile(TK.MR * TK.NR);
        var groupDepth = groupBlocks * kc;
        for (var jc = j0; jc < j1; jc += NC)
        {
            var nc = Math.Min(NC, j1 - jc);
            var ncPad = RoundUp(nc, TK.NR);
            var bPack = ws.B((long)ncPad * Math.Min(groupDepth, g.K));
            for (var g0 = 0; g0 < g.K; g0 += groupDepth)
            {
                var g1 = Math.Min(g.K, g0 + groupDepth);
                // Block pc of the group starts at (pc - g0)·ncPad: earlier blocks are kc deep, ncPad wide.
                for (var pc = g0; pc < g1; pc += kc)
                    Packing.PackB<TK, TB>(bPack + ((nint)(pc - g0) * ncPad), g.B, g.Ldb, g.TransB, jc, nc, pc, Math.Min(kc, g1 - pc));

                for (var ic = i0; ic < i1; ic += TK.MC)
                {
                    var mc = Math.Min(TK.MC, i1 - ic);
                    for (var pc = g0; pc < g1; pc += kc)
                    {
                        var kcb = Math.Min(kc, g1 - pc);
                        Packing.PackA<TK>(aPack, g.A, g.Lda, g.TransA, ic, mc, pc, kcb);
                        var mode = pc == 0 ? g.FirstMode : StoreMode.Accumulate;
                        Macro(kcb, aPack, bPack + ((nint)(pc - g0) * ncPad), g.C + (ic * g.Ldc) + jc, g.Ldc, mc, nc,
                            g.Alpha, g.Beta, mode, tile);
                    }
                }
            }
        }
    }

    /// <summary>
    /// c (mc, nc) ∘= α · aPack (mc, kc) · bPack (kc, nc): NR-column panels outside, MR-row panels inside. Edge tiles
    /// run the full kernel into <paramref name="tile"/> and are combined element by element with the same formula.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(int kc, float* aPack, float* bPack, float* c, nint ldc, int mc, int nc,
        float alpha, float beta, StoreMode mode, float* tile)
    {
        for (var jr = 0; jr < nc; jr += TK.NR)
        {
            var nr = Math.Min(TK.NR, nc - jr);
            var bPanel = bPack + ((nint)jr * kc);
            for (var ir = 0; ir < mc; ir += TK.MR)
            {
                var mr = Math.Min(TK.MR, mc - ir);
                var aPanel = aPack + ((nint)ir * kc);
                var cTile = c + (ir * ldc) + jr;
                if (mr == TK.MR && nr == TK.NR)
                {
                    TK.Run(kc, aPanel, bPanel, cTile, ldc, alpha, beta, mode);
                    continue;
                }
                TK.Run(kc, aPanel, bPanel, tile, TK.NR, alpha, 0f, StoreMode.Write);
                for (var i = 0; i < mr; i++)
                    for (var j = 0; j < nr; j++)
                        TileStore.Store(cTile + (i * ldc) + j, tile[(i * TK.NR) + j], beta, mode);
            }
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
