using Gkd.Native.Cli;
using Gkd.Native.Cli.Commands;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cli;

/// <summary>The <c>gkd</c> entry point run in-process: exit codes and what it prints.</summary>
public sealed class ProgramTests
{
    private static (int Code, string Out, string Err) Run(IReadOnlyList<ICommand> commands, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr, commands);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static (int Code, string Out, string Err) RunGkd(params string[] args) => Run(Program.Commands, args);

    [Test]
    public void UnknownVerbExitsTwoWithSuggestion()
    {
        var (code, output, error) = RunGkd("versoin");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(output, Is.Empty);
            Assert.That(error, Is.EqualTo("error: unknown command 'versoin'; did you mean 'version'?\n"));
        }
    }

    [Test]
    public void UnknownFlagExitsTwoWithSuggestion()
    {
        var (code, _, error) = RunGkd("version", "--hlep");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.StartWith("error: unknown option '--hlep'; did you mean '--help'?"));
            Assert.That(error, Does.Contain("gkd version --help"));
        }
    }

    [Test]
    public void UnknownVerbAndFlagOfARegisteredVerb()
    {
        ICommand[] commands = [new SampleTrainCommand(), new VersionCommand()];

        var verb = Run(commands, "trian", "--model_name_or_path", "m");
        var flag = Run(commands, "train", "--model-name-or-path", "m");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verb.Code, Is.EqualTo(2));
            Assert.That(verb.Err, Does.Contain("did you mean 'train'?"));
            Assert.That(flag.Code, Is.EqualTo(2));
            Assert.That(flag.Err, Does.Contain("unknown option '--model-name-or-path'; did you mean '--model_name_or_path'?"));
        }
    }

    [Test]
    public void VerbRunsWithParsedOptions()
    {
        var train = new SampleTrainCommand();

        var (code, output, error) = Run([train], "train", "--model_name_or_path", "Qwen/Qwen2-0.5B-Instruct", "--lora_r", "64");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(output, Is.EqualTo("training Qwen/Qwen2-0.5B-Instruct\n"));
            Assert.That(error, Is.Empty);
            Assert.That(train.Received?.Get<int>("lora_r"), Is.EqualTo(64));
        }
    }

    [Test]
    public void MissingRequiredExitsTwo()
    {
        var (code, _, error) = Run([new SampleTrainCommand()], "train");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.StartWith("error: missing required option --model_name_or_path"));
        }
    }

    [Test]
    public void FailureInsideAVerbExitsOneWithMessageOnly()
    {
        var (code, _, error) = Run([new SampleTrainCommand()], "train", "--model_name_or_path", "explode");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Is.EqualTo("error: boom\n"));
        }
    }

    [Test]
    public void TopLevelHelpListsVerbs()
    {
        var (code, output, _) = Run([new SampleTrainCommand(), new VersionCommand()], "--help");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(output, Does.Contain("train    Distil a teacher into a student (test sample)."));
            Assert.That(output, Does.Contain("version  Print gkd's version."));
        }
    }

    [TestCase("train", "--help")]
    [TestCase("train", "--lora_r", "8", "-h")]
    [TestCase("help", "train")]
    public void VerbHelpPrintsItsOptions(params string[] args)
    {
        var (code, output, _) = Run([new SampleTrainCommand()], args);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(output, Does.StartWith("usage: gkd train"));
            Assert.That(output, Does.Contain("--learning_rate FLOAT"));
        }
    }

    [TestCase("--version")]
    [TestCase("version")]
    public void VersionPrintsProgramVersion(string arg)
    {
        var (code, output, _) = RunGkd(arg);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(output, Does.StartWith("gkd 0.1.0"));
        }
    }

    [Test]
    public void NoVerbExitsTwo()
    {
        var (code, _, error) = RunGkd();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.StartWith("error: no command given"));
        }
    }
}
