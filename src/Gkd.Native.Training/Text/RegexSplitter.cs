using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gkd.Native.Training.Text;

/// <summary>
/// The Split pre-tokeniser with "Isolated" behaviour: every regex match is a word, and so is any text between matches.
/// .NET's regex sees a character outside the BMP as two surrogates (category Cs), where Hugging Face's regex sees one
/// letter, digit or symbol; such characters are matched through a stand-in BMP character of the same Unicode category.
/// </summary>
internal sealed class RegexSplitter
{
    private static readonly char[] StandIns = BuildStandIns();
    private readonly Regex regex;

    public RegexSplitter(string pattern, string source)
    {
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: the pre-tokenizer regex {pattern} does not compile in .NET: {e.Message}", e);
        }
    }

    /// <summary>Adds the (start, length) of each word of text to words, in order, covering all of it.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        if (!text.ContainsAnyInRange('\ud800', '\udfff'))
        {
            AddMatches(text, words, null);
            return;
        }
        var mapped = new StringBuilder(text.Length);
        var original = new List<int>(text.Length + 1); // original[i]: where mapped char i starts in text
        for (var i = 0; i < text.Length; i++)
        {
            original.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                mapped.Append(StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]))]);
                i++;
            }
            else mapped.Append(text[i]);
        }
        original.Add(text.Length);
        AddMatches(mapped.ToString(), words, original);
    }

    private void AddMatches(ReadOnlySpan<char> text, List<(int, int)> words, List<int>? original)
    {
        var done = 0;
        foreach (var match in regex.EnumerateMatches(text))
        {
            if (match.Length == 0) continue;
            if (match.Index > done) Add(done, match.Index, words, original);
            Add(match.Index, match.Index + match.Length, words, original);
            done = match.Index + match.Length;
        }
        if (done < text.Length) Add(done, text.Length, words, original);
    }

    private static void Add(int start, int end, List<(int, int)> words, List<int>? original)
    {
        if (original is not null) (start, end) = (original[start], original[end]);
        words.Add((start, end - start));
    }

    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        for (var c = '\uffff'; c >= '\u0080'; c--)
            if (!char.IsSurrogate(c)) standIns[(int)CharUnicodeInfo.GetUnicodeCategory(c)] = c;
        return standIns;
    }
}
