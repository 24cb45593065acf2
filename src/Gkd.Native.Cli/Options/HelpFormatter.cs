using System.Text;

namespace Gkd.Native.Cli.Options;

/// <summary>Writes a verb's help: usage line, summary, then each option with its value form, help and default.</summary>
public static class HelpFormatter
{
    public static string Format(string usage, string summary, OptionSet set)
    {
        var text = new StringBuilder();
        text.Append("usage: ").Append(usage).AppendLine(" [--config FILE.yaml] [options]").AppendLine();
        text.AppendLine(summary).AppendLine();
        text.AppendLine("options:");
        foreach (var spec in set.Specs)
        {
            var note = spec.Required ? " (required)" : spec.DefaultText is { } d ? $" (default: {d})" : "";
            Entry(text, $"{spec.Flag} {spec.Metavar}", spec.Help + note);
        }
        Entry(text, $"--{OptionSet.ConfigName} FILE.yaml",
            "YAML file whose keys are the option names above; flags on the command line override it.");
        Entry(text, $"-h, --{OptionSet.HelpName}", "Show this help and exit.");
        return text.ToString();
    }

    private static void Entry(StringBuilder text, string form, string help) =>
        text.Append("  ").AppendLine(form).Append("      ").AppendLine(help);
}
