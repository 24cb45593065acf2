using System.Globalization;
using System.Text.RegularExpressions;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>Jinja's filters ("x | trim", "messages | length", "tools | tojson(indent=4)"…), tojson as transformers defines it.</summary>
internal static partial class BuiltinFilters
{
    private static readonly Dictionary<string, Func<object?, CallArguments, object?>> Table = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, a) => Done(a, v is double d ? Math.Abs(d) : (object)Math.Abs(Values.ToLong(v))),
        ["attr"] = (v, a) => Access.Attribute(v, Only(a, "name") as string ?? throw new TemplateError("attr() needs a string")),
        ["capitalize"] = (v, a) => Done(a, BuiltinMethods.Capitalize(Values.ToText(v))),
        ["count"] = (v, a) => Done(a, Values.Length(v)),
        ["length"] = (v, a) => Done(a, Values.Length(v)),
        ["default"] = Default,
        ["d"] = Default,
        ["first"] = (v, a) => Done(a, Values.Iterate(v) is { Count: > 0 } items ? items[0] : new Undefined("no first item, sequence was empty")),
        ["last"] = (v, a) => Done(a, Values.Iterate(v) is { Count: > 0 } items ? items[^1] : new Undefined("no last item, sequence was empty")),
        ["float"] = ToFloat,
        ["int"] = ToInt,
        ["indent"] = Indent,
        ["items"] = (v, a) => Done(a, v switch
        {
            OrderedDictionary<string, object?> d => BuiltinMethods.Items(d),
            Undefined => new List<object?>(),
            _ => throw new TemplateError("items: can only get item pairs from a mapping"),
        }),
        ["join"] = (v, a) =>
        {
            var separator = Values.ToText(a.Get(0, "d", ""));
            var attribute = a.Get(1, "attribute", null);
            a.Done();
            return string.Join(separator, Values.Iterate(v).Select(x => Values.ToText(attribute is null ? x : Access.Path(x, attribute))));
        },
        ["list"] = (v, a) => Done(a, Values.Iterate(v).ToList()),
        ["lower"] = (v, a) => Done(a, Values.ToText(v).ToLowerInvariant()),
        ["upper"] = (v, a) => Done(a, Values.ToText(v).ToUpperInvariant()),
        ["map"] = Map,
        ["max"] = (v, a) => Extreme(v, a, sign: 1),
        ["min"] = (v, a) => Extreme(v, a, sign: -1),
        ["select"] = (v, a) => Select(v, a, expect: true, byAttribute: false),
        ["reject"] = (v, a) => Select(v, a, expect: false, byAttribute: false),
        ["selectattr"] = (v, a) => Select(v, a, expect: true, byAttribute: true),
        ["rejectattr"] = (v, a) => Select(v, a, expect: false, byAttribute: true),
        ["replace"] = (v, a) =>
        {
            var old = Values.ToText(a.Required(0, "old"));
            var replacement = Values.ToText(a.Required(1, "new"));
            var count = a.Get(2, "count", null);
            a.Done();
            return BuiltinMethods.ReplaceText(Values.ToText(v), old, replacement, count is null ? -1 : Values.ToLong(count));
        },
        ["reverse"] = (v, a) => Done(a, v is string s
            ? string.Concat(s.EnumerateRunes().Reverse().Select(r => r.ToString()))
            : Values.Iterate(v).Reverse().ToList()),
        ["round"] = Round,
        ["safe"] = (v, a) => Done(a, v),
        ["sort"] = Sort,
        ["string"] = (v, a) => Done(a, Values.ToText(v)),
        ["sum"] = (v, a) =>
        {
            var attribute = a.Get(0, "attribute", null);
            var total = a.Get(1, "start", 0L);
            a.Done();
            foreach (var x in Values.Iterate(v)) total = Operators.Binary("+", total, attribute is null ? x : Access.Path(x, attribute));
            return total;
        },
        ["title"] = (v, a) => Done(a, string.Concat(WordBeginning().Split(Values.ToText(v)).Where(p => p.Length > 0)
            .Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()))),
        ["tojson"] = (v, a) =>
        {
            var ensureAscii = Values.IsTruthy(a.Get(0, "ensure_ascii", false));
            var indent = a.Get(1, "indent", null);
            var separators = a.Get(2, "separators", null);
            var sortKeys = Values.IsTruthy(a.Get(3, "sort_keys", false));
            a.Done();
            return Json.Dumps(v, indent, ensureAscii, sortKeys, separators);
        },
        ["trim"] = (v, a) => BuiltinMethods.Strip(Values.ToText(v), a, left: true, right: true),
        ["unique"] = (v, a) =>
        {
            var key = KeyFunction(a.Get(0, "case_sensitive", false), a.Get(1, "attribute", null));
            a.Done();
            var seen = new List<object?>();
            var result = new List<object?>();
            foreach (var x in Values.Iterate(v))
            {
                var k = key(x);
                if (seen.Any(s => Values.Equals(s, k))) continue;
                seen.Add(k);
                result.Add(x);
            }
            return result;
        },
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static object? Apply(string name, object? value, CallArguments arguments) =>
        Table.TryGetValue(name, out var filter) ? filter(value, arguments) : throw new TemplateError($"unknown filter '{name}'");

    private static object? Done(CallArguments a, object? result)
    {
        a.Done();
        return result;
    }

    private static object? Only(CallArguments a, string name)
    {
        var value = a.Required(0, name);
        a.Done();
        return value;
    }

    private static object? Default(object? value, CallArguments a)
    {
        var fallback = a.Get(0, "default_value", "");
        var boolean = Values.IsTruthy(a.Get(1, "boolean", false));
        a.Done();
        return value is Undefined || (boolean && !Values.IsTruthy(value)) ? fallback : value;
    }

    private static object? ToFloat(object? value, CallArguments a)
    {
        var fallback = a.Get(0, "default", 0.0);
        a.Done();
        return value switch
        {
            double d => d,
            long or bool => Values.ToDouble(value),
            string s when double.TryParse(s.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => fallback,
        };
    }

    private static object? ToInt(object? value, CallArguments a)
    {
        var fallback = a.Get(0, "default", 0L);
        var numberBase = (int)Values.ToLong(a.Get(1, "base", 10L));
        a.Done();
        switch (value)
        {
            case long or bool: return Values.ToLong(value);
            case double d: return (long)Math.Truncate(d);
            case string s:
                var text = s.Trim().Replace("_", "", StringComparison.Ordinal);
                try
                {
                    return numberBase == 10 ? long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : Convert.ToInt64(text, numberBase);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                {
                    return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? (long)Math.Truncate(f) : fallback;
                }
            default: return fallback;
        }
    }

    /// <summary>indent(width=4, first=False, blank=False): indent every line but the first (and blank ones only when blank).</summary>
    private static object? Indent(object? value, CallArguments a)
    {
        var width = a.Get(0, "width", 4L);
        var first = Values.IsTruthy(a.Get(1, "first", false));
        var blank = Values.IsTruthy(a.Get(2, "blank", false));
        a.Done();
        var indentation = width as string ?? new string(' ', (int)Values.ToLong(width));
        var lines = LineBreak().Split(Values.ToText(value) + "\n").ToList();
        lines.RemoveAt(lines.Count - 1); // str.splitlines() drops the empty tail after the final break
        var rest = lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line);
        var text = blank ? string.Join("\n" + indentation, lines) : string.Join("\n", lines.Take(1).Concat(rest));
        return first ? indentation + text : text;
    }

    private static object? Map(object? value, CallArguments a)
    {
        var items = Values.Iterate(value);
        if (a.Positional.Count == 0 && a.Named.ContainsKey("attribute"))
        {
            var attribute = a.Keyword("attribute", null);
            var hasDefault = a.Named.ContainsKey("default");
            var fallback = a.Keyword("default", null);
            a.Done();
            return items.Select(x => Access.Path(x, attribute) is var v && v is Undefined && hasDefault ? fallback : v).ToList();
        }
        var filter = a.Required(0, "filter") as string ?? throw new TemplateError("map() needs a filter name or attribute=");
        var rest = a.Rest(1);
        var named = a.Named;
        return items.Select(x => Apply(filter, x, new CallArguments(filter, rest, named))).ToList();
    }

    private static object? Select(object? value, CallArguments a, bool expect, bool byAttribute)
    {
        var attribute = byAttribute ? a.Required(0, "attribute") : null;
        var offset = byAttribute ? 1 : 0;
        var test = a.Positional.Count > offset ? a.Positional[offset] as string ?? throw new TemplateError("expected a test name") : null;
        var rest = a.Rest(offset + 1);
        var result = new List<object?>();
        foreach (var item in Values.Iterate(value))
        {
            var subject = byAttribute ? Access.Path(item, attribute) : item;
            var passed = test is null ? Values.IsTruthy(subject) : BuiltinTests.Apply(test, subject, new CallArguments(test, rest, a.Named));
            if (passed == expect) result.Add(item);
        }
        return result;
    }

    private static Func<object?, object?> KeyFunction(object? caseSensitive, object? attribute)
    {
        var fold = !Values.IsTruthy(caseSensitive);
        return x =>
        {
            var key = attribute is null ? x : Access.Path(x, attribute);
            return fold && key is string s ? s.ToLowerInvariant() : key;
        };
    }

    private static object? Extreme(object? value, CallArguments a, int sign)
    {
        var key = KeyFunction(a.Get(0, "case_sensitive", false), a.Get(1, "attribute", null));
        a.Done();
        var items = Values.Iterate(value);
        if (items.Count == 0) return new Undefined("no aggregated item, sequence was empty");
        var best = items[0];
        foreach (var x in items.Skip(1))
            if (Values.Compare(key(x), key(best), sign > 0 ? ">" : "<") * sign > 0) best = x;
        return best;
    }

    private static object? Sort(object? value, CallArguments a)
    {
        var reverse = Values.IsTruthy(a.Get(0, "reverse", false));
        var key = KeyFunction(a.Get(1, "case_sensitive", false), a.Get(2, "attribute", null));
        a.Done();
        var sorted = Values.Iterate(value).Select((x, i) => (Item: x, Key: key(x), Index: i)).ToList();
        sorted.Sort((p, q) =>
        {
            var c = Values.Compare(p.Key, q.Key, "<");
            return c != 0 ? (reverse ? -c : c) : p.Index.CompareTo(q.Index);
        });
        return sorted.Select(p => p.Item).ToList();
    }

    /// <summary>round(precision=0, method='common'|'ceil'|'floor'); 'common' rounds half to even, as Python's round does.</summary>
    private static object? Round(object? value, CallArguments a)
    {
        var precision = (int)Values.ToLong(a.Get(0, "precision", 0L));
        var method = a.Get(1, "method", "common") as string;
        a.Done();
        var x = Values.ToDouble(value);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => value is long or bool ? (object)Values.ToLong(value) : Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateError("round: method must be 'common', 'ceil' or 'floor'"),
        };
    }

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();

    [GeneratedRegex("\r\n|[\n\r\v\f\u001c\u001d\u001e\u0085\u2028\u2029]")]
    private static partial Regex LineBreak();
}
