using System.Text;

namespace Gkd.Native.Training.Text;

/// <summary>
/// GPT-2's byte-level alphabet: every byte maps to one printable char (printable Latin-1 bytes to themselves, the
/// rest to U+0100 upwards, so a space becomes 'Ġ'); vocabulary and merges are written in it.
/// </summary>
internal static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    /// <summary>The char that spells byte b.</summary>
    public static char Char(byte b) => ByteToChar[b];

    /// <summary>The byte-level spelling of text's UTF-8 bytes.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, bytes);
        return string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (var i = 0; i < b.Length; i++) chars[i] = ByteToChar[b[i]];
        });
    }

    /// <summary>
    /// Appends a token's bytes: the byte-level chars mapped back to bytes, or, when a char is outside the alphabet
    /// (added tokens are stored as plain text), the token's own UTF-8 bytes — as the Hugging Face ByteLevel decoder does.
    /// </summary>
    public static void AppendTokenBytes(string token, List<byte> output)
    {
        var start = output.Count;
        foreach (var c in token)
        {
            if (!CharToByte.TryGetValue(c, out var b))
            {
                output.RemoveRange(start, output.Count - start);
                output.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
            output.Add(b);
        }
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++) map[ByteToChar[b]] = (byte)b;
        return map;
    }
}
