using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private ElementwiseKernels? _elementwise;

    private ElementwiseKernels ElementwiseOps => Launcher(ref _elementwise, () => new ElementwiseKernels(Runtime));

    /// <summary>dst = value in dst's dtype (f32, bf16 rounded to nearest even, f16, i32 truncated), as the CPU backend.</summary>
    public void Fill(Tensor dst, float value)
    {
        var (bits, bytes) = dst.DType switch
        {
            DType.F32 => (BitConverter.SingleToUInt32Bits(value), 4),
            DType.I32 => ((uint)(int)value, 4),
            DType.BF16 => (BFloat16Bits.FromSingle(value), 2),
            DType.F16 => (BitConverter.HalfToUInt16Bits((Half)value), 2),
            _ => throw new ArgumentException($"cuda {nameof(Fill)}: unknown dtype {dst.DType}"),
        };
        ElementwiseOps.Fill(Ptr(dst), bits, bytes, dst.Numel);
    }

    /// <summary>y = a + b, all one dtype (f32 or bf16) with the same (rows, cols) view; y may alias a or b.</summary>
    public void Add(Tensor y, Tensor a, Tensor b)
    {
        const string op = nameof(Add);
        OpCheck.KernelFloat(op, "y", y); OpCheck.SameDType(op, "y", y, "a", a); OpCheck.SameDType(op, "y", y, "b", b);
        OpCheck.SameView(op, "y", y, "a", a); OpCheck.SameView(op, "y", y, "b", b);
        ElementwiseOps.Add(Ptr(y), Ptr(a), Ptr(b), y.Numel, y.DType);
    }

    /// <summary>y += alpha · x (fused multiply-add), each f32 or bf16, with the same (rows, cols) view.</summary>
    public void Axpy(Tensor y, Tensor x, float alpha)
    {
        const string op = nameof(Axpy);
        OpCheck.KernelFloat(op, "y", y); OpCheck.KernelFloat(op, "x", x);
        OpCheck.SameView(op, "y", y, "x", x);
        ElementwiseOps.Axpy(Ptr(y), Ptr(x), alpha, y.Numel, y.DType, x.DType);
    }

    /// <summary>y *= alpha, y f32 or bf16.</summary>
    public void Scale(Tensor y, float alpha)
    {
        OpCheck.KernelFloat(nameof(Scale), "y", y);
        ElementwiseOps.Scale(Ptr(y), alpha, y.Numel, y.DType);
    }

    /// <summary>y (N, C) += bias (C), each f32 or bf16.</summary>
    public void AddBias(Tensor y, Tensor bias)
    {
        const string op = nameof(AddBias);
        OpCheck.KernelFloat(op, "y", y); OpCheck.KernelFloat(op, "bias", bias);
        OpCheck.Numel(op, "bias", bias, y.Shape.Cols);
        ElementwiseOps.AddBias(Ptr(y), Ptr(bias), y.Shape.Rows, y.Shape.Cols, y.DType, bias.DType);
    }

    /// <summary>
    /// dbias (C) += Σₙ dy (N, C) (+=), each f32 or bf16; deterministic (fixed row chunks summed in order). The f32
    /// workspace comes from the arena and goes back at once: later work on the one stream runs after this.
    /// </summary>
    public void AddBiasBackward(Tensor dbias, Tensor dy)
    {
        const string op = nameof(AddBiasBackward);
        OpCheck.KernelFloat(op, "dbias", dbias); OpCheck.KernelFloat(op, "dy", dy);
        var (rows, cols) = (dy.Shape.Rows, dy.Shape.Cols);
        OpCheck.Numel(op, "dbias", dbias, cols);
        if (rows == 0 || cols == 0) return;
        var partial = Arena.Allocate(ElementwiseKernels.BiasGradChunks(rows).Chunks * (long)cols * sizeof(float)); // (chunks, C) f32
        try
        {
            ElementwiseOps.AddBiasBackward(Ptr(dbias), Ptr(dy), partial, rows, cols, dbias.DType, dy.DType);
        }
        finally
        {
            Arena.Free(partial);
        }
    }

    /// <summary>
    /// result (1) f32 = Σ x² (+= when accumulate), x f32 or bf16 of any shape; deterministic (per-block partials of
    /// a grid fixed by the element count, added in order). Workspace as in <see cref="AddBiasBackward"/>.
    /// </summary>
    public void SumOfSquares(Tensor result, Tensor x, bool accumulate)
    {
        const string op = nameof(SumOfSquares);
        OpCheck.F32(op, "result", result); OpCheck.Numel(op, "result", result, 1);
        OpCheck.KernelFloat(op, "x", x);
        var partial = Arena.Allocate(Math.Max(1, ElementwiseKernels.SumOfSquaresPartials(x.Numel)) * (long)sizeof(float)); // (blocks) f32
        try
        {
            ElementwiseOps.SumOfSquares(Ptr(result), Ptr(x), partial, x.Numel, accumulate, x.DType);
        }
        finally
        {
            Arena.Free(partial);
        }
    }
}
