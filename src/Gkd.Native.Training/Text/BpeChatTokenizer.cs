using System.Runtime.InteropServices;
using System.Text;
using Gkd.Native.Training.Text.Jinja;
using Gkd.Native.Training.Text.Unicode;
using Microsoft.ML.Tokenizers;

namespace Gkd.Native.Training.Text;

/// <summary>
/// A checkpoint's byte-level BPE tokenizer and chat template (Qwen2, GPT-2 and Llama-3 style tokenizer.json files),
/// matching Hugging Face tokenizers id for id: added tokens are cut out of the raw text first, the rest is
/// NFC-normalised, split by the pre-tokenizer regex, and each word is merged by Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>. Thread-safe once loaded.
/// </summary>
public sealed class BpeChatTokenizer : IChatTokenizer
{
    private readonly string source;
    private readonly BpeTokenizer bpe;
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<string, int> addedIds;
    private readonly bool ignoreMerges;
    private readonly bool nfc;
    private readonly RegexSplitter splitter;
    private readonly AddedTokenMatcher rawTokens;
    private readonly AddedTokenMatcher normalizedTokens;
    private readonly string?[] tokenOfId;
    private readonly bool[] specialId;
    private readonly IReadOnlyDictionary<string, string?> specialTokens;
    private readonly Lazy<JinjaTemplate>? template;

    private BpeChatTokenizer(TokenizerDefinition definition)
    {
        source = definition.Source;
        vocabulary = definition.Vocabulary;
        ignoreMerges = definition.IgnoreMerges;
        nfc = definition.NfcNormalization;
        specialTokens = definition.SpecialTokens;
        addedIds = definition.AddedTokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        bpe = BpeTokenizer.Create(new BpeOptions(vocabulary) { Merges = definition.Merges, ByteLevel = true });
        splitter = new RegexSplitter(definition.SplitPattern, source);
        rawTokens = new AddedTokenMatcher(definition.AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedTokens = new AddedTokenMatcher(definition.AddedTokens.Where(t => t.Normalized)
            .Select(t => (nfc ? NfcNormalizer.Normalize(t.Content) : t.Content, t)));

        VocabSize = Math.Max(vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1,
            definition.AddedTokens.Count == 0 ? 0 : definition.AddedTokens.Max(t => t.Id) + 1);
        tokenOfId = new string?[VocabSize];
        specialId = new bool[VocabSize];
        foreach (var (token, id) in vocabulary) tokenOfId[id] = token;
        foreach (var token in definition.AddedTokens)
        {
            tokenOfId[token.Id] = token.Content;
            specialId[token.Id] = token.Special;
        }

        EosTokenId = IdOf("eos_token") ?? throw new InvalidDataException($"{source}: tokenizer_config.json sets no eos_token");
        PadTokenId = IdOf("pad_token") ?? EosTokenId;
        if (definition.ChatTemplate is { } text) template = new Lazy<JinjaTemplate>(() => JinjaTemplate.Parse(text));
    }

    /// <summary>
    /// Loads the tokenizer a checkpoint directory carries: tokenizer.json (or vocab.json + merges.txt) and
    /// tokenizer_config.json. Missing files throw <see cref="FileNotFoundException"/> naming the directory and what was
    /// expected; unsupported tokenizer kinds throw <see cref="InvalidDataException"/> naming the file and field.
    /// </summary>
    public static BpeChatTokenizer Load(string directory) => new(TokenizerFiles.Read(directory));

    public int PadTokenId { get; }

    public int EosTokenId { get; }

    public int VocabSize { get; }

    /// <summary>The id of a token string (an added token's content or a byte-level vocabulary entry), or null.</summary>
    public int? TokenToId(string token) =>
        addedIds.TryGetValue(token, out var id) || vocabulary.TryGetValue(token, out id) ? id : null;

    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        var words = new List<(int Start, int Length)>();
        foreach (var piece in rawTokens.Split(text))
        {
            if (piece.Token is not null)
            {
                ids.Add(piece.Token.Id);
                continue;
            }
            var segment = text.Substring(piece.Start, piece.Length);
            if (nfc) segment = NfcNormalizer.Normalize(segment);
            foreach (var part in normalizedTokens.Split(segment))
            {
                if (part.Token is not null) ids.Add(part.Token.Id);
                else EncodeWords(segment.AsSpan(part.Start, part.Length), words, ids);
            }
        }
        return ids.ToArray();
    }

    private void EncodeWords(ReadOnlySpan<char> text, List<(int Start, int Length)> words, List<int> ids)
    {
        words.Clear();
        splitter.Split(text, words);
        foreach (var (start, length) in words)
        {
            var word = text.Slice(start, length);
            if (ignoreMerges && vocabulary.TryGetValue(ByteLevel.Encode(word), out var whole)) ids.Add(whole);
            else ids.AddRange(bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <summary>
    /// The text of ids: token bytes concatenated and read as UTF-8, invalid sequences becoming U+FFFD (errors="replace").
    /// Ids the tokenizer does not know are skipped, as Hugging Face does.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize || tokenOfId[id] is not { } token) continue;
            if (skipSpecialTokens && specialId[id]) continue;
            ByteLevel.AppendTokenBytes(token, bytes);
        }
        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>
    /// The chat template rendered as transformers' apply_chat_template(tokenize=False) does: messages as
    /// {role, content} dicts, add_generation_prompt, tools and documents none, and the special tokens
    /// (bos_token, eos_token, pad_token, unk_token) that tokenizer_config.json sets.
    /// </summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        if (template is null)
            throw new InvalidOperationException(
                $"{source} has no chat template: expected tokenizer_config.json \"chat_template\" or a chat_template.jinja file");
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        foreach (var (name, token) in specialTokens)
            if (token is not null) variables[name] = token;
        return template.Value.Render(variables);
    }

    private int? IdOf(string specialTokenName) => specialTokens[specialTokenName] is { } token
        ? TokenToId(token) ?? throw new InvalidDataException($"{source}: {specialTokenName} \"{token}\" has no id")
        : null;
}
