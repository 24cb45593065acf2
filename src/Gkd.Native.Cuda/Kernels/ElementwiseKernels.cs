using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/elementwise.cu: fill, add, axpy, scale, bias add and backward, sum of squares. Element-wise
/// kernels run on the <see cref="PackedGrid"/> shape; dtypes pick the kernel variant (f32 or bf16 storage, outputs
/// first). The two reductions take an f32 workspace from the caller, sized by <see cref="BiasGradChunks"/> and
/// <see cref="SumOfSquaresPartials"/>; both are deterministic (fixed partitions from the sizes alone, no atomics).
/// </summary>
public sealed class ElementwiseKernels(IKernelRuntime runtime) : IDisposable
{
    private const uint ReduceThreads = 256;

    private readonly ModuleFunctions _kernels = new(runtime, "elementwise");

    /// <summary>dst (n) = bits, for 4-byte (f32, i32) or 2-byte (bf16, f16; the low 16 bits) elements.</summary>
    public void Fill(DevicePtr dst, uint bits, int elementBytes, long n)
    {
        var name = elementBytes switch
        {
            4 => "fill_b32",
            2 => "fill_b16",
            _ => throw new ArgumentOutOfRangeException(nameof(elementBytes), elementBytes, "fill: 4- or 2-byte elements"),
        };
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(dst).Add(bits).Add(n);
        Launch(name, ref args, n);
    }

    /// <summary>y (n) = a (n) + b (n), all <paramref name="dtype"/>; y may alias a or b.</summary>
    public void Add(DevicePtr y, DevicePtr a, DevicePtr b, long n, DType dtype)
    {
        var name = $"add_{KernelDTypes.Suffix(dtype)}";
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(a).Add(b).Add(n);
        Launch(name, ref args, n);
    }

    /// <summary>y (n) += alpha · x (n), with one rounding in f32 (fused multiply-add).</summary>
    public void Axpy(DevicePtr y, DevicePtr x, float alpha, long n, DType yType, DType xType)
    {
        var name = $"axpy_{KernelDTypes.Suffix(yType)}_{KernelDTypes.Suffix(xType)}";
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(x).Add(alpha).Add(n);
        Launch(name, ref args, n);
    }

    /// <summary>y (n) *= alpha.</summary>
    public void Scale(DevicePtr y, float alpha, long n, DType dtype)
    {
        var name = $"scale_{KernelDTypes.Suffix(dtype)}";
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(alpha).Add(n);
        Launch(name, ref args, n);
    }

    /// <summary>y (rows, cols) += bias (cols).</summary>
    public void AddBias(DevicePtr y, DevicePtr bias, long rows, int cols, DType yType, DType biasType)
    {
        var name = $"add_bias_{KernelDTypes.Suffix(yType)}_{KernelDTypes.Suffix(biasType)}";
        if (rows == 0 || cols == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(bias).Add(rows).Add(cols);
        Launch(name, ref args, rows * cols);
    }

    /// <summary>
    /// The first stage's row partition for <paramref name="rows"/> rows: chunks of at least 32 rows, at most 256
    /// chunks. The workspace of <see cref="AddBiasBackward"/> is Chunks × cols floats.
    /// </summary>
    public static (int Chunks, long RowsPerChunk) BiasGradChunks(long rows)
    {
        var perChunk = Math.Max(32, (rows + 255) / 256);
        return ((int)((rows + perChunk - 1) / perChunk), perChunk);
    }

    /// <summary>
    /// dbias (cols) += Σ rows of dy (rows, cols) (+=): per-chunk column sums into partial (chunks, cols) f32, then
    /// each column's partials added in chunk order.
    /// </summary>
    public void AddBiasBackward(DevicePtr dbias, DevicePtr dy, DevicePtr partial, long rows, int cols, DType dbiasType, DType dyType)
    {
        var partialName = $"bias_grad_partial_{KernelDTypes.Suffix(dyType)}";
        var finishName = $"bias_grad_finish_{KernelDTypes.Suffix(dbiasType)}";
        if (rows == 0 || cols == 0) return;
        var (chunks, rowsPerChunk) = BiasGradChunks(rows);
        var stage1 = new KernelArgs();
        stage1.Add(partial).Add(dy).Add(rows).Add(cols).Add(rowsPerChunk);
        stage1.Launch(runtime, _kernels[partialName],
            new Dim3(((uint)cols + ReduceThreads - 1) / ReduceThreads, (uint)chunks), new Dim3(ReduceThreads));
        var stage2 = new KernelArgs();
        stage2.Add(dbias).Add(partial).Add(chunks).Add(cols);
        var (grid, block) = GridStride.For(cols);
        stage2.Launch(runtime, _kernels[finishName], grid, block);
    }

    /// <summary>The workspace of <see cref="SumOfSquares"/>: one f32 partial per block of the element-wise grid.</summary>
    public static int SumOfSquaresPartials(long n) => n == 0 ? 0 : (int)PackedGrid.For(n).Grid.X;

    /// <summary>
    /// result (1) f32 = Σ x (n)² (+= when accumulate): per-block sums into partial (SumOfSquaresPartials(n)) f32,
    /// then one block adds them in a fixed order.
    /// </summary>
    public void SumOfSquares(DevicePtr result, DevicePtr x, DevicePtr partial, long n, bool accumulate, DType xType)
    {
        var name = $"sum_squares_partial_{KernelDTypes.Suffix(xType)}";
        if (n > 0)
        {
            var stage1 = new KernelArgs();
            stage1.Add(partial).Add(x).Add(n);
            Launch(name, ref stage1, n);
        }
        var stage2 = new KernelArgs();
        stage2.Add(result).Add(partial).Add(SumOfSquaresPartials(n)).Add(accumulate ? 1 : 0);
        stage2.Launch(runtime, _kernels["sum_squares_finish"], new Dim3(1), new Dim3(ReduceThreads));
    }

    public void Dispose() => _kernels.Dispose();

    private void Launch(string name, ref KernelArgs args, long n)
    {
        var (grid, block) = PackedGrid.For(n);
        args.Launch(runtime, _kernels[name], grid, block);
    }
}
