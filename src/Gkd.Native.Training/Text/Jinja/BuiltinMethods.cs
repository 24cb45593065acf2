using System.Text;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>The Python str and dict methods templates call ("x".strip(), m.content.split('\n'), d.items(), d.get(k)).</summary>
internal static class BuiltinMethods
{
    /// <summary>The bound str method name, or null when str has no such method here.</summary>
    public static JinjaFunction? ForString(string s, string name)
    {
        Func<CallArguments, object?>? body = name switch
        {
            "strip" => a => Strip(s, a, left: true, right: true),
            "lstrip" => a => Strip(s, a, left: true, right: false),
            "rstrip" => a => Strip(s, a, left: false, right: true),
            "upper" => a => Done(a, s.ToUpperInvariant()),
            "lower" => a => Done(a, s.ToLowerInvariant()),
            "title" => a => Done(a, Title(s)),
            "capitalize" => a => Done(a, Capitalize(s)),
            "startswith" => a => Affix(s, a, (x, p) => x.StartsWith(p, StringComparison.Ordinal)),
            "endswith" => a => Affix(s, a, (x, p) => x.EndsWith(p, StringComparison.Ordinal)),
            "split" => a => Split(s, a),
            "replace" => a => Replace(s, a),
            "find" => a => Find(s, a),
            "count" => a => Count(s, a),
            "join" => a => string.Join(s, Values.Iterate(Single(a, "iterable")).Select(Values.ToText)),
            _ => null,
        };
        return body is null ? null : new JinjaFunction("str." + name, body);
    }

    /// <summary>The bound dict method name, or null.</summary>
    public static JinjaFunction? ForDict(OrderedDictionary<string, object?> d, string name)
    {
        Func<CallArguments, object?>? body = name switch
        {
            "items" => a => Done(a, Items(d)),
            "keys" => a => Done(a, d.Keys.Cast<object?>().ToList()),
            "values" => a => Done(a, d.Values.ToList()),
            "get" => a =>
            {
                var key = a.Required(0, "key");
                var fallback = a.Get(1, "default", null);
                a.Done();
                return key is string k && d.TryGetValue(k, out var v) ? v : fallback;
            },
            _ => null,
        };
        return body is null ? null : new JinjaFunction("dict." + name, body);
    }

    /// <summary>dict.items(): (key, value) tuples in insertion order.</summary>
    public static List<object?> Items(OrderedDictionary<string, object?> d) =>
        d.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList();

    /// <summary>str.strip([chars]): whitespace, or any of chars, off the chosen ends.</summary>
    public static string Strip(string s, CallArguments a, bool left, bool right)
    {
        var chars = a.Get(0, "chars", null);
        a.Done();
        if (chars is not (null or string)) throw new TemplateError("strip arg must be None or str");
        var set = (chars as string)?.ToCharArray();
        return (left, right) switch
        {
            (true, true) => set is null ? s.Trim() : s.Trim(set),
            (true, false) => set is null ? s.TrimStart() : s.TrimStart(set),
            _ => set is null ? s.TrimEnd() : s.TrimEnd(set),
        };
    }

    /// <summary>Python's str.title(): upper-case a letter after a non-letter, lower-case the others.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousLetter = false;
        foreach (var c in s)
        {
            sb.Append(previousLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousLetter = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static object? Done(CallArguments a, object? result)
    {
        a.Done();
        return result;
    }

    private static object? Single(CallArguments a, string name)
    {
        var value = a.Required(0, name);
        a.Done();
        return value;
    }

    private static bool Affix(string s, CallArguments a, Func<string, string, bool> test)
    {
        var affix = Single(a, "prefix");
        return affix switch
        {
            string p => test(s, p),
            object?[] options => options.Any(o => o is string p ? test(s, p) : throw new TemplateError("expected a tuple of strings")),
            _ => throw new TemplateError($"expected a string or a tuple of strings, got '{Values.TypeName(affix)}'"),
        };
    }

    /// <summary>str.split(sep=None, maxsplit=-1): on runs of whitespace when sep is None, else on sep exactly.</summary>
    private static List<object?> Split(string s, CallArguments a)
    {
        var sep = a.Get(0, "sep", null);
        var max = Values.ToLong(a.Get(1, "maxsplit", -1L));
        a.Done();
        var parts = new List<object?>();
        if (sep is string separator)
        {
            if (separator.Length == 0) throw new TemplateError("empty separator");
            var start = 0;
            for (var at = s.IndexOf(separator, StringComparison.Ordinal); at >= 0 && (max < 0 || parts.Count < max);
                 at = s.IndexOf(separator, start, StringComparison.Ordinal))
            {
                parts.Add(s[start..at]);
                start = at + separator.Length;
            }
            parts.Add(s[start..]);
            return parts;
        }
        if (sep is not null) throw new TemplateError($"must be str or None, not {Values.TypeName(sep)}");
        var i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i == s.Length) return parts;
            if (max >= 0 && parts.Count == max)
            {
                parts.Add(s[i..].TrimEnd());
                return parts;
            }
            var end = i;
            while (end < s.Length && !char.IsWhiteSpace(s[end])) end++;
            parts.Add(s[i..end]);
            i = end;
        }
    }

    private static string Replace(string s, CallArguments a)
    {
        var old = a.Required(0, "old") as string ?? throw new TemplateError("replace() arguments must be strings");
        var replacement = a.Required(1, "new") as string ?? throw new TemplateError("replace() arguments must be strings");
        var count = Values.ToLong(a.Get(2, "count", -1L));
        a.Done();
        return ReplaceText(s, old, replacement, count);
    }

    /// <summary>Python's str.replace: the first count occurrences (all when count &lt; 0); an empty old inserts between characters.</summary>
    public static string ReplaceText(string s, string old, string replacement, long count)
    {
        var sb = new StringBuilder(s.Length);
        var done = 0L;
        if (old.Length == 0)
        {
            foreach (var rune in s.EnumerateRunes())
            {
                if (count < 0 || done++ < count) sb.Append(replacement);
                sb.Append(rune.ToString());
            }
            if (count < 0 || done < count) sb.Append(replacement);
            return sb.ToString();
        }
        var start = 0;
        for (var at = s.IndexOf(old, StringComparison.Ordinal); at >= 0 && (count < 0 || done < count);
             at = s.IndexOf(old, start, StringComparison.Ordinal))
        {
            sb.Append(s, start, at - start).Append(replacement);
            start = at + old.Length;
            done++;
        }
        return sb.Append(s, start, s.Length - start).ToString();
    }

    private static long Find(string s, CallArguments a)
    {
        var sub = Single(a, "sub") as string ?? throw new TemplateError("find() argument must be a string");
        var at = s.IndexOf(sub, StringComparison.Ordinal);
        return at < 0 ? -1 : Values.CodePointCount(s[..at]);
    }

    private static long Count(string s, CallArguments a)
    {
        var sub = Single(a, "sub") as string ?? throw new TemplateError("count() argument must be a string");
        if (sub.Length == 0) return Values.CodePointCount(s) + 1;
        long n = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
