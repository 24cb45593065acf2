using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Trainer;

/// <summary>
/// The trainer's completions from <see cref="Generator"/>: left-padded prompts, top_k off and top_p 1 as TRL's GKD
/// sets them, stopping at any of the student's EOS ids.
/// </summary>
public sealed class SamplingGenerator(IReadOnlyList<int> eosTokenIds, int padTokenId) : ICompletionGenerator
{
    public IReadOnlyList<int[]> Generate(Qwen2Model model, IReadOnlyList<int[]> prompts, double temperature, int maxNewTokens, ulong seed)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            Temperature = (float)temperature,
            TopK = 0,
            TopP = 1f,
            EosTokenIds = eosTokenIds,
            PadTokenId = padTokenId,
        };
        return new Generator(model).Generate(PromptBatch.LeftPad(prompts, padTokenId), options, seed).Completions;
    }
}
