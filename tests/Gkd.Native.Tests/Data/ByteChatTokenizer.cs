using System.Text;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Tests.Data;

/// <summary>
/// Test double of a checkpoint tokenizer: a ChatML template ("&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n"
/// per message, then the generation prompt) and an encoding of one id per UTF-8 byte (0..255), the special tokens
/// &lt;|im_start|&gt; 256, &lt;|im_end|&gt; 257 (EOS), &lt;|endoftext|&gt; 258 (pad), and optional extra "merges":
/// strings that encode as one id, matched greedily (longest first) so token boundaries can differ from text ones.
/// </summary>
internal sealed class ByteChatTokenizer : IChatTokenizer
{
    public const int ImStart = 256, ImEnd = 257, EndOfText = 258;
    public const string QwenGenerationPrompt = "<|im_start|>assistant\n";

    private readonly string _generationPrompt;
    private readonly Dictionary<string, int> _pieces;

    public ByteChatTokenizer(string generationPrompt = QwenGenerationPrompt, IReadOnlyDictionary<string, int>? merges = null)
    {
        _generationPrompt = generationPrompt;
        _pieces = new Dictionary<string, int> { ["<|im_start|>"] = ImStart, ["<|im_end|>"] = ImEnd, ["<|endoftext|>"] = EndOfText };
        foreach (var (text, id) in merges ?? new Dictionary<string, int>()) _pieces[text] = id;
    }

    public int PadTokenId => EndOfText;
    public int EosTokenId => ImEnd;
    public int VocabSize => _pieces.Values.Max() + 1;

    /// <summary>The byte ids of text alone (no specials, no merges): the expected-value helper of the tests.</summary>
    public static int[] Bytes(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        for (var i = 0; i < text.Length;)
        {
            var piece = _pieces.Keys.Where(p => text.AsSpan(i).StartsWith(p)).MaxBy(p => p.Length);
            if (piece is not null)
            {
                ids.Add(_pieces[piece]);
                i += piece.Length;
                continue;
            }
            var width = char.IsHighSurrogate(text[i]) ? 2 : 1;
            ids.AddRange(Bytes(text.Substring(i, width)));
            i += width;
        }
        return [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id < 256)
            {
                bytes.Add((byte)id);
                continue;
            }
            text.Append(Encoding.UTF8.GetString([.. bytes]));
            bytes.Clear();
            var piece = _pieces.First(p => p.Value == id).Key;
            if (!skipSpecialTokens || id > EndOfText) text.Append(piece);
        }
        return text.Append(Encoding.UTF8.GetString([.. bytes])).ToString();
    }

    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var m in messages) text.Append($"<|im_start|>{m.Role}\n{m.Content}<|im_end|>\n");
        if (addGenerationPrompt) text.Append(_generationPrompt);
        return text.ToString();
    }
}
