using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/attention.cu: causal GQA attention with left padding (forward, backward), the decode step over
/// the KV cache and the cache write; activations f32 or bf16, math in f32. Launch shapes depend on the sizes alone:
/// <list type="bullet">
/// <item>forward, dq: grid (⌈T/BR⌉, NH, B), dk/dv: grid (⌈T/BR⌉, NKV, B), 128 threads; BR, the block's rows (queries,
/// or keys for dk/dv), is the largest of 32, 16, 8, 4 with BR · HS4 ≤ 4096 (two 4×4 accumulator cells per thread) whose
/// tiles fit <see cref="SharedMemoryLimit"/> (see <see cref="Rows"/>);</item>
/// <item>delta = Σ dout·o per query: a warp per (b, t, h), grid ⌈B·T·NH/4⌉ of 128 threads;</item>
/// <item>decode: grid (⌈length/128⌉ splits, NKV · ⌈G/8⌉, B) of 128 threads, a 32-key chunk per warp, plus a combine
/// kernel (grid B·NH, 128 threads) over the splits when there is more than one;</item>
/// <item>cache write: <see cref="GridStride"/> over B·T·NKV·HS.</item>
/// </list>
/// </summary>
public sealed class AttentionKernels : IDisposable
{
    /// <summary>Largest head size the kernels take (a decode lane holds 8 columns; a tile row at most 256).</summary>
    public const int MaxHeadDim = 256;

    /// <summary>
    /// Dynamic shared memory a block may use: the smallest opt-in limit among the cards we target, which is also the
    /// emulation's, so the same tiles run everywhere.
    /// </summary>
    public const int SharedMemoryLimit = EmulatedRuntime.SharedMemoryPerBlock;

    private const int Threads = 128;
    private const int Warps = 4;
    private const int Tile = 32;
    private const int MaxCellFloats = 4096;
    private const int DecodeSplit = 128;
    private const int DecodeMaxHeads = 8;
    private const int DecodeKeyFloats = Warps * 32 * 68;

    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly Dictionary<(string Kernel, DType DType), KernelFunction> _functions = [];

