using Gkd.Native.Training.Text;

namespace Gkd.Native.Cli.Bench;

/// <summary>The tokenizer of synthetic token data: it knows the special ids the collator and generator need and no text.</summary>
internal sealed class SyntheticTokenizer(int vocabSize, int padTokenId, int eosTokenId) : IChatTokenizer
{
    public int PadTokenId { get; } = padTokenId;
    public int EosTokenId { get; } = eosTokenId;
    public int VocabSize { get; } = vocabSize;

    public int[] Encode(string text) => throw new NotSupportedException("synthetic benchmark data is token ids, not text");

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens) => "[" + string.Join(' ', ids.ToArray()) + "]";

    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        throw new NotSupportedException("synthetic benchmark data has no chat template");
}
