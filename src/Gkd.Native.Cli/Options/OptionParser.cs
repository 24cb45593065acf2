namespace Gkd.Native.Cli.Options;

/// <summary>
/// Turns a verb's arguments into <see cref="ParsedOptions"/>, with HF-Trainer/TRL conventions: <c>--flag value</c> or
/// <c>--flag=value</c>; a switch alone means true and may take a following <c>true|false|yes|no|1|0</c>; a list flag
/// takes every following word up to the next flag; <c>--config FILE.yaml</c> sets values that the command line
/// overrides. Every mistake becomes a <see cref="UsageException"/> naming the flag.
/// </summary>
public static class OptionParser
{
    /// <summary>Whether the arguments ask for help (<c>--help</c> or <c>-h</c>) instead of a run.</summary>
    public static bool WantsHelp(IEnumerable<string> args) => args.Any(a => a is "--" + OptionSet.HelpName or "-h");

    public static ParsedOptions Parse(OptionSet set, IReadOnlyList<string> args)
    {
        string? configPath = null;
        var fromCommandLine = new List<(OptionSpec Spec, RawValue Raw)>();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!IsFlag(token)) throw new UsageException($"unexpected argument '{token}'");
            if (!token.StartsWith("--", StringComparison.Ordinal)) throw Unknown(token, set);
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? token[2..] : token[2..eq];
            var inline = eq < 0 ? null : token[(eq + 1)..];
            if (name == OptionSet.ConfigName)
            {
                configPath = inline ?? (i + 1 < args.Count && !IsFlag(args[i + 1])
                    ? args[++i]
                    : throw new UsageException("--config expects a YAML file path"));
                continue;
            }
            var spec = set.Find(name) ?? throw Unknown(token[..(eq < 0 ? token.Length : eq)], set);
            RawValue raw;
            if (inline is not null)
            {
                raw = RawValue.Of(inline);
            }
            else if (spec.Kind == OptionKind.List)
            {
                var words = new List<string>();
                while (i + 1 < args.Count && !IsFlag(args[i + 1])) words.Add(args[++i]);
                raw = words.Count == 0 ? RawValue.Bare : RawValue.Of(words);
            }
            else
            {
                raw = i + 1 < args.Count && !IsFlag(args[i + 1]) ? RawValue.Of(args[++i]) : RawValue.Bare;
            }
            fromCommandLine.Add((spec, raw));
        }

        var values = set.Specs.ToDictionary(s => s.Name, s => s.Default, StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        if (configPath is not null)
        {
            foreach (var (key, raw) in ConfigFile.Load(configPath))
            {
                var spec = set.Find(key) ?? throw new UsageException(
                    $"unknown key '{key}' in {configPath}" + Hint(NameSuggester.Nearest(key, set.Specs.Select(s => s.Name)), ""));
                values[key] = spec.Convert(raw, $"'{key}' in {configPath}");
                given.Add(key);
            }
        }
        foreach (var (spec, raw) in fromCommandLine)
        {
            values[spec.Name] = spec.Convert(raw, spec.Flag);
            given.Add(spec.Name);
        }
        foreach (var spec in set.Specs)
            if (spec.Required && values[spec.Name] is null)
                throw new UsageException($"missing required option {spec.Flag} ({spec.Metavar}): {spec.Help}");
        return new ParsedOptions(set, values, given);
    }

    /// <summary>A flag is <c>--name…</c> or <c>-x…</c>; <c>-1</c>, <c>-0.5</c> and <c>-</c> are values.</summary>
    private static bool IsFlag(string token) =>
        token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]) && token[1] != '.';

    private static UsageException Unknown(string flag, OptionSet set)
    {
        var known = set.Specs.Select(s => s.Name).Append(OptionSet.ConfigName).Append(OptionSet.HelpName);
        return new UsageException($"unknown option '{flag}'" + Hint(NameSuggester.Nearest(flag, known), "--"));
    }

    private static string Hint(string? suggestion, string prefix) =>
        suggestion is null ? "" : $"; did you mean '{prefix}{suggestion}'?";
}
