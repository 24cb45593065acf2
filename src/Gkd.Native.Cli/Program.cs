using System.Text;
using Gkd.Native.Cli.Commands;
using Gkd.Native.Cli.Options;

namespace Gkd.Native.Cli;

/// <summary>
/// The <c>gkd</c> entry point: <c>gkd &lt;command&gt; [options]</c>. Usage mistakes print <c>error: …</c> and exit 2;
/// any other failure prints <c>error: message</c> (the whole exception when GKD_DEBUG=1) and exits 1.
/// </summary>
public static class Program
{
    /// <summary>The verbs, in the order <c>gkd --help</c> lists them.</summary>
    public static IReadOnlyList<ICommand> Commands { get; } =
        [new TrainCommand(), new EvalCommand(), new GenerateCommand(), new DemoCommand(), new BenchCommand(), new VersionCommand()];

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Commands);

    /// <summary>Runs gkd on <paramref name="args"/> with the given verbs and writers; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, IReadOnlyList<ICommand> commands)
    {
        try
        {
            return Dispatch(args, stdout, commands);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            stderr.WriteLine(Environment.GetEnvironmentVariable("GKD_DEBUG") == "1" ? $"error: {e}" : $"error: {e.Message}");
            return 1;
        }
    }

    private static int Dispatch(IReadOnlyList<string> args, TextWriter stdout, IReadOnlyList<ICommand> commands)
    {
        var names = commands.Select(c => c.Name).ToArray();
        if (args.Count == 0)
            throw new UsageException($"no command given; one of: {string.Join(", ", names)} (see 'gkd --help')");
        var verb = args[0];
        if (verb is "--help" or "-h" or "help")
        {
            stdout.Write(args.Count > 1 && verb == "help" ? CommandHelp(Find(args[1], commands)) : Help(commands));
            return 0;
        }
        if (verb == "--version")
        {
            stdout.WriteLine(VersionCommand.Text);
            return 0;
        }
        if (verb.StartsWith('-'))
        {
            var hint = NameSuggester.Nearest(verb, ["help", "version"]);
            throw new UsageException($"unknown option '{verb}'" + (hint is null ? "" : $"; did you mean '--{hint}'?"));
        }

        var command = Find(verb, commands);
        var rest = args.Skip(1).ToArray();
        if (OptionParser.WantsHelp(rest))
        {
            stdout.Write(CommandHelp(command));
            return 0;
        }
        ParsedOptions options;
        try
        {
            options = OptionParser.Parse(command.Options, rest);
        }
        catch (UsageException e)
        {
            throw new UsageException($"{e.Message}\n(see 'gkd {command.Name} --help')");
        }
        return command.Run(options, stdout);
    }

    private static ICommand Find(string verb, IReadOnlyList<ICommand> commands)
    {
        if (commands.FirstOrDefault(c => c.Name == verb) is { } command) return command;
        var hint = NameSuggester.Nearest(verb, commands.Select(c => c.Name));
        throw new UsageException($"unknown command '{verb}'" + (hint is null
            ? $"; one of: {string.Join(", ", commands.Select(c => c.Name))}"
            : $"; did you mean '{hint}'?"));
    }

    private static string CommandHelp(ICommand command) =>
        HelpFormatter.Format($"gkd {command.Name}", command.Summary, command.Options);

    private static string Help(IReadOnlyList<ICommand> commands)
    {
        var text = new StringBuilder();
        text.AppendLine("usage: gkd <command> [options]").AppendLine();
        text.AppendLine("On-policy knowledge distillation (TRL GKDTrainer semantics) on a native .NET engine.").AppendLine();
        text.AppendLine("commands:");
        var width = commands.Max(c => c.Name.Length) + 2;
        foreach (var command in commands) text.Append("  ").Append(command.Name.PadRight(width)).AppendLine(command.Summary);
        text.AppendLine().AppendLine("options:");
        text.AppendLine("  -h, --help   Show this help and exit.");
        text.AppendLine("  --version    Print gkd's version and exit.");
        text.AppendLine().AppendLine("Run 'gkd <command> --help' for a command's options.");
        return text.ToString();
    }
}
