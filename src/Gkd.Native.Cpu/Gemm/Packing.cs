using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous panel layouts the micro-kernel streams through, converting
/// B to f32 on the way. Partial panels are zero-padded, so the kernel always runs a full MR×NR tile.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>
    /// dst = op(A)[i0 .. i0+mc, p0 .. p0+kc) as ⌈mc/MR⌉ panels of (kc, MR): panel q holds rows q·MR .. q·MR+MR
    /// at dst + q·kc·MR, element (p, r) at p·MR + r. op(A) is A (M, K) with row stride lda, or Aᵀ when transA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TK>(float* dst, float* a, nint lda, bool transA, int i0, int mc, int p0, int kc)
        where TK : struct, IMicroKernel
    {
        var mrFull = TK.MR;
        for (var ir = 0; ir < mc; ir += mrFull, dst += (nint)kc * mrFull)
        {
            var mr = Math.Min(mrFull, mc - ir);
            if (transA)
            {
                // A is (K, M): one packed k step is mr contiguous floats of A's row p.
                var src = a + (p0 * lda) + i0 + ir;
                for (var p = 0; p < kc; p++, src += lda)
                {
                    var d = dst + ((nint)p * mrFull);
                    for (var r = 0; r < mr; r++) d[r] = src[r];
                }
            }
            else
            {
                // A is (M, K): read each of the mr rows along k, write with stride MR.
                for (var r = 0; r < mr; r++)
                {
                    var src = a + ((i0 + ir + r) * lda) + p0;
                    var d = dst + r;
                    for (var p = 0; p < kc; p++, d += mrFull) *d = src[p];
                }
            }
            for (var p = 0; p < kc && mr < mrFull; p++)
                new Span<float>(dst + ((nint)p * mrFull) + mr, mrFull - mr).Clear();
        }
    }

    /// <summary>
    /// dst = op(B)[p0 .. p0+kc, j0 .. j0+nc) as ⌈nc/NR⌉ panels of (kc, NR): panel q holds columns q·NR .. q·NR+NR
    /// at dst + q·kc·NR, element (p, j) at p·NR + j. op(B) is B (K, N) with row stride ldb, or Bᵀ when transB.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TK, TB>(float* dst, void* b, nint ldb, bool transB, int j0, int nc, int p0, int kc)
        where TK : struct, IMicroKernel
        where TB : struct, IBReader
    {
        var nrFull = TK.NR;
        for (var jr = 0; jr < nc; jr += nrFull, dst += (nint)kc * nrFull)
        {
            var nr = Math.Min(nrFull, nc - jr);
            if (transB)
            {
                // B is (N, K): each of the nr rows of B becomes one column of the panel.
                for (var j = 0; j < nr; j++)
                {
                    var src = ((j0 + jr + j) * ldb) + p0;
                    var d = dst + j;
                    for (var p = 0; p < kc; p++, d += nrFull) *d = TB.Read(b, src + p);
                }
                for (var p = 0; p < kc && nr < nrFull; p++)
                    new Span<float>(dst + ((nint)p * nrFull) + nr, nrFull - nr).Clear();
            }
            else if (nr == nrFull)
            {
                // B is (K, N): one packed k step is NR contiguous elements of B's row p.
                for (var p = 0; p < kc; p++)
                {
                    var src = ((p0 + p) * ldb) + j0 + jr;
                    var d = dst + ((nint)p * nrFull);
                    for (var j = 0; j < nrFull; j += 8) TB.Read8(b, src + j).Store(d + j);
                }
            }
            else
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = ((p0 + p) * ldb) + j0 + jr;
                    var d = dst + ((nint)p * nrFull);
                    for (var j = 0; j < nr; j++) d[j] = TB.Read(b, src + j);
                    new Span<float>(d + nr, nrFull - nr).Clear();
                }
            }
        }
    }
}
