using System.Collections;
using System.Globalization;
using System.Text;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Python's view of template values. Values are null (None), <see cref="Undefined"/>, bool, long, double, string,
/// List&lt;object?&gt; (list), object?[] (tuple), OrderedDictionary&lt;string, object?&gt; (dict), <see cref="Namespace"/>,
/// <see cref="LoopState"/> and <see cref="JinjaFunction"/>.
/// </summary>
internal static class Values
{
    /// <summary>A CLR value as a template value: numbers widen to long/double, maps to dicts, sequences (arrays too) to lists.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null or string or bool or long or double or Undefined or Namespace or JinjaFunction => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        float f => (double)f,
        decimal m => (double)m,
        IDictionary<string, object?> d => ToDict(d),
        IReadOnlyDictionary<string, object?> d => ToDict(d),
        IDictionary d => ToDict(d.Keys.Cast<object>().Select(k => new KeyValuePair<string, object?>(
            k as string ?? throw new ArgumentException($"dictionary keys must be strings, got {k.GetType().Name}"), d[k]))),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"a template value must be None, bool, a number, a string, a list or a dict; got {value.GetType().Name}"),
    };

    private static OrderedDictionary<string, object?> ToDict(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) dict[k] = FromClr(v);
        return dict;
    }

    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0, // lists, tuples, dicts
        _ => true,
    };

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        OrderedDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        LoopState => "LoopContext",
        JinjaFunction => "function",
        _ => value.GetType().Name,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static bool IsSequence(object? value) => value is List<object?> or object?[];

    /// <summary>Python's str(value), as {{ value }} prints it.</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        JinjaFunction f => $"<function {f.Name}>",
        LoopState => "<LoopContext>",
        Namespace n => $"<Namespace {Repr(n.Attributes.ToDictionary(p => p.Key, p => p.Value))}>",
        _ => Repr(value),
    };

    /// <summary>Python's repr(value): strings quoted, containers with their items' reprs.</summary>
    public static string Repr(object? value)
    {
        switch (value)
        {
            case string s: return StringRepr(s);
            case List<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case object?[] tuple:
                return tuple.Length == 1 ? "(" + Repr(tuple[0]) + ",)" : "(" + string.Join(", ", tuple.Select(Repr)) + ")";
            case OrderedDictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(p => StringRepr(p.Key) + ": " + Repr(p.Value))) + "}";
            case Dictionary<string, object?> attributes:
                return "{" + string.Join(", ", attributes.Select(p => StringRepr(p.Key) + ": " + Repr(p.Value))) + "}";
            default: return ToText(value);
        }
    }

    private static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c is >= '\u007f' and <= '\u00a0') sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var sign = double.IsNegative(d) ? "-" : "";
        if (d == 0) return sign + "0.0";
        var text = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture); // "123.456", "1E-05", "1.25E+17"
        var exp10 = 0;
        var e = text.IndexOf('E');
        if (e >= 0)
        {
            exp10 = int.Parse(text.AsSpan(e + 1), CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var fraction = dot < 0 ? 0 : text.Length - dot - 1;
        var digits = text.Replace(".", "", StringComparison.Ordinal).TrimStart('0');
        var sciExp = digits.Length - 1 + exp10 - fraction; // the power of ten of the first digit
        digits = digits.TrimEnd('0');
        if (sciExp is < -4 or >= 16)
        {
            var tail = digits.Length > 1 ? "." + digits[1..] : "";
            return $"{sign}{digits[0]}{tail}e{(sciExp < 0 ? '-' : '+')}{Math.Abs(sciExp):00}";
        }
        if (sciExp < 0) return $"{sign}0.{new string('0', -sciExp - 1)}{digits}";
        if (digits.Length <= sciExp + 1) return $"{sign}{digits}{new string('0', sciExp + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(sciExp + 1)]}.{digits[(sciExp + 1)..]}";
    }

    /// <summary>Python ==.</summary>
    public new static bool Equals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        switch (a)
        {
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case Undefined: return b is Undefined;
            case List<object?> l: return b is List<object?> m && l.Count == m.Count && l.Zip(m).All(p => Equals(p.First, p.Second));
            case object?[] x: return b is object?[] y && x.Length == y.Length && x.Zip(y).All(p => Equals(p.First, p.Second));
            case OrderedDictionary<string, object?> d:
                return b is OrderedDictionary<string, object?> e && d.Count == e.Count
                    && d.All(p => e.TryGetValue(p.Key, out var v) && Equals(p.Value, v));
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python's ordering (&lt;, &gt;) of numbers, strings, lists and tuples; anything else fails.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        if (a is string s && b is string t) return Math.Sign(string.CompareOrdinal(s, t));
        if ((a is List<object?> && b is List<object?>) || (a is object?[] && b is object?[]))
        {
            var x = (IReadOnlyList<object?>)a;
            var y = (IReadOnlyList<object?>)b!;
            for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                if (!Equals(x[i], y[i])) return Compare(x[i], y[i], op);
            return x.Count.CompareTo(y.Count);
        }
        throw new TemplateError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateError($"expected an integer, got '{TypeName(value)}'"),
    };

    public static double ToDouble(object? value) => value switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateError($"expected a number, got '{TypeName(value)}'"),
    };

    /// <summary>What a for loop or list() walks: list and tuple items, dict keys, string characters; Undefined is empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        List<object?> l => l,
        object?[] t => t,
        OrderedDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
        Undefined => [],
        _ => throw new TemplateError($"'{TypeName(value)}' object is not iterable"),
    };

    /// <summary>Python len().</summary>
    public static long Length(object? value) => value switch
    {
        string s => CodePointCount(s),
        ICollection c => c.Count, // lists, tuples, dicts
        Undefined => 0,
        _ => throw new TemplateError($"object of type '{TypeName(value)}' has no len()"),
    };

    public static int CodePointCount(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>Python's "item in container".</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string t
            ? s.Contains(t, StringComparison.Ordinal)
            : throw new TemplateError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        _ => Iterate(container).Any(x => Equals(x, item)),
    };
}
