using System.Globalization;
using System.Text;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Functions every template sees: Jinja's range, dict and namespace, and transformers' raise_exception and
/// strftime_now.
/// </summary>
internal static class BuiltinGlobals
{
    private const int MaxRange = 100_000; // Jinja's sandbox limit

    public static void AddTo(Scope scope)
    {
        scope.Set("range", new JinjaFunction("range", Range));
        scope.Set("dict", new JinjaFunction("dict", a => Done(a, ToDict(a.AllNamed()))));
        scope.Set("namespace", new JinjaFunction("namespace", Namespace));
        scope.Set("raise_exception", new JinjaFunction("raise_exception", a => throw new TemplateError(Values.ToText(a.Required(0, "message")))));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", a =>
        {
            var format = a.Required(0, "format") as string ?? throw new TemplateError("strftime_now() needs a format string");
            a.Done();
            return Strftime(DateTime.Now, format);
        }));
    }

    private static object? Done(CallArguments a, object? result)
    {
        a.Done();
        return result;
    }

    private static OrderedDictionary<string, object?> ToDict(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) dict[k] = v;
        return dict;
    }

    private static object? Range(CallArguments a)
    {
        var bounds = a.Rest(0).Select(Values.ToLong).ToArray();
        a.Done();
        var (start, stop, step) = bounds.Length switch
        {
            1 => (0L, bounds[0], 1L),
            2 => (bounds[0], bounds[1], 1L),
            3 => (bounds[0], bounds[1], bounds[2]),
            _ => throw new TemplateError($"range expected 1 to 3 arguments, got {bounds.Length}"),
        };
        if (step == 0) throw new TemplateError("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count == MaxRange) throw new TemplateError($"range too big: more than {MaxRange} items");
            result.Add(i);
        }
        return result;
    }

    private static object? Namespace(CallArguments a)
    {
        var ns = new Namespace();
        foreach (var initial in a.Rest(0))
        {
            if (initial is not OrderedDictionary<string, object?> dict) throw new TemplateError("namespace() takes dicts and keyword arguments");
            foreach (var (k, v) in dict) ns.Attributes[k] = v;
        }
        foreach (var (k, v) in a.AllNamed()) ns.Attributes[k] = v;
        a.Done();
        return ns;
    }

    /// <summary>Python's datetime.strftime for the directives chat templates use (%d %b %Y %B %m %H %M %S %a %A %y %I %p %j %%, and glibc's %-d style).</summary>
    public static string Strftime(DateTime time, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var noPad = format[i + 1] == '-' && i + 2 < format.Length;
            var d = format[noPad ? i + 2 : i + 1];
            i += noPad ? 2 : 1;
            string Number(int value) => noPad ? value.ToString(c) : value.ToString(d == 'j' ? "000" : "00", c);
            sb.Append(d switch
            {
                'd' => Number(time.Day),
                'm' => Number(time.Month),
                'H' => Number(time.Hour),
                'I' => Number(time.Hour % 12 == 0 ? 12 : time.Hour % 12),
                'M' => Number(time.Minute),
                'S' => Number(time.Second),
                'j' => Number(time.DayOfYear),
                'y' => Number(time.Year % 100),
                'Y' => time.Year.ToString(c),
                'b' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'p' => time.Hour < 12 ? "AM" : "PM",
                '%' => "%",
                _ => throw new TemplateError($"strftime_now: unsupported directive '%{d}'"),
            });
        }
        return sb.ToString();
    }
}
