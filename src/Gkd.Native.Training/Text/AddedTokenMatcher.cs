using System.Buffers;
using System.Globalization;
using System.Text;

namespace Gkd.Native.Training.Text;

/// <summary>
/// Finds added tokens in text as Hugging Face's AddedVocabulary does: leftmost-longest matches, scanning on after
/// each; single_word matches touching a word character skipped; lstrip/rstrip widening a match over adjacent
/// whitespace.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> byFirstChar;
    private readonly SearchValues<char> firstChars;

    /// <param name="tokens">The tokens; contents are taken as given (normalise them first for normalised matching).</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        byFirstChar = tokens.Where(t => t.Pattern.Length > 0)
            .GroupBy(t => t.Pattern[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Pattern.Length).ToArray());
        firstChars = SearchValues.Create(byFirstChar.Keys.ToArray());
    }

    /// <summary>A span of the text: an added token (Token set) or ordinary text between them.</summary>
    public readonly record struct Piece(int Start, int Length, AddedToken? Token);

    /// <summary>Tiles text with pieces in order; empty text gives none.</summary>
    public List<Piece> Split(string text)
    {
        var pieces = new List<Piece>();
        var done = 0;   // end of the last piece emitted
        var search = 0; // where the next match may start
        while (search < text.Length)
        {
            var offset = text.AsSpan(search).IndexOfAny(firstChars);
            if (offset < 0) break;
            var at = search + offset;
            var (pattern, token) = LongestAt(text, at);
            if (token is null)
            {
                search = at + 1;
                continue;
            }
            var start = at;
            var stop = at + pattern.Length;
            search = stop;
            if (token.SingleWord && ((start > 0 && IsWordBefore(text, start)) || (stop < text.Length && IsWordAt(text, stop)))) continue;
            if (token.LStrip)
                while (start > done && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (start > done) pieces.Add(new Piece(done, start - done, null));
            pieces.Add(new Piece(start, stop - start, token));
            done = search = stop;
        }
        if (done < text.Length) pieces.Add(new Piece(done, text.Length - done, null));
        return pieces;
    }

    private (string Pattern, AddedToken? Token) LongestAt(string text, int at)
    {
        foreach (var candidate in byFirstChar[text[at]])
            if (text.AsSpan(at).StartsWith(candidate.Pattern, StringComparison.Ordinal)) return candidate;
        return ("", null);
    }

    private static bool IsWordBefore(string text, int index) =>
        Rune.DecodeLastFromUtf16(text.AsSpan(0, index), out var rune, out _) == OperationStatus.Done && IsWord(rune);

    private static bool IsWordAt(string text, int index) =>
        Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out _) == OperationStatus.Done && IsWord(rune);

    /// <summary>Unicode \w as Rust's regex has it: letters, marks, decimal digits, letter numbers, connector punctuation, joiners.</summary>
    private static bool IsWord(Rune rune) => rune.Value is 0x200C or 0x200D || Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation;
}
