using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous panel layouts the micro-kernel streams through, converting
/// B to f32 on the way. Partial panels are zero-padded, so the kernel always runs a full MR×NR tile. Where a panel
/// is the transpose of the source (A (M, K), B (N, K)), 8×8 blocks go through <see cref="Transpose8"/>.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Floats past the end of a packed A block that the transposing packer may scribble on.</summary>
    public const int ASlack = 8;

    /// <summary>
    /// dst = op(A)[i0 .. i0+mc, p0 .. p0+kc) as ⌈mc/MR⌉ panels of (kc, MR): panel q holds rows q·MR .. q·MR+MR
    /// at dst + q·kc·MR, element (p, r) at p·MR + r. op(A) is A (M, K) with row stride lda, or Aᵀ when transA.
    /// dst needs <see cref="ASlack"/> floats beyond the block.
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
                // A is (K, M): one packed k step is mr contiguous floats of A's row p; a full panel's MR floats
                // move as two overlapping vectors (MR = 6: 4 + 4, MR = 12: 8 + 8).
                var src = a + (p0 * lda) + i0 + ir;
                if (mr == mrFull && mrFull is > 4 and <= 8)
                    for (var p = 0; p < kc; p++, src += lda)
                    {
                        var d = dst + ((nint)p * mrFull);
                        Vector128.Load(src).Store(d);
                        Vector128.Load(src + mrFull - 4).Store(d + mrFull - 4);
                    }
                else if (mr == mrFull && mrFull is > 8 and <= 16)
                    for (var p = 0; p < kc; p++, src += lda)
                    {
                        var d = dst + ((nint)p * mrFull);
                        Vector256.Load(src).Store(d);
                        Vector256.Load(src + mrFull - 8).Store(d + mrFull - 8);
                    }
                else
                    for (var p = 0; p < kc; p++, src += lda)
                    {
                        var d = dst + ((nint)p * mrFull);
                        for (var r = 0; r < mr; r++) d[r] = src[r];
                        for (var r = mr; r < mrFull; r++) d[r] = 0f;
                    }
            }
            else
            {
                // A is (M, K): transpose 8 k steps of the panel's rows at a time (rows past mr read as zero). The
                // second group of rows (MR > 8) is stored first: its spill into the next k step is then
                // overwritten by the first group.
                var src = a + ((i0 + ir) * lda) + p0;
                var p = 0;
                if (Transpose8.IsSupported)
                    for (; p + 8 <= kc; p += 8)
                    {
                        var d = dst + ((nint)p * mrFull);
                        if (mrFull > 8) TransposeRows(d + 8, mrFull, src + (8 * lda) + p, lda, mr - 8);
                        TransposeRows(d, mrFull, src + p, lda, mr);
                    }
                for (var r = 0; r < mrFull; r++)
                {
                    var d = dst + ((nint)p * mrFull) + r;
                    for (var q = p; q < kc; q++, d += mrFull) *d = r < mr ? src[(r * lda) + q] : 0f;
                }
            }
        }
    }

    /// <summary>dst[q·stride + r] = src[r·lda + q] for r &lt; min(rows, 8) (0 for the other r &lt; 8), q &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRows(float* dst, nint stride, float* src, nint lda, int rows)
    {
        var zero = Vector256<float>.Zero;
        Transpose8.Store(dst, stride,
            rows > 0 ? Vector256.Load(src) : zero,
            rows > 1 ? Vector256.Load(src + lda) : zero,
            rows > 2 ? Vector256.Load(src + (2 * lda)) : zero,
            rows > 3 ? Vector256.Load(src + (3 * lda)) : zero,
            rows > 4 ? Vector256.Load(src + (4 * lda)) : zero,
            rows > 5 ? Vector256.Load(src + (5 * lda)) : zero,
            rows > 6 ? Vector256.Load(src + (6 * lda)) : zero,
            rows > 7 ? Vector256.Load(src + (7 * lda)) : zero);
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
                // B is (N, K): the panel's columns are rows of B. 8 k steps of 8 rows at a time through registers,
                // the rest element by element; columns past nr are zero.
                var src = ((j0 + jr) * ldb) + p0;
                var p = 0;
                if (Transpose8.IsSupported)
                    for (; p + 8 <= kc; p += 8)
                        for (var g = 0; g < nrFull; g += 8)
                            TransposeBRows<TB>(dst + ((nint)p * nrFull) + g, nrFull, b, src + (g * ldb) + p, ldb, nr - g);
                for (var j = 0; j < nrFull; j++)
                {
                    var d = dst + ((nint)p * nrFull) + j;
                    for (var q = p; q < kc; q++, d += nrFull) *d = j < nr ? TB.Read(b, src + (j * ldb) + q) : 0f;
                }
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

    /// <summary>dst[q·stride + r] = b[src + r·ldb + q] as f32 for r &lt; min(rows, 8) (0 for the other r &lt; 8), q &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBRows<TB>(float* dst, nint stride, void* b, nint src, nint ldb, int rows)
        where TB : struct, IBReader
    {
        var zero = Vector256<float>.Zero;
        Transpose8.Store(dst, stride,
            rows > 0 ? TB.Read8(b, src) : zero,
            rows > 1 ? TB.Read8(b, src + ldb) : zero,
            rows > 2 ? TB.Read8(b, src + (2 * ldb)) : zero,
            rows > 3 ? TB.Read8(b, src + (3 * ldb)) : zero,
            rows > 4 ? TB.Read8(b, src + (4 * ldb)) : zero,
            rows > 5 ? TB.Read8(b, src + (5 * ldb)) : zero,
            rows > 6 ? TB.Read8(b, src + (6 * ldb)) : zero,
            rows > 7 ? TB.Read8(b, src + (7 * ldb)) : zero);
    }
}
