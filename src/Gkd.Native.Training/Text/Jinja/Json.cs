using System.Globalization;
using System.Text;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Python's json.dumps, which transformers' tojson filter calls (ensure_ascii=False by default): separators ", " and
/// ": " (or "," and ": " once indent is set), keys in insertion order unless sorted, floats as Python writes them.
/// </summary>
internal static class Json
{
    public static string Dumps(object? value, object? indent, bool ensureAscii, bool sortKeys, object? separators)
    {
        var indentText = indent switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            _ => throw new TemplateError($"tojson: indent must be an integer or a string, got '{Values.TypeName(indent)}'"),
        };
        var (itemSeparator, keySeparator) = separators switch
        {
            null => (indentText is null ? ", " : ",", ": "),
            IReadOnlyList<object?> { Count: 2 } pair when pair[0] is string i && pair[1] is string k => (i, k),
            _ => throw new TemplateError("tojson: separators must be a pair of strings"),
        };
        var sb = new StringBuilder();
        new Writer(sb, indentText, itemSeparator, keySeparator, ensureAscii, sortKeys).Write(value, 0);
        return sb.ToString();
    }

    private sealed class Writer(StringBuilder sb, string? indent, string itemSeparator, string keySeparator, bool ensureAscii, bool sortKeys)
    {
        public void Write(object? value, int level)
        {
            switch (value)
            {
                case null: sb.Append("null"); break;
                case bool b: sb.Append(b ? "true" : "false"); break;
                case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d:
                    sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Values.FloatRepr(d));
                    break;
                case string s: WriteString(s); break;
                case IReadOnlyList<object?> list:
                    WriteContainer('[', ']', list.Count, level, (i, next) => Write(list[i], next));
                    break;
                case OrderedDictionary<string, object?> dict:
                    var pairs = sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                    WriteContainer('{', '}', pairs.Count, level, (i, next) =>
                    {
                        WriteString(pairs[i].Key);
                        sb.Append(keySeparator);
                        Write(pairs[i].Value, next);
                    });
                    break;
                default:
                    throw new TemplateError($"tojson: object of type '{Values.TypeName(value)}' is not JSON serializable");
            }
        }

        private void WriteContainer(char open, char close, int count, int level, Action<int, int> item)
        {
            sb.Append(open);
            if (count == 0)
            {
                sb.Append(close);
                return;
            }
            for (var i = 0; i < count; i++)
            {
                if (i > 0) sb.Append(itemSeparator);
                NewLine(level + 1);
                item(i, level + 1);
            }
            NewLine(level);
            sb.Append(close);
        }

        private void NewLine(int level)
        {
            if (indent is null) return;
            sb.Append('\n');
            for (var i = 0; i < level; i++) sb.Append(indent);
        }

        private void WriteString(string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append(@"\\"); break;
                    case '\n': sb.Append(@"\n"); break;
                    case '\r': sb.Append(@"\r"); break;
                    case '\t': sb.Append(@"\t"); break;
                    case '\b': sb.Append(@"\b"); break;
                    case '\f': sb.Append(@"\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7f)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
