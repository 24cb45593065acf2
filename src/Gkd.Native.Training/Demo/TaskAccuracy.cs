using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Exact-match task accuracy: the model's greedy reply to each prompt (temperature 0, stopping at EOS), decoded
/// without special tokens, must equal the reference answer character for character.
/// </summary>
public static class TaskAccuracy
{
    private const int BatchSize = 64;

    /// <summary>The fraction of predictions equal to their answers (0 for none).</summary>
    public static double ExactMatch(IReadOnlyList<string> predictions, IReadOnlyList<string> answers)
    {
        if (predictions.Count != answers.Count)
            throw new ArgumentException($"{predictions.Count} predictions for {answers.Count} answers");
        if (answers.Count == 0) return 0;
        var right = 0;
        for (var i = 0; i < answers.Count; i++)
            if (string.Equals(predictions[i], answers[i], StringComparison.Ordinal)) right++;
        return (double)right / answers.Count;
    }

    /// <summary>
    /// Greedy replies to the prompts (token ids rendered with the generation prompt), at most maxNewTokens each: one
    /// more than the longest answer, so a reply that does not stop in time cannot match.
    /// </summary>
    public static string[] Replies(Qwen2Model model, IChatTokenizer tokenizer, IReadOnlyList<int[]> prompts, int maxNewTokens)
    {
        var generator = new Generator(model);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            Temperature = 0f,
            EosTokenIds = [tokenizer.EosTokenId],
            PadTokenId = tokenizer.PadTokenId,
        };
        var replies = new List<string>(prompts.Count);
        foreach (var chunk in prompts.Chunk(BatchSize))
        {
            var result = generator.Generate(PromptBatch.LeftPad(chunk, tokenizer.PadTokenId), options, seed: 0);
            replies.AddRange(result.Completions.Select(c => tokenizer.Decode(c, skipSpecialTokens: true)));
        }
        return replies.ToArray();
    }
}
