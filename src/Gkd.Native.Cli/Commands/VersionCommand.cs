using System.Reflection;
using Gkd.Native.Cli.Options;

namespace Gkd.Native.Cli.Commands;

/// <summary><c>gkd version</c> (also <c>gkd --version</c>): prints the program's informational version.</summary>
public sealed class VersionCommand : ICommand
{
    public static string Text { get; } =
        "gkd " + (typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
            ?.InformationalVersion ?? "unknown");

    public string Name => "version";

    public string Summary => "Print gkd's version.";

    public OptionSet Options { get; } = new();

    public int Run(ParsedOptions options, TextWriter output)
    {
        output.WriteLine(Text);
        return 0;
    }
}
