namespace Gkd.Native.Training.Data;

/// <summary>
/// A left-padded batch: row b's real tokens fill positions Start[b] .. T-1, so every row's last token sits at T-1
/// (what KV-cached generation wants). Row-major (B, T) arrays.
/// </summary>
public sealed class ChatBatch
{
    /// <summary>The value of <see cref="Labels"/> at positions that are not trained on (prompt and padding).</summary>
    public const int IgnoreIndex = -100;

    public required int B { get; init; }

    /// <summary>Width of the batch: the longest prompt + completion.</summary>
    public required int T { get; init; }

    /// <summary>(B, T) prompt + completion ids, left-padded with the tokenizer's pad id.</summary>
    public required int[] InputIds { get; init; }

    /// <summary>(B, T) 1 on real tokens, 0 on padding.</summary>
    public required int[] AttentionMask { get; init; }

    /// <summary>(B, T) the completion ids at completion positions, <see cref="IgnoreIndex"/> on prompt and padding.
    /// Not shifted: logits at position t-1 predict Labels[t].</summary>
    public required int[] Labels { get; init; }

    /// <summary>(B) number of left pads of each row = its first real position.</summary>
    public required int[] Start { get; init; }

    /// <summary>Width of the prompt block: the longest prompt.</summary>
    public required int PromptT { get; init; }

    /// <summary>(B, PromptT) prompt ids alone, left-padded: the input of on-policy generation.</summary>
    public required int[] PromptIds { get; init; }

    /// <summary>(B) number of left pads of each row of <see cref="PromptIds"/>.</summary>
    public required int[] PromptStart { get; init; }

    /// <summary>(B) prompt length of each row; PromptStart[b] + PromptLength[b] = PromptT.</summary>
    public required int[] PromptLength { get; init; }

    /// <summary>
    /// The loss's normaliser: positions t ≥ 1 (per row) with Labels[t] ≠ -100, i.e. the labels left after the causal
    /// shift drops position 0. Rows from ChatCollator.Tokenize keep at least one prompt token, so for them this is the
    /// total completion length.
    /// </summary>
    public required int CompletionTokenCount { get; init; }
}
