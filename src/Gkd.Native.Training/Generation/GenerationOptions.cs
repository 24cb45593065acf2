namespace Gkd.Native.Training.Generation;

/// <summary>
/// How <see cref="Generator"/> samples: up to <see cref="MaxNewTokens"/> tokens per row with temperature (0 =
/// greedy), top-k (0 = off) and top-p (1 = off) as transformers applies them; a row ends at its first token in
/// <see cref="EosTokenIds"/> and gets <see cref="PadTokenId"/> after it.
/// </summary>
public sealed record GenerationOptions
{
    public required int MaxNewTokens { get; init; }

    /// <summary>Logits are divided by it before the filters; 0 picks the most likely token (lowest id on ties).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep the k most likely tokens (and ties of the k-th); 0 disables it.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the most likely tokens until their probability reaches top_p (at least one); 1 disables it.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Any of these ends a row (generation_config's eos_token_id); empty: rows run to max_new_tokens.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    /// <summary>Written after a row's EOS in the padded block.</summary>
    public required int PadTokenId { get; init; }

    /// <summary>Throws for settings the sampler cannot use with a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public void Validate(int vocabSize)
    {
        if (MaxNewTokens <= 0) throw new ArgumentException($"max_new_tokens must be positive, got {MaxNewTokens}");
        if (!(Temperature >= 0f && float.IsFinite(Temperature))) throw new ArgumentException($"temperature must be finite and ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top_k must be ≥ 0 (0 = off), got {TopK}");
        if (!(TopP > 0f && TopP <= 1f)) throw new ArgumentException($"top_p must lie in (0, 1], got {TopP}");
        if (PadTokenId < 0 || PadTokenId >= vocabSize) throw new ArgumentException($"pad_token_id {PadTokenId} is outside the vocabulary [0, {vocabSize})");
        foreach (var id in EosTokenIds)
            if (id < 0 || id >= vocabSize) throw new ArgumentException($"eos_token_id {id} is outside the vocabulary [0, {vocabSize})");
    }
}
