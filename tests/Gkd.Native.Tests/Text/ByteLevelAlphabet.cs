namespace Gkd.Native.Tests.Text;

/// <summary>GPT-2's byte-to-char table, written out independently of the code under test.</summary>
public static class ByteLevelAlphabet
{
    private static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    /// <summary>The vocabulary spelling of one byte: itself when printable Latin-1, else U+0100 + its rank among the others.</summary>
    public static string Char(byte b) =>
        Printable(b) ? ((char)b).ToString() : ((char)(256 + Enumerable.Range(0, b).Count(x => !Printable(x)))).ToString();

    /// <summary>The vocabulary spelling of text's UTF-8 bytes.</summary>
    public static string Spell(string text) => string.Concat(System.Text.Encoding.UTF8.GetBytes(text).Select(Char));
}
