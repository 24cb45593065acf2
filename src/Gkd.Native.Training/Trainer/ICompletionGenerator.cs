using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Trainer;

/// <summary>Samples completions for on-policy and sequence-level distillation.</summary>
public interface ICompletionGenerator
{
    /// <summary>
    /// One completion per prompt (token ids up to and including the first EOS, at most maxNewTokens), sampled from
    /// model at the given temperature (top_k off, top_p 1) with draws keyed by seed, so a call is reproducible.
    /// </summary>
    IReadOnlyList<int[]> Generate(Qwen2Model model, IReadOnlyList<int[]> prompts, double temperature, int maxNewTokens, ulong seed);
}
