using System.Runtime.InteropServices;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Generation;

/// <summary>
/// Text of a token stream as it grows, never cut inside a UTF-8 sequence: a byte-level token may end mid-character,
/// so tokens wait while their text ends in U+FFFD (a sequence that the next token may complete) and go out together
/// once it does not. Cutting only where the text is complete makes the pieces add up to the decode of all tokens.
/// </summary>
public sealed class IncrementalDecoder(IChatTokenizer tokenizer, bool skipSpecialTokens = true)
{
    private readonly List<int> _pending = [];

    /// <summary>The text that token completes: empty while a character is still open.</summary>
    public string Add(int token)
    {
        _pending.Add(token);
        var text = tokenizer.Decode(CollectionsMarshal.AsSpan(_pending), skipSpecialTokens);
        if (text.EndsWith('\uFFFD')) return "";
        _pending.Clear();
        return text;
    }

    /// <summary>What is still held back at the end of the stream (an incomplete sequence decodes to U+FFFD).</summary>
    public string Flush()
    {
        var text = tokenizer.Decode(CollectionsMarshal.AsSpan(_pending), skipSpecialTokens);
        _pending.Clear();
        return text;
    }
}
