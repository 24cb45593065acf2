using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Data;

/// <summary>
/// TRL's conversational GKD/SFT collation. The prompt is rendered with the generation prompt, the conversation
/// (prompt + completion) without it; the completion ids are what the full ids add after the prompt ids. Sequences
/// longer than max_length keep their last max_length tokens; rows are left-padded into a <see cref="ChatBatch"/>.
/// </summary>
public sealed class ChatCollator
{
    private readonly IChatTokenizer _tokenizer;
    private readonly int? _maxLength;

    /// <param name="maxLength">TRL's max_length; null keeps whole sequences.</param>
    public ChatCollator(IChatTokenizer tokenizer, int? maxLength)
    {
        if (maxLength is <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max_length must be positive");
        _tokenizer = tokenizer;
        _maxLength = maxLength;
    }

    /// <summary>
    /// prompt_ids = Encode(template(prompt, generation prompt)); full_ids = Encode(template(prompt + completion));
    /// completion_ids = full_ids[len(prompt_ids):] when full_ids starts with prompt_ids, else the encoding of the full
    /// text after the prompt text (which must be its prefix). Then left truncation to max_length.
    /// </summary>
    public TokenizedExample Tokenize(ChatExample example)
    {
        var promptText = _tokenizer.ApplyChatTemplate(example.Prompt, addGenerationPrompt: true);
        var fullText = _tokenizer.ApplyChatTemplate([.. example.Prompt, .. example.Completion], addGenerationPrompt: false);
        var promptIds = _tokenizer.Encode(promptText);
        var fullIds = _tokenizer.Encode(fullText);

        int[] completionIds;
        if (fullIds.AsSpan().StartsWith(promptIds))
            completionIds = fullIds[promptIds.Length..];
        else if (fullText.StartsWith(promptText, StringComparison.Ordinal))
            completionIds = _tokenizer.Encode(fullText[promptText.Length..]);
        else
            throw new DatasetException(
                $"{example.Origin}: the chat template's text for the prompt with the generation prompt is not a prefix " +
                "of its text for the whole conversation, so prompt and completion cannot be split");

        if (promptIds.Length == 0) throw new DatasetException($"{example.Origin}: the prompt renders to no tokens");
        var length = promptIds.Length + completionIds.Length;
        if (_maxLength is int maxLength && length > maxLength)
        {
            if (completionIds.Length >= maxLength)
                throw new DatasetException(
                    $"{example.Origin}: prompt entirely truncated: prompt {promptIds.Length} + completion " +
                    $"{completionIds.Length} tokens > max_length {maxLength}");
            promptIds = promptIds[(length - maxLength)..];
        }
        return new TokenizedExample(example.Origin, promptIds, completionIds);
    }

    /// <summary>Left-pads rows into a batch (also for rows whose completion was generated on-policy).</summary>
    public ChatBatch Collate(IReadOnlyList<TokenizedExample> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        int B = rows.Count, T = rows.Max(r => r.Length), promptT = rows.Max(r => r.PromptIds.Length);
        var pad = _tokenizer.PadTokenId;

        var inputIds = new int[B * T];         // (B, T)
        var attentionMask = new int[B * T];    // (B, T)
        var labels = new int[B * T];           // (B, T)
        var start = new int[B];                // (B)
        var promptIds = new int[B * promptT];  // (B, PromptT)
        var promptStart = new int[B];          // (B)
        var promptLength = new int[B];         // (B)
        inputIds.AsSpan().Fill(pad);
        labels.AsSpan().Fill(ChatBatch.IgnoreIndex);
        promptIds.AsSpan().Fill(pad);

        var completionTokens = 0;
        for (var b = 0; b < B; b++)
        {
            var row = rows[b];
            var prompt = row.PromptIds;
            var completion = row.CompletionIds;
            start[b] = T - row.Length;
            var rowIds = inputIds.AsSpan(b * T, T);
            prompt.CopyTo(rowIds[start[b]..]);
            completion.CopyTo(rowIds[(start[b] + prompt.Length)..]);
            attentionMask.AsSpan(b * T + start[b], row.Length).Fill(1);
            var completionStart = start[b] + prompt.Length;
            completion.CopyTo(labels.AsSpan(b * T + completionStart));
            completionTokens += T - Math.Max(completionStart, 1); // labels at t >= 1 (the shift drops t = 0)

            promptStart[b] = promptT - prompt.Length;
            promptLength[b] = prompt.Length;
            prompt.CopyTo(promptIds.AsSpan(b * promptT + promptStart[b]));
        }

        return new ChatBatch
        {
            B = B, T = T, InputIds = inputIds, AttentionMask = attentionMask, Labels = labels, Start = start,
            PromptT = promptT, PromptIds = promptIds, PromptStart = promptStart, PromptLength = promptLength,
            CompletionTokenCount = completionTokens,
        };
    }
}
