namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// One validated call: C (M, N; row stride Ldc) = Alpha · op(A) · op(B) + Beta · C, with op(A) (M, K) and op(B)
/// (K, N). Pointers are kept as addresses so tasks can capture the problem.
/// </summary>
internal readonly unsafe struct GemmProblem
{
    public bool TransA { get; init; }
    public bool TransB { get; init; }
    public int M { get; init; }
    public int N { get; init; }
    public int K { get; init; }
    public float Alpha { get; init; }
    public float Beta { get; init; }
    public nint AAddress { get; init; }
    public nint Lda { get; init; }
    public nint BAddress { get; init; }
    public nint Ldb { get; init; }
    public nint CAddress { get; init; }
    public nint Ldc { get; init; }

    /// <summary>A (M, K), or (K, M) when TransA.</summary>
    public float* A => (float*)AAddress;

    /// <summary>B (K, N), or (N, K) when TransB, in the dtype the reader type argument names.</summary>
    public void* B => (void*)BAddress;

    /// <summary>C (M, N).</summary>
    public float* C => (float*)CAddress;

    /// <summary>How the first K block combines with C: β = 0 never reads C.</summary>
    public StoreMode FirstMode => Beta == 0f ? StoreMode.Write : StoreMode.Scale;
}
