using Gkd.Native.Cli.Options;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// One verb of <c>gkd</c> (<c>gkd train …</c>): its name, one-line summary, declared options, and its body. Register
/// each in <see cref="Program.Commands"/>. A body may throw <see cref="UsageException"/> for a bad combination of
/// options (exit code 2); any other exception is reported as <c>error: message</c> with exit code 1.
/// </summary>
public interface ICommand
{
    string Name { get; }

    string Summary { get; }

    OptionSet Options { get; }

    /// <summary>Runs the verb and returns the process exit code; normal output goes to <paramref name="output"/>.</summary>
    int Run(ParsedOptions options, TextWriter output);
}
