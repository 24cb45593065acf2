using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// The AVX-512 tile: C (12, 32) in 24 zmm accumulators; per k step 2 loads of B, 12 broadcasts of A, 24 FMAs
/// (27 of the 32 zmm registers). KC = 192 keeps the 24 KiB B panel in L1 beside the 9 KiB A panel; MC = 144
/// makes the A block 108 KiB for a ≥ 1 MiB L2.
/// </summary>
internal readonly unsafe struct MicroKernel512 : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 192;
    public static int MC => 144;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, StoreMode mode)
    {
        Vector512<float> c0x = default, c0y = default;
        Vector512<float> c1x = default, c1y = default;
        Vector512<float> c2x = default, c2y = default;
        Vector512<float> c3x = default, c3y = default;
        Vector512<float> c4x = default, c4y = default;
        Vector512<float> c5x = default, c5y = default;
        Vector512<float> c6x = default, c6y = default;
        Vector512<float> c7x = default, c7y = default;
        Vector512<float> c8x = default, c8y = default;
        Vector512<float> c9x = default, c9y = default;
        Vector512<float> c10x = default, c10y = default;
        Vector512<float> c11x = default, c11y = default;
        // Pull the C tile toward L1 while the k loop runs (its rows are far apart, so the hardware prefetcher
        // would not).
        if (Sse.IsSupported)
            for (var r = 0; r < 12; r++)
            {
                Sse.Prefetch0(c + (r * ldc));
                Sse.Prefetch0(c + (r * ldc) + NR - 1);
            }
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c0x = Vector512.FusedMultiplyAdd(a0, b0, c0x);
            c0y = Vector512.FusedMultiplyAdd(a0, b1, c0y);
            var a1 = Vector512.Create(a[1]);
            c1x = Vector512.FusedMultiplyAdd(a1, b0, c1x);
            c1y = Vector512.FusedMultiplyAdd(a1, b1, c1y);
            var a2 = Vector512.Create(a[2]);
            c2x = Vector512.FusedMultiplyAdd(a2, b0, c2x);
            c2y = Vector512.FusedMultiplyAdd(a2, b1, c2y);
            var a3 = Vector512.Create(a[3]);
            c3x = Vector512.FusedMultiplyAdd(a3, b0, c3x);
            c3y = Vector512.FusedMultiplyAdd(a3, b1, c3y);
            var a4 = Vector512.Create(a[4]);
            c4x = Vector512.FusedMultiplyAdd(a4, b0, c4x);
            c4y = Vector512.FusedMultiplyAdd(a4, b1, c4y);
            var a5 = Vector512.Create(a[5]);
            c5x = Vector512.FusedMultiplyAdd(a5, b0, c5x);
            c5y = Vector512.FusedMultiplyAdd(a5, b1, c5y);
            var a6 = Vector512.Create(a[6]);
            c6x = Vector512.FusedMultiplyAdd(a6, b0, c6x);
            c6y = Vector512.FusedMultiplyAdd(a6, b1, c6y);
            var a7 = Vector512.Create(a[7]);
            c7x = Vector512.FusedMultiplyAdd(a7, b0, c7x);
            c7y = Vector512.FusedMultiplyAdd(a7, b1, c7y);
            var a8 = Vector512.Create(a[8]);
            c8x = Vector512.FusedMultiplyAdd(a8, b0, c8x);
            c8y = Vector512.FusedMultiplyAdd(a8, b1, c8y);
            var a9 = Vector512.Create(a[9]);
            c9x = Vector512.FusedMultiplyAdd(a9, b0, c9x);
            c9y = Vector512.FusedMultiplyAdd(a9, b1, c9y);
            var a10 = Vector512.Create(a[10]);
            c10x = Vector512.FusedMultiplyAdd(a10, b0, c10x);
            c10y = Vector512.FusedMultiplyAdd(a10, b1, c10y);
            var a11 = Vector512.Create(a[11]);
            c11x = Vector512.FusedMultiplyAdd(a11, b0, c11x);
            c11y = Vector512.FusedMultiplyAdd(a11, b1, c11y);
            a += 12;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        TileStore.Store(c, c0x, va, vb, mode);
        TileStore.Store(c + 16, c0y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c1x, va, vb, mode);
        TileStore.Store(c + 16, c1y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c2x, va, vb, mode);
        TileStore.Store(c + 16, c2y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c3x, va, vb, mode);
        TileStore.Store(c + 16, c3y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c4x, va, vb, mode);
        TileStore.Store(c + 16, c4y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c5x, va, vb, mode);
        TileStore.Store(c + 16, c5y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c6x, va, vb, mode);
        TileStore.Store(c + 16, c6y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c7x, va, vb, mode);
        TileStore.Store(c + 16, c7y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c8x, va, vb, mode);
        TileStore.Store(c + 16, c8y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c9x, va, vb, mode);
        TileStore.Store(c + 16, c9y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c10x, va, vb, mode);
        TileStore.Store(c + 16, c10y, va, vb, mode);
        c += ldc;
        TileStore.Store(c, c11x, va, vb, mode);
        TileStore.Store(c + 16, c11y, va, vb, mode);
    }
}
