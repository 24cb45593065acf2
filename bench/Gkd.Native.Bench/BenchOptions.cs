using System.Globalization;

namespace Gkd.Native.Bench;

/// <summary>`--name value` pairs of a timing mode, with defaults; unknown names are an error.</summary>
public sealed class BenchOptions
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _read = [];

    public BenchOptions(string[] args)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'");
            _values[args[i][2..]] = args[i + 1];
        }
    }

    public string String(string name, string fallback) => Read(name) ?? fallback;

    public string? OptionalString(string name) => Read(name);

    public int Int(string name, int fallback) =>
        Read(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        Read(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Throws for options no getter asked for (typos).</summary>
    public void CheckAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }

    private string? Read(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }
}