    public AttentionKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("attention"));
        foreach (var kernel in (ReadOnlySpan<string>)["attention_forward", "attention_delta", "attention_backward_dq",
                     "attention_backward_dkdv", "attention_decode", "attention_decode_combine", "kv_cache_write"])
        {
            foreach (var dtype in (ReadOnlySpan<DType>)[DType.F32, DType.BF16])
            {
                _functions[(kernel, dtype)] = _module.Function($"{kernel}_{KernelDTypes.Suffix(dtype)}");
            }
        }
    }

    /// <summary>The softmax scale 1/√HS, rounded to f32 as the CPU backend does.</summary>
    private static float Scale(int headDim) => (float)(1.0 / Math.Sqrt(headDim));

    /// <summary>
    /// o (B, T, NH, HS) and lse (B, NH, T) f32 (=) of causal attention of q (B, T, NH, HS) over k, v (B, T, NKV, HS) with
    /// row b's keys from start (B)[b]; pad queries get o = 0, lse = 0.
    /// </summary>
    public void Forward(DevicePtr o, DevicePtr lse, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr start, int b, int t,
        int nh, int nkv, int hs, DType dtype)
    {
        if ((long)b * t == 0) return;
        var rows = Rows(hs, ForwardFloats);
        var args = new KernelArgs();
        args.Add(o).Add(lse).Add(q).Add(k).Add(v).Add(start).Add(t).Add(nh).Add(nkv).Add(hs).Add(Scale(hs)).Add(rows);
        args.Launch(_runtime, Function("attention_forward", dtype), new Dim3(Blocks(t, rows), (uint)nh, (uint)b),
            new Dim3(Threads), ForwardFloats(rows, hs) * sizeof(float));
    }

    /// <summary>Floats of f32 workspace <see cref="Backward"/> needs: delta (B, NH, T).</summary>
    public static long BackwardWorkspaceFloats(int b, int t, int nh) => (long)b * nh * t;

    /// <summary>
    /// dq (B, T, NH, HS), dk, dv (B, T, NKV, HS) += the gradients of <see cref="Forward"/> given dout (B, T, NH, HS) and
    /// the forward's o and lse (+=), with <see cref="BackwardWorkspaceFloats"/> f32 of workspace: delta, then dq per
    /// query tile and dk, dv per key tile (the group's query heads in ascending order).
    /// </summary>
    public void Backward(DevicePtr dq, DevicePtr dk, DevicePtr dv, DevicePtr workspace, DevicePtr dout, DevicePtr q,
        DevicePtr k, DevicePtr v, DevicePtr o, DevicePtr lse, DevicePtr start, int b, int t, int nh, int nkv, int hs, DType dtype)
    {
        var queryRows = (long)b * t * nh;
        if (queryRows == 0) return;
        var scale = Scale(hs);
        var delta = new KernelArgs();
        delta.Add(workspace).Add(dout).Add(o).Add(t).Add(nh).Add(hs).Add(queryRows);
        delta.Launch(_runtime, Function("attention_delta", dtype), new Dim3(checked((uint)((queryRows + Warps - 1) / Warps))),
            new Dim3(Threads));

        var dqRows = Rows(hs, DqFloats);
        var dqArgs = new KernelArgs();
        dqArgs.Add(dq).Add(dout).Add(q).Add(k).Add(v).Add(lse).Add(workspace).Add(start)
            .Add(t).Add(nh).Add(nkv).Add(hs).Add(scale).Add(dqRows);
        dqArgs.Launch(_runtime, Function("attention_backward_dq", dtype), new Dim3(Blocks(t, dqRows), (uint)nh, (uint)b),
            new Dim3(Threads), DqFloats(dqRows, hs) * sizeof(float));

        var keyRows = Rows(hs, DkDvFloats);
        var kvArgs = new KernelArgs();
        kvArgs.Add(dk).Add(dv).Add(dout).Add(q).Add(k).Add(v).Add(lse).Add(workspace).Add(start)
            .Add(t).Add(nh).Add(nkv).Add(hs).Add(scale).Add(keyRows);
        kvArgs.Launch(_runtime, Function("attention_backward_dkdv", dtype), new Dim3(Blocks(t, keyRows), (uint)nkv, (uint)b),
            new Dim3(Threads), DkDvFloats(keyRows, hs) * sizeof(float));
    }

    /// <summary>Key splits of a decode step over cache slots [0, length): one block per 128.</summary>
    private static int DecodeSplits(int length) => Math.Max(1, (length + DecodeSplit - 1) / DecodeSplit);

    /// <summary>Floats of f32 workspace <see cref="Decode"/> needs: the splits' partial outputs, none for one split.</summary>
    public static long DecodeWorkspaceFloats(int b, int nh, int hs, int length) =>
        DecodeSplits(length) == 1 ? 0 : (long)b * nh * DecodeSplits(length) * (hs + 2);

    /// <summary>
    /// o (B, NH·HS) (=) of one query per row, q (B, NH·HS), over the cache slots start_b ≤ s &lt; length of
    /// kCache, vCache (B, NKV, Tmax, HS), with <see cref="DecodeWorkspaceFloats"/> f32 of workspace.
    /// </summary>
    public void Decode(DevicePtr o, DevicePtr workspace, DevicePtr q, DevicePtr kCache, DevicePtr vCache, DevicePtr start,
        int length, int tMax, int b, int nh, int nkv, int hs, DType dtype)
    {
        if (b == 0) return;
        var splits = DecodeSplits(length);
        var group = nh / nkv;
        var chunks = (group + DecodeMaxHeads - 1) / DecodeMaxHeads;
        var args = new KernelArgs();
        args.Add(o).Add(workspace).Add(q).Add(kCache).Add(vCache).Add(start)
            .Add(length).Add(tMax).Add(nh).Add(nkv).Add(hs).Add(Scale(hs)).Add(splits);
        args.Launch(_runtime, Function("attention_decode", dtype), new Dim3((uint)splits, checked((uint)(nkv * chunks)), (uint)b),
            new Dim3(Threads), DecodeFloats(Math.Min(group, DecodeMaxHeads), hs) * sizeof(float));
        if (splits == 1) return;
        var combine = new KernelArgs();
        combine.Add(o).Add(workspace).Add(hs).Add(splits);
        combine.Launch(_runtime, Function("attention_decode_combine", dtype), new Dim3(checked((uint)(b * nh))), new Dim3(Threads));
    }

    /// <summary>kCache, vCache (B, NKV, Tmax, HS) slots [pos, pos + T) = k, v (B·T, NKV·HS) (=).</summary>
    public void CacheWrite(DevicePtr kCache, DevicePtr vCache, DevicePtr k, DevicePtr v, int pos, int b, int t, int nkv,
        int hs, int tMax, DType dtype)
    {
        var n = (long)b * t * nkv * hs;
        if (n == 0) return;
        var (grid, block) = GridStride.For(n);
        var args = new KernelArgs();
        args.Add(kCache).Add(vCache).Add(k).Add(v).Add(pos).Add(t).Add(nkv).Add(hs).Add(tMax).Add(n);
        args.Launch(_runtime, Function("kv_cache_write", dtype), grid, block);
    }

    public void Dispose() => _module.Dispose();

    /// <summary>
    /// BR for a tiled kernel whose shared memory is <paramref name="floats"/>(BR, HS) floats: the largest of 32, 16, 8, 4
    /// with BR · HS4 ≤ 4096 that fits <see cref="SharedMemoryLimit"/>.
    /// </summary>
    private static int Rows(int hs, Func<int, int, int> floats)
    {
        foreach (var rows in (ReadOnlySpan<int>)[32, 16, 8, 4])
            if (rows * Hs4(hs) <= MaxCellFloats && floats(rows, hs) * sizeof(float) <= SharedMemoryLimit) return rows;
        throw new NotSupportedException($"attention: head size {hs} does not fit the kernels' tiles (at most {MaxHeadDim})");
    }

    /// <summary>Forward tiles: queries (BR, HS4), keys (32, HSP), values (32, HS4), p (32, BR + 4), two (BR).</summary>
    private static int ForwardFloats(int rows, int hs) => rows * Hs4(hs) + Tile * Hsp(hs) + Tile * Hs4(hs) + Tile * (rows + 4) + 2 * rows;

    /// <summary>dq tiles: queries, dout (BR, HS4), keys, values (32, HSP), ds (32, BR + 4), lse, delta (BR).</summary>
    private static int DqFloats(int rows, int hs) => 2 * rows * Hs4(hs) + 2 * Tile * Hsp(hs) + Tile * (rows + 4) + 2 * rows;

    /// <summary>dk/dv tiles: keys, values (BR, HS4), queries, dout (32, HSP), p, ds (32, BR + 4), lse, delta (32).</summary>
    private static int DkDvFloats(int rows, int hs) => 2 * rows * Hs4(hs) + 2 * Tile * Hsp(hs) + 2 * Tile * (rows + 4) + 2 * Tile;

    /// <summary>Decode: queries (hb, HS4), staged keys (4, 32, 68), p (4, hb, 32), maxima and denominators (4, hb).</summary>
    private static int DecodeFloats(int heads, int hs) => heads * Hs4(hs) + DecodeKeyFloats + Warps * heads * 32 + 2 * Warps * heads;

    /// <summary>HS rounded up to 4: a staged row's columns.</summary>
    private static int Hs4(int hs) => (hs + 3) & ~3;

    /// <summary>The row stride of lane-indexed tiles: HS4, plus 4 when HS4/4 is even (conflict-free 128-bit reads).</summary>
    private static int Hsp(int hs) => Hs4(hs) / 4 % 2 == 1 ? Hs4(hs) : Hs4(hs) + 4;

    private static uint Blocks(int t, int rows) => (uint)((t + rows - 1) / rows);

    private KernelFunction Function(string kernel, DType dtype) => _functions[(kernel, dtype)];
}
