using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

/// <summary>
/// The backend contract: memory, copies, and one method per op (forward and backward, side by side in the
/// IBackend.*.cs files). Argument order everywhere: outputs, inputs, sizes/scalars. Tensors are contiguous; an
/// op reads an n-d tensor as its 2-D (Rows, Cols) view unless it says otherwise. Each backward says whether it
/// writes (=) or accumulates (+=) into its outputs.
/// </summary>
public partial interface IBackend : IDisposable
{
    string Name { get; }

    /// <summary>The dtype activations and their gradients are kept in (f32 on the CPU, bf16 on CUDA).</summary>
    DType ActivationDType { get; }

    /// <summary>A new tensor with undefined contents.</summary>
    Tensor Allocate(Shape shape, DType dtype);

    /// <summary>dst = value (converted to dst's dtype).</summary>
    void Fill(Tensor dst, float value);

    /// <summary>dst = bytes, raw in dst's dtype; bytes.Length must equal dst.ByteLength.</summary>
    void CopyFromHost(Tensor dst, ReadOnlySpan<byte> bytes);

    /// <summary>bytes = src, raw in src's dtype; bytes.Length must equal src.ByteLength.</summary>
    void CopyToHost(Span<byte> bytes, Tensor src);

    /// <summary>dst = src with dtype conversion (float types round to nearest even); same element count.</summary>
    void Copy(Tensor dst, Tensor src);

    /// <summary>Waits for queued work (a no-op on the CPU).</summary>
    void Synchronize();
}
