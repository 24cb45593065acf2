namespace Gkd.Native.Training.Data;

/// <summary>
/// A row as token ids, already truncated to max_length: the prompt (rendered with the generation prompt; never empty)
/// and the completion that follows it. The model's sequence is PromptIds + CompletionIds.
/// </summary>
public sealed record TokenizedExample(RowOrigin Origin, int[] PromptIds, int[] CompletionIds)
{
    public int Length => PromptIds.Length + CompletionIds.Length;
}
