namespace Gkd.Native.Training.Text.Jinja;

/// <summary>Attribute, item and slice access with Jinja's fallbacks: what is missing is <see cref="Undefined"/>, not an error.</summary>
internal static class Access
{
    /// <summary>value.name: an attribute (loop/namespace field, str or dict method) first, then a dict key.</summary>
    public static object? Attribute(object? value, string name) => value switch
    {
        Undefined u => throw new TemplateError(u.Hint),
        LoopState loop => loop.Attribute(name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : Missing(value, name),
        OrderedDictionary<string, object?> dict =>
            (object?)BuiltinMethods.ForDict(dict, name) ?? (dict.TryGetValue(name, out var v) ? v : Missing(value, name)),
        string s => (object?)BuiltinMethods.ForString(s, name) ?? Missing(value, name),
        _ => Missing(value, name),
    };

    /// <summary>value[key]: an item (dict key, list/tuple/str index, negative from the end) first, then an attribute.</summary>
    public static object? Item(object? value, object? key)
    {
        switch (value)
        {
            case Undefined u:
                throw new TemplateError(u.Hint);
            case OrderedDictionary<string, object?> dict:
                if (key is string k && dict.TryGetValue(k, out var v)) return v;
                break;
            case IReadOnlyList<object?> list when key is long or bool:
                var i = Values.ToLong(key);
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"{Values.TypeName(value)} index {key} out of range");
            case string s when key is long or bool:
                var runes = s.EnumerateRunes().ToArray();
                var j = Values.ToLong(key);
                if (j < 0) j += runes.Length;
                return j >= 0 && j < runes.Length ? runes[j].ToString() : new Undefined($"string index {key} out of range");
        }
        return key is string name ? Attribute(value, name) : new Undefined($"'{Values.TypeName(value)} object' has no element {Values.Repr(key)}");
    }

    /// <summary>Jinja's attribute path for map/selectattr/sort(attribute=…): dot-separated parts, digits as indices.</summary>
    public static object? Path(object? value, object? path)
    {
        if (path is not string text) return Item(value, path);
        foreach (var part in text.Split('.'))
            value = long.TryParse(part, out var index) ? Item(value, index) : Item(value, part);
        return value;
    }

    /// <summary>value[start:stop:step] over a list, tuple or string, with Python's clamping and negative indices.</summary>
    public static object? Slice(object? value, object? start, object? stop, object? step)
    {
        if (value is Undefined u) throw new TemplateError(u.Hint);
        var stepValue = step is null ? 1 : Index(step);
        if (stepValue == 0) throw new TemplateError("slice step cannot be zero");
        switch (value)
        {
            case string s:
                var runes = s.EnumerateRunes().ToArray();
                return string.Concat(Positions(runes.Length, start, stop, stepValue).Select(i => runes[i].ToString()));
            case List<object?> list:
                return Positions(list.Count, start, stop, stepValue).Select(i => list[i]).ToList();
            case object?[] tuple:
                return Positions(tuple.Length, start, stop, stepValue).Select(i => tuple[i]).ToArray();
            default:
                throw new TemplateError($"'{Values.TypeName(value)}' object is not subscriptable");
        }
    }

    private static long Index(object? value) => value is long or bool
        ? Values.ToLong(value)
        : throw new TemplateError($"slice indices must be integers or None, not {Values.TypeName(value)}");

    private static IEnumerable<int> Positions(int length, object? start, object? stop, long step)
    {
        long Clamp(object? bound, long fallback)
        {
            if (bound is null) return fallback;
            var b = Index(bound);
            if (b < 0) b += length;
            return step > 0 ? Math.Clamp(b, 0, length) : Math.Clamp(b, -1, length - 1);
        }
        var first = Clamp(start, step > 0 ? 0 : length - 1);
        var end = Clamp(stop, step > 0 ? length : -1);
        for (var i = first; step > 0 ? i < end : i > end; i += step) yield return (int)i;
    }

    private static Undefined Missing(object? value, string name) =>
        new($"'{Values.TypeName(value)} object' has no attribute '{name}'");
}
