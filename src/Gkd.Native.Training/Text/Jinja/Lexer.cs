using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Splits a template into tokens the way Jinja2's lexer does in the environment transformers renders chat templates
/// with: trim_blocks and lstrip_blocks on, keep_trailing_newline off, newlines normalised to "\n".
/// </summary>
internal sealed partial class Lexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ":", "|", ",", ";", "(", ")", "[", "]", "{", "}"];

    private readonly string source;
    private readonly List<int> lineStarts = [0];
    private readonly List<Token> tokens = [];
    private int pos;
    private bool lineStarting = true;

    private Lexer(string template)
    {
        var lines = template.ReplaceLineEndings("\n").Split('\n').ToList();
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1); // keep_trailing_newline=False drops one final newline
        source = string.Join('\n', lines);
        for (var i = 0; i < source.Length; i++)
            if (source[i] == '\n') lineStarts.Add(i + 1);
    }

    public static List<Token> Tokenize(string template)
    {
        var lexer = new Lexer(template);
        lexer.Run();
        return lexer.tokens;
    }

    private void Run()
    {
        while (pos < source.Length)
        {
            var open = FindTagStart(pos);
            if (open < 0)
            {
                Add(TokenKind.Data, source[pos..], source[pos..], pos);
                break;
            }
            var kind = source[open + 1];
            var sign = open + 2 < source.Length && source[open + 2] is '-' or '+' ? source[open + 2] : '\0';
            var text = source[pos..open];
            if (sign == '-') text = text.TrimEnd();
            else if (sign != '+' && kind != '{') text = LStripBlock(text);
            if (text.Length > 0) Add(TokenKind.Data, text, text, pos);
            var start = open + 2 + (sign == '\0' ? 0 : 1);
            if (kind == '#') SkipComment(open, start);
            else LexTag(kind == '%', open, start);
        }
        Add(TokenKind.End, "", null, source.Length);
    }

    private int FindTagStart(int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>lstrip_blocks: spaces and tabs between the line start and a {% or {# tag go.</summary>
    private string LStripBlock(string text)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        if ((lineStart > 0 || lineStarting) && lineStart < text.Length && text.AsSpan(lineStart).IsWhiteSpace())
            return text[..lineStart];
        return text;
    }

    private void SkipComment(int open, int from)
    {
        var close = source.IndexOf("#}", from, StringComparison.Ordinal);
        if (close < 0) throw Error("missing end of comment tag '#}'", open);
        var sign = close - 1 >= from && source[close - 1] is '-' or '+' ? source[close - 1] : '\0';
        pos = close + 2;
        FinishTag(sign, trimNewline: true);
    }

    private void LexTag(bool block, int open, int from)
    {
        Add(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, source[open..from], null, open);
        pos = from;
        var closers = new Stack<char>();
        while (true)
        {
            if (closers.Count == 0 && TryEndTag(block)) return;
            if (pos >= source.Length) throw Error($"unexpected end of template, expected '{(block ? "%}" : "}}")}'", open);
            var c = source[pos];
            if (char.IsWhiteSpace(c))
            {
                pos++;
                continue;
            }
            if (char.IsAsciiDigit(c) && LexNumber()) continue;
            if (char.IsLetter(c) || c == '_')
            {
                var end = pos + 1;
                while (end < source.Length && (char.IsLetterOrDigit(source[end]) || source[end] == '_')) end++;
                Add(TokenKind.Name, source[pos..end], source[pos..end], pos);
                pos = end;
                continue;
            }
            if (c is '\'' or '"')
            {
                LexString(c);
                continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, pos, o, 0, o.Length) == 0)
                ?? throw Error($"unexpected character '{c}'", pos);
            Balance(op, closers);
            Add(TokenKind.Operator, op, op, pos);
            pos += op.Length;
        }
    }

    /// <summary>Block ends are "%}", "-%}" and "+%}"; variable ends "}}" and "-}}".</summary>
    private bool TryEndTag(bool block)
    {
        var at = pos;
        var sign = source[at] == '-' || (block && source[at] == '+') ? source[at++] : '\0';
        if (string.CompareOrdinal(source, at, block ? "%}" : "}}", 0, 2) != 0) return false;
        Add(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, source[pos..(at + 2)], null, pos);
        pos = at + 2;
        FinishTag(sign, trimNewline: block);
        return true;
    }

    /// <summary>After a closing tag: "-" eats all following whitespace; otherwise trim_blocks eats one newline after a block or comment.</summary>
    private void FinishTag(char sign, bool trimNewline)
    {
        var start = pos;
        if (sign == '-')
            while (pos < source.Length && char.IsWhiteSpace(source[pos])) pos++;
        else if (sign == '\0' && trimNewline && pos < source.Length && source[pos] == '\n') pos++;
        lineStarting = pos > start && source[pos - 1] == '\n';
    }

    private void Balance(string op, Stack<char> closers)
    {
        switch (op)
        {
            case "(": closers.Push(')'); break;
            case "[": closers.Push(']'); break;
            case "{": closers.Push('}'); break;
            case ")" or "]" or "}":
                if (closers.Count == 0) throw Error($"unexpected '{op}'", pos);
                var expected = closers.Pop();
                if (expected != op[0]) throw Error($"unexpected '{op}', expected '{expected}'", pos);
                break;
        }
    }

    private bool LexNumber()
    {
        if (pos > 0 && source[pos - 1] == '.') return LexInteger();
        var f = FloatPattern().Match(source, pos);
        if (!f.Success) return LexInteger();
        var value = double.Parse(f.Value.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        Add(TokenKind.Float, f.Value, value, pos);
        pos += f.Length;
        return true;
    }

    private bool LexInteger()
    {
        var m = IntegerPattern().Match(source, pos);
        if (!m.Success) return false;
        var text = m.Value.Replace("_", "", StringComparison.Ordinal);
        var value = text.Length > 2 && text[0] == '0' && char.IsLetter(text[1])
            ? Convert.ToInt64(text[2..], char.ToLowerInvariant(text[1]) switch { 'b' => 2, 'o' => 8, _ => 16 })
            : long.Parse(text, CultureInfo.InvariantCulture);
        Add(TokenKind.Integer, m.Value, value, pos);
        pos += m.Length;
        return true;
    }

    private void LexString(char quote)
    {
        var start = pos;
        var sb = new StringBuilder();
        var i = pos + 1;
        while (true)
        {
            if (i >= source.Length) throw Error("unterminated string literal", start);
            var c = source[i];
            if (c == quote) break;
            if (c != '\\' || i + 1 >= source.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }
            i = Unescape(i, sb);
        }
        Add(TokenKind.String, source[start..(i + 1)], sb.ToString(), start);
        pos = i + 1;
    }

    /// <summary>Python's string escapes (\n \t \\ \' \" \xhh \uhhhh \Uhhhhhhhh \ooo …); unknown ones stay as written.</summary>
    private int Unescape(int backslash, StringBuilder sb)
    {
        var e = source[backslash + 1];
        var simple = e switch
        {
            '\\' => "\\", '\'' => "'", '"' => "\"", 'a' => "\a", 'b' => "\b", 'f' => "\f", 'n' => "\n", 'r' => "\r",
            't' => "\t", 'v' => "\v", '\n' => "", _ => null,
        };
        if (simple is not null)
        {
            sb.Append(simple);
            return backslash + 2;
        }
        var hexDigits = e switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
        if (hexDigits > 0)
        {
            var start = backslash + 2;
            if (start + hexDigits > source.Length
                || !int.TryParse(source.AsSpan(start, hexDigits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp)
                || !Rune.IsValid(cp))
                throw Error($"invalid \\{e} escape in string literal", backslash);
            sb.Append(char.ConvertFromUtf32(cp));
            return start + hexDigits;
        }
        if (e is >= '0' and <= '7')
        {
            var end = backslash + 1;
            var value = 0;
            while (end < source.Length && end < backslash + 4 && source[end] is >= '0' and <= '7') value = value * 8 + source[end++] - '0';
            sb.Append((char)value);
            return end;
        }
        if (e == 'N') throw Error("\\N{...} escapes are not supported in string literals", backslash);
        sb.Append('\\').Append(e);
        return backslash + 2;
    }

    private void Add(TokenKind kind, string text, object? value, int at)
    {
        var (line, column) = Position(at);
        tokens.Add(new Token(kind, text, value, line, column));
    }

    private (int Line, int Column) Position(int at)
    {
        var index = lineStarts.BinarySearch(at);
        var line = index >= 0 ? index : ~index - 1;
        return (line + 1, at - lineStarts[line] + 1);
    }

    private JinjaException Error(string message, int at)
    {
        var (line, column) = Position(at);
        return new JinjaException(message, line, column);
    }

    [GeneratedRegex(@"\G(?:[0-9]+_)*[0-9]+(?:(?:\.(?:[0-9]+_)*[0-9]+)?[eE][+\-]?(?:[0-9]+_)*[0-9]+|\.(?:[0-9]+_)*[0-9]+)")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"\G(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|[1-9](?:_?[0-9])*|0(?:_?0)*)")]
    private static partial Regex IntegerPattern();
}
