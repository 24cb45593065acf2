using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Largest vocabulary Sample takes: its top-k counts are f32 sums, exact below 2²⁴.</summary>
    public const int MaxSampleVocabulary = 1 << 24;

    private SamplingKernels? _sampling;

    /// <summary>
    /// See <see cref="Core.Backends.IBackend.Sample"/>: tokens (B) i32 drawn from logits (B, V) f32 or bf16 with
    /// temperature (0 = greedy), topK (0 = off), topP (1 = off) and u_b = Philox.Uniform(seed, offset + b). One launch of
    /// kernels/sampling.cu; nothing waits for the host.
    /// </summary>
    public void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset)
    {
        const string op = "cuda Sample";
        if (logits.DType is not (DType.F32 or DType.BF16)) throw new ArgumentException($"{op}: logits {logits} must be f32 or bf16");
        var (rows, v) = (logits.Shape.Rows, logits.Shape.Cols);
        if (v is 0 or > MaxSampleVocabulary)
            throw new ArgumentException($"{op}: logits {logits} must have between 1 and {MaxSampleVocabulary} columns");
        if (tokens.DType != DType.I32 || tokens.Numel != rows)
            throw new ArgumentException($"{op}: tokens {tokens} must be i32 with one element per row of {logits}");
        if (!float.IsFinite(temperature) || temperature < 0f || (temperature > 0f && !float.IsFinite(1f / temperature)))
            throw new ArgumentException($"{op}: temperature = {temperature} must be 0 or a finite positive value with a finite reciprocal");
        if (topK < 0) throw new ArgumentException($"{op}: topK = {topK} must be ≥ 0 (0 = off)");
        if (topP is not (>= 0f and <= 1f)) throw new ArgumentException($"{op}: topP = {topP} is outside [0, 1] (1 = off)");
        Launcher(ref _sampling, () => new SamplingKernels(Runtime))
            .Sample(Ptr(tokens), Ptr(logits), logits.DType, rows, v, temperature, topK, topP, seed, offset);
    }
}
