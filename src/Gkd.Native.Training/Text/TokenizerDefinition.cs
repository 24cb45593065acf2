namespace Gkd.Native.Training.Text;

/// <summary>Everything a checkpoint's tokenizer files say, as <see cref="TokenizerFiles"/> reads it.</summary>
/// <param name="Source">The directory, for error messages.</param>
/// <param name="Vocabulary">Byte-level token string to id (added tokens not included).</param>
/// <param name="Merges">BPE merges in rank order, each "left right".</param>
/// <param name="SplitPattern">The pre-tokeniser regex words are split with.</param>
/// <param name="IgnoreMerges">A word found whole in the vocabulary is one token (Llama-3 style BPE).</param>
/// <param name="SpecialTokens">bos/eos/pad/unk token strings from tokenizer_config.json (null when unset).</param>
/// <param name="ChatTemplate">The Jinja chat template, or null when the checkpoint has none.</param>
internal sealed record TokenizerDefinition(
    string Source,
    Dictionary<string, int> Vocabulary,
    IReadOnlyList<string> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    bool NfcNormalization,
    string SplitPattern,
    bool IgnoreMerges,
    IReadOnlyDictionary<string, string?> SpecialTokens,
    string? ChatTemplate);
