namespace Gkd.Native.Training.Text;

/// <summary>What the collator, generator and trainer need from a checkpoint's tokenizer and chat template.</summary>
public interface IChatTokenizer
{
    /// <summary>Token ids of text without adding BOS/EOS; special-token strings in text ("&lt;|im_end|&gt;") map to their ids.</summary>
    int[] Encode(string text);

    /// <summary>
    /// Text of ids; special tokens are dropped when skipSpecialTokens. Bytes that are not valid UTF-8 (a sequence cut
    /// mid-character) become U+FFFD; ids the tokenizer does not know are skipped.
    /// </summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens);

    /// <summary>The checkpoint's chat template rendered over messages (transformers' apply_chat_template, tokenize=False).</summary>
    string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    /// <summary>The pad id (tokenizer_config's pad_token; else the EOS id).</summary>
    int PadTokenId { get; }

    /// <summary>tokenizer_config's eos_token id.</summary>
    int EosTokenId { get; }

    /// <summary>
    /// Number of ids the tokenizer can produce (base vocabulary plus added tokens: 151646 for Qwen2, fewer than the
    /// model's 151936 embedding rows).
    /// </summary>
    int VocabSize { get; }
}
