namespace Gkd.Native.Training.Generation;

/// <summary>
/// The tokens <see cref="Generator.Generate"/> sampled: each row's completion (up to and including its first EOS, or
/// max_new_tokens tokens) and the same as a padded (B, Tnew) block, Tnew the longest completion (the steps run).
/// </summary>
public sealed class GenerationResult
{
    public required int Batch { get; init; }

    /// <summary>Tnew: steps run, the longest completion.</summary>
    public required int NewTokens { get; init; }

    /// <summary>Per row, the sampled ids up to and including the first EOS.</summary>
    public required IReadOnlyList<int[]> Completions { get; init; }

    /// <summary>(B, Tnew) row-major: each completion followed by the pad id.</summary>
    public required int[] Tokens { get; init; }

    /// <summary>Per row, whether its completion ends with an EOS (else it reached max_new_tokens).</summary>
    public required bool[] Finished { get; init; }

    /// <summary>Wall time of the whole call (prefill and every decode step, until the last tokens were read).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Wall time of the prefill and the first token's sampling.</summary>
    public required TimeSpan PrefillElapsed { get; init; }
}
