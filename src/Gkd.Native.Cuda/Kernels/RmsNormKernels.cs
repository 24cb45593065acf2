using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/rmsnorm.cu: RMSNorm over N rows of C, activations f32 or bf16, weight f32 or bf16, statistics
/// in f32. Launch shapes depend on (N, C) alone, so the GPU and the emulation run the same grids and dw has the same
/// bits on both:
/// <list type="bullet">
/// <item>forward: a row per warp (128-thread blocks of 4 rows) for C ≤ <see cref="WarpRowsMaxC"/>, else a row per
/// 256-thread block;</item>
/// <item>backward: a row per warp, up to 4 warps per block; with dw, each of G ≤ <see cref="MaxPartialRows"/> blocks
/// takes a fixed chunk of rows and writes its dw column sums (its warps' sums from shared memory, added in warp
/// order) into a row of the (G, C) f32 workspace, then <c>rmsnorm_dw_reduce</c> (blocks of 32 × 8 threads, one per
/// 32 columns) adds the G rows in order into dw.</item>
/// </list>
/// </summary>
public sealed class RmsNormKernels : IDisposable
{
    /// <summary>Widest row the forward normalises with one warp; wider rows get a 256-thread block each.</summary>
    public const int WarpRowsMaxC = 1024;

    /// <summary>Most rows of dw partial sums the backward writes (its block count when dw is wanted).</summary>
    public const int MaxPartialRows = 1024;

    private const int Warps = 4;

    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly Dictionary<(DType, DType), KernelFunction> _forward = [];
    private readonly Dictionary<(DType, DType), KernelFunction> _backward = [];
    private readonly Dictionary<DType, KernelFunction> _reduce = [];

    public RmsNormKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("rmsnorm"));
        DType[] floats = [DType.F32, DType.BF16];
        foreach (var a in floats)
        {
            foreach (var w in floats)
            {
                var suffix = $"{KernelDTypes.Suffix(a)}_{KernelDTypes.Suffix(w)}";
                _forward[(a, w)] = _module.Function($"rmsnorm_forward_{suffix}");
                _backward[(a, w)] = _module.Function($"rmsnorm_backward_{suffix}");
            }
            _reduce[a] = _module.Function($"rmsnorm_dw_reduce_{KernelDTypes.Suffix(a)}");
        }
    }

    /// <summary>
    /// y (N, C) = w · (x · rstd), rstd (N) f32 = 1 / sqrt(Σ x² / C + eps); x, y in <paramref name="activations"/>, w (C)
    /// in <paramref name="weight"/>. y may alias x.
    /// </summary>
    public void Forward(DevicePtr y, DevicePtr rstd, DevicePtr x, DevicePtr w, float eps, long n, int c, DType activations,
        DType weight)
    {
        if (n == 0) return;
        var perWarp = c <= WarpRowsMaxC;
        var (grid, block) = perWarp
            ? (new Dim3(checked((uint)((n + Warps - 1) / Warps))), new Dim3(32 * Warps))
            : (new Dim3(checked((uint)n)), new Dim3(256));
        var args = new KernelArgs();
        args.Add(y).Add(rstd).Add(x).Add(w).Add(eps).Add(n).Add(c).Add(perWarp ? 1 : 0);
        args.Launch(_runtime, _forward[(activations, weight)], grid, block);
    }

    /// <summary>Floats of f32 workspace <see cref="Backward"/> needs when it computes dw.</summary>
    public static long WorkspaceFloats(long n, int c) => (long)Plan(n, c, withDw: true).Blocks * c;

    /// <summary>
    /// dx (N, C) += ∂L/∂x, and when <paramref name="dw"/> is not null, dw (C) in <paramref name="dwType"/> += Σₙ dy·x·rstd
    /// (both +=), using <paramref name="workspace"/> (<see cref="WorkspaceFloats"/> f32). dx, dy, x in
    /// <paramref name="activations"/>, w (C) in <paramref name="weight"/>, rstd (N) f32 from the forward.
    /// </summary>
    public void Backward(DevicePtr dx, DevicePtr dw, DType dwType, DevicePtr workspace, DevicePtr dy, DevicePtr x,
        DevicePtr w, DevicePtr rstd, long n, int c, DType activations, DType weight)
    {
        if (n == 0) return;
        var withDw = !dw.IsNull;
        var (blocks, rowsPerBlock, warps) = Plan(n, c, withDw);
        var args = new KernelArgs();
        args.Add(dx).Add(withDw ? workspace : DevicePtr.Null).Add(dy).Add(x).Add(w).Add(rstd).Add(n).Add(c).Add(rowsPerBlock);
        args.Launch(_runtime, _backward[(activations, weight)], new Dim3((uint)blocks), new Dim3((uint)(32 * warps)),
            withDw ? warps * c * sizeof(float) : 0);
        if (!withDw) return;
        var reduce = new KernelArgs();
        reduce.Add(dw).Add(workspace).Add(blocks).Add(c);
        reduce.Launch(_runtime, _reduce[dwType], new Dim3((uint)((c + 31) / 32)), new Dim3(32, 8));
    }

    public void Dispose() => _module.Dispose();

    /// <summary>
    /// The backward's blocks, rows per block and warps per block: without dw a row per warp everywhere; with dw at most
    /// <see cref="MaxPartialRows"/> blocks, each keeping one dw row per warp in shared memory (so fewer warps when C is
    /// wide).
    /// </summary>
    private static (int Blocks, int RowsPerBlock, int Warps) Plan(long n, int c, bool withDw)
    {
        if (!withDw) return (checked((int)((n + Warps - 1) / Warps)), Warps, Warps);
        var warps = Math.Min(Warps, EmulatedRuntime.SharedMemoryPerBlock / (c * sizeof(float)));
        if (warps == 0)
            throw new NotSupportedException(
                $"RMSNorm backward with dw keeps a row of {c} f32 sums per warp in shared memory; at most " +
                $"{EmulatedRuntime.SharedMemoryPerBlock / sizeof(float)} channels fit");
        var rowsPerBlock = checked((int)(warps * ((n + (long)warps * MaxPartialRows - 1) / ((long)warps * MaxPartialRows))));
        return ((int)((n + rowsPerBlock - 1) / rowsPerBlock), rowsPerBlock, warps);
    }
}
