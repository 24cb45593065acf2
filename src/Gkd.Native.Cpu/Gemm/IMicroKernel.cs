namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// An MR×NR register-tile micro-kernel and the blocking sizes tuned for it. Implemented by structs so the generic
/// driver is specialised (and the kernel inlined) per kernel.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of the C tile (and of one packed A panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the C tile (and of one packed B panel); a multiple of the vector width.</summary>
    static abstract int NR { get; }

    /// <summary>Target depth of one K block: a kc×NR B panel should sit in L1 next to a streaming A panel.</summary>
    static abstract int KC { get; }

    /// <summary>Rows of one packed A block (a multiple of MR): an MC×KC A block should sit in L2.</summary>
    static abstract int MC { get; }

    /// <summary>
    /// acc (MR, NR) = Σ_{p &lt; kc} a[p·MR + i] · b[p·NR + j], then stores the full tile into c (row stride ldc)
    /// according to <paramref name="mode"/>. a is one packed A panel (kc, MR), b one packed B panel (kc, NR).
    /// Every element is one FMA chain over p in ascending order.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, StoreMode mode);
}
