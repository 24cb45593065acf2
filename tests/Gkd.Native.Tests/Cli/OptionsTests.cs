using Gkd.Native.Cli.Options;
using Gkd.Native.Tests.Support;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cli;

public sealed class OptionsTests
{
    private static readonly OptionSet Set = new SampleTrainCommand().Options;

    private static ParsedOptions Parse(params string[] args) => OptionParser.Parse(Set, args);

    private static ParsedOptions ParseWithModel(params string[] args) =>
        Parse(["--model_name_or_path", "student", .. args]);

    private static string WriteConfig(string yaml)
    {
        var path = Path.Combine(TestPaths.TempDir("cli-config"), "config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Test]
    public void TrlLoraGkdExampleParses()
    {
        var args = ("--model_name_or_path Qwen/Qwen2-0.5B-Instruct --teacher_model_name_or_path Qwen/Qwen2-1.5B-Instruct " +
            "--dataset_name trl-lib/chatbot_arena_completions --learning_rate 2e-4 --per_device_train_batch_size 4 " +
            "--gradient_accumulation_steps 8 --output_dir gkd-model --num_train_epochs 1 --push_to_hub " +
            "--gradient_checkpointing --use_peft --lora_r 64 --lora_alpha 16").Split(' ');

        var o = Parse(args);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<string>("model_name_or_path"), Is.EqualTo("Qwen/Qwen2-0.5B-Instruct"));
            Assert.That(o.Get<string>("teacher_model_name_or_path"), Is.EqualTo("Qwen/Qwen2-1.5B-Instruct"));
            Assert.That(o.Get<string>("dataset_name"), Is.EqualTo("trl-lib/chatbot_arena_completions"));
            Assert.That(o.Get<double>("learning_rate"), Is.EqualTo(2e-4));
            Assert.That(o.Get<int>("per_device_train_batch_size"), Is.EqualTo(4));
            Assert.That(o.Get<int>("gradient_accumulation_steps"), Is.EqualTo(8));
            Assert.That(o.Get<string>("output_dir"), Is.EqualTo("gkd-model"));
            Assert.That(o.Get<double>("num_train_epochs"), Is.EqualTo(1.0));
            Assert.That(o.Get<bool>("push_to_hub"), Is.True);
            Assert.That(o.Get<bool>("gradient_checkpointing"), Is.True);
            Assert.That(o.Get<bool>("use_peft"), Is.True);
            Assert.That(o.Get<int>("lora_r"), Is.EqualTo(64));
            Assert.That(o.Get<int>("lora_alpha"), Is.EqualTo(16));
            Assert.That(o.Get<IReadOnlyList<string>>("lora_target_modules"), Is.EqualTo(new[] { "q_proj", "v_proj" }));
            Assert.That(o.IsGiven("lora_r"), Is.True);
            Assert.That(o.IsGiven("max_steps"), Is.False);
        }
    }

    [Test]
    public void DefaultsApplyWhenNotGiven()
    {
        var o = ParseWithModel();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<double>("learning_rate"), Is.EqualTo(2e-5));
            Assert.That(o.Get<float>("learning_rate"), Is.EqualTo(2e-5f));
            Assert.That(o.Get<int>("max_steps"), Is.EqualTo(-1));
            Assert.That(o.Get<bool>("push_to_hub"), Is.False);
            Assert.That(o.Get<string>("lr_scheduler_type"), Is.EqualTo("linear"));
            Assert.That(o.TryGet<int>("seed", out _), Is.False);
            Assert.That(o.TryGet<string>("teacher_model_name_or_path", out _), Is.False);
        }
    }

    [Test]
    public void EqualsFormSetsValues()
    {
        var o = Parse("--model_name_or_path=a=b", "--lora_r=8", "--learning_rate=1e-3", "--output_dir=", "--use_peft=false");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<string>("model_name_or_path"), Is.EqualTo("a=b"));
            Assert.That(o.Get<int>("lora_r"), Is.EqualTo(8));
            Assert.That(o.Get<double>("learning_rate"), Is.EqualTo(1e-3));
            Assert.That(o.Get<string>("output_dir"), Is.Empty);
            Assert.That(o.Get<bool>("use_peft"), Is.False);
        }
    }

    [Test]
    public void NegativeNumbersAreValuesNotFlags()
    {
        var o = ParseWithModel("--max_steps", "-1", "--learning_rate", "-.5");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<int>("max_steps"), Is.EqualTo(-1));
            Assert.That(o.Get<double>("learning_rate"), Is.EqualTo(-0.5));
        }
    }

    [Test]
    public void LaterOccurrenceWins()
    {
        Assert.That(ParseWithModel("--lora_r", "4", "--lora_r", "8").Get<int>("lora_r"), Is.EqualTo(8));
    }

    [TestCase(new string[0], false)]
    [TestCase(new[] { "--push_to_hub" }, true)]
    [TestCase(new[] { "--push_to_hub", "--use_peft" }, true)]
    [TestCase(new[] { "--push_to_hub", "true" }, true)]
    [TestCase(new[] { "--push_to_hub", "True" }, true)]
    [TestCase(new[] { "--push_to_hub", "1" }, true)]
    [TestCase(new[] { "--push_to_hub", "yes" }, true)]
    [TestCase(new[] { "--push_to_hub=TRUE" }, true)]
    [TestCase(new[] { "--push_to_hub", "false" }, false)]
    [TestCase(new[] { "--push_to_hub", "False" }, false)]
    [TestCase(new[] { "--push_to_hub", "0" }, false)]
    [TestCase(new[] { "--push_to_hub", "no" }, false)]
    [TestCase(new[] { "--push_to_hub=false" }, false)]
    public void BoolForms(string[] args, bool expected)
    {
        Assert.That(ParseWithModel(args).Get<bool>("push_to_hub"), Is.EqualTo(expected));
    }

    [Test]
    public void BoolRejectsOtherWords()
    {
        Assert.That(() => ParseWithModel("--push_to_hub", "maybe"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("invalid value 'maybe' for --push_to_hub: expected true or false"));
    }

    [TestCase("--lora_r", "abc", "invalid value 'abc' for --lora_r: expected an integer")]
    [TestCase("--lora_r", "8.5", "invalid value '8.5' for --lora_r: expected an integer")]
    [TestCase("--learning_rate", "fast", "invalid value 'fast' for --learning_rate: expected a number")]
    [TestCase("--lr_scheduler_type", "cosin",
        "invalid value 'cosin' for --lr_scheduler_type: expected one of linear, cosine, constant")]
    public void BadValuesNameFlagValueAndExpectation(string flag, string value, string message)
    {
        Assert.That(() => ParseWithModel(flag, value), Throws.TypeOf<UsageException>().With.Message.EqualTo(message));
    }

    [Test]
    public void EnumMatchesIgnoringCaseAndKeepsDeclaredSpelling()
    {
        Assert.That(ParseWithModel("--lr_scheduler_type", "Cosine").Get<string>("lr_scheduler_type"), Is.EqualTo("cosine"));
    }

    [TestCase("--lora_r")]
    [TestCase("--output_dir")]
    [TestCase("--lr_scheduler_type")]
    public void ValueFlagWithoutValueIsAnError(string flag)
    {
        Assert.That(() => ParseWithModel(flag, "--use_peft"), Throws.TypeOf<UsageException>()
            .With.Message.StartsWith($"{flag} expects a value"));
        Assert.That(() => ParseWithModel(flag), Throws.TypeOf<UsageException>()
            .With.Message.StartsWith($"{flag} expects a value"));
    }

    [Test]
    public void ListTakesFollowingWordsUpToNextFlag()
    {
        var o = ParseWithModel("--lora_target_modules", "q_proj", "k_proj", "v_proj", "o_proj", "--use_peft");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<IReadOnlyList<string>>("lora_target_modules"),
                Is.EqualTo(new[] { "q_proj", "k_proj", "v_proj", "o_proj" }));
            Assert.That(o.Get<bool>("use_peft"), Is.True);
        }
    }

    [Test]
    public void ListTakesTheSingleWordAllLinear()
    {
        Assert.That(ParseWithModel("--lora_target_modules", "all-linear").Get<IReadOnlyList<string>>("lora_target_modules"),
            Is.EqualTo(new[] { "all-linear" }));
        Assert.That(ParseWithModel("--lora_target_modules=all-linear").Get<IReadOnlyList<string>>("lora_target_modules"),
            Is.EqualTo(new[] { "all-linear" }));
    }

    [Test]
    public void ListWithoutWordsIsAnError()
    {
        Assert.That(() => ParseWithModel("--lora_target_modules", "--use_peft"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("--lora_target_modules expects at least one value (STR [STR ...])"));
    }

    [Test]
    public void OptionalValueAbsentBareAndGiven()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ParseWithModel().TryGet<string>("resume_from_checkpoint", out _), Is.False);
            Assert.That(ParseWithModel("--resume_from_checkpoint").Get<string>("resume_from_checkpoint"), Is.EqualTo("latest"));
            var bareThenFlag = ParseWithModel("--resume_from_checkpoint", "--use_peft");
            Assert.That(bareThenFlag.Get<string>("resume_from_checkpoint"), Is.EqualTo("latest"));
            Assert.That(bareThenFlag.Get<bool>("use_peft"), Is.True);
            Assert.That(ParseWithModel("--resume_from_checkpoint", "out/checkpoint-500").Get<string>("resume_from_checkpoint"),
                Is.EqualTo("out/checkpoint-500"));
            Assert.That(ParseWithModel("--resume_from_checkpoint=ckpt").Get<string>("resume_from_checkpoint"), Is.EqualTo("ckpt"));
            Assert.That(ParseWithModel("--resume_from_checkpoint", "True").Get<string>("resume_from_checkpoint"), Is.EqualTo("latest"));
            Assert.That(ParseWithModel("--resume_from_checkpoint", "false").TryGet<string>("resume_from_checkpoint", out _), Is.False);
        }
    }

    [Test]
    public void MissingRequiredNamesTheFlag()
    {
        Assert.That(() => Parse("--lora_r", "8"), Throws.TypeOf<UsageException>()
            .With.Message.StartsWith("missing required option --model_name_or_path"));
    }

    [TestCase("--learning_rat", "--learning_rate")]
    [TestCase("--learning_rate_", "--learning_rate")]
    [TestCase("--model-name-or-path", "--model_name_or_path")]
    [TestCase("--Model_Name_Or_Path", "--model_name_or_path")]
    [TestCase("--per_device_batch_size", "--per_device_train_batch_size")]
    [TestCase("--lroa_r", "--lora_r")]
    [TestCase("--confg", "--config")]
    [TestCase("--hlep", "--help")]
    [TestCase("-model_name_or_path", "--model_name_or_path")]
    public void UnknownFlagSuggestsNearestName(string typed, string suggestion)
    {
        Assert.That(() => ParseWithModel(typed, "1"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo($"unknown option '{typed}'; did you mean '{suggestion}'?"));
    }

    [Test]
    public void UnknownFlagWithValueSuggestsFromItsName()
    {
        Assert.That(() => ParseWithModel("--learning_rat=1e-4"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("unknown option '--learning_rat'; did you mean '--learning_rate'?"));
    }

    [Test]
    public void UnknownFlagFarFromAnyNameSuggestsNothing()
    {
        Assert.That(() => ParseWithModel("--bf16"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("unknown option '--bf16'"));
    }

    [Test]
    public void StrayWordIsAnError()
    {
        Assert.That(() => ParseWithModel("--lora_r", "8", "16"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("unexpected argument '16'"));
    }

    [Test]
    public void ConfigFileSetsValuesAndCommandLineOverrides()
    {
        var config = WriteConfig("""
            # a TRL-style recipe
            model_name_or_path: Qwen/Qwen2-0.5B-Instruct
            learning_rate: 2.0e-4
            lora_r: 32
            use_peft: true
            lr_scheduler_type: cosine
            lora_target_modules:
              - q_proj
              - k_proj
            resume_from_checkpoint: true
            seed: null
            teacher_model_name_or_path:
            """);

        var o = Parse("--lora_r", "64", "--config", config, "--use_peft", "false");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(o.Get<string>("model_name_or_path"), Is.EqualTo("Qwen/Qwen2-0.5B-Instruct"));
            Assert.That(o.Get<double>("learning_rate"), Is.EqualTo(2e-4));
            Assert.That(o.Get<int>("lora_r"), Is.EqualTo(64), "the command line overrides the file, wherever --config stands");
            Assert.That(o.Get<bool>("use_peft"), Is.False);
            Assert.That(o.Get<string>("lr_scheduler_type"), Is.EqualTo("cosine"));
            Assert.That(o.Get<IReadOnlyList<string>>("lora_target_modules"), Is.EqualTo(new[] { "q_proj", "k_proj" }));
            Assert.That(o.Get<string>("resume_from_checkpoint"), Is.EqualTo("latest"));
            Assert.That(o.TryGet<int>("seed", out _), Is.False);
            Assert.That(o.IsGiven("seed"), Is.False);
            Assert.That(o.TryGet<string>("teacher_model_name_or_path", out _), Is.False);
            Assert.That(o.IsGiven("learning_rate"), Is.True);
        }
    }

    [Test]
    public void ConfigScalarForListAndEqualsForm()
    {
        var config = WriteConfig("model_name_or_path: m\nlora_target_modules: all-linear\n");

        Assert.That(Parse($"--config={config}").Get<IReadOnlyList<string>>("lora_target_modules"),
            Is.EqualTo(new[] { "all-linear" }));
    }

    [Test]
    public void ConfigUnknownKeySuggestsNearestName()
    {
        var config = WriteConfig("model_name_or_path: m\nlearning_rat: 1e-4\n");

        Assert.That(() => Parse("--config", config), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo($"unknown key 'learning_rat' in {config}; did you mean 'learning_rate'?"));
    }

    [Test]
    public void ConfigBadValueNamesKeyAndFile()
    {
        var config = WriteConfig("model_name_or_path: m\nlora_r: many\n");

        Assert.That(() => Parse("--config", config), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo($"invalid value 'many' for 'lora_r' in {config}: expected an integer"));
    }

    [Test]
    public void ConfigListForScalarIsAnError()
    {
        var config = WriteConfig("model_name_or_path: [a, b]\n");

        Assert.That(() => Parse("--config", config), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo($"'model_name_or_path' in {config} takes a single value, not a list ('a b')"));
    }

    [TestCase("model_name_or_path: {nested: 1}\n", "must be a value or a list")]
    [TestCase("- a\n- b\n", "must be a mapping")]
    [TestCase("model_name_or_path: [unclosed\n", "is not valid YAML")]
    public void ConfigOfWrongShapeIsAnError(string yaml, string fragment)
    {
        var config = WriteConfig(yaml);

        Assert.That(() => Parse("--config", config), Throws.TypeOf<UsageException>().With.Message.Contains(fragment));
    }

    [Test]
    public void MissingConfigFileIsAnError()
    {
        Assert.That(() => Parse("--config", "/nonexistent/gkd.yaml"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("config file '/nonexistent/gkd.yaml' not found"));
        Assert.That(() => Parse("--config"), Throws.TypeOf<UsageException>()
            .With.Message.EqualTo("--config expects a YAML file path"));
    }

    [Test]
    public void RequiredOptionMayComeFromConfig()
    {
        var config = WriteConfig("model_name_or_path: from-file\n");

        Assert.That(Parse("--config", config).Get<string>("model_name_or_path"), Is.EqualTo("from-file"));
    }

    [Test]
    public void HelpListsOptionsWithKindsAndDefaults()
    {
        var help = HelpFormatter.Format("gkd train", "Distil.", Set);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(help, Does.StartWith("usage: gkd train [--config FILE.yaml] [options]"));
            Assert.That(help, Does.Contain("--model_name_or_path STR\n      Student model: a Hub id or a local folder. (required)"));
            Assert.That(help, Does.Contain("--learning_rate FLOAT\n      Initial AdamW learning rate. (default: 2e-05)"));
            Assert.That(help, Does.Contain("--per_device_train_batch_size INT"));
            Assert.That(help, Does.Contain("(default: 8)"));
            Assert.That(help, Does.Contain("--push_to_hub [BOOL]\n      Push the result to the Hub. (default: false)"));
            Assert.That(help, Does.Contain("--lr_scheduler_type {linear,cosine,constant}"));
            Assert.That(help, Does.Contain("--lora_target_modules STR [STR ...]"));
            Assert.That(help, Does.Contain("(default: q_proj v_proj)"));
            Assert.That(help, Does.Contain("--resume_from_checkpoint [VALUE]"));
            Assert.That(help, Does.Contain("--config FILE.yaml"));
            Assert.That(help, Does.Contain("-h, --help"));
        }
    }

    [Test]
    public void WantsHelpSpotsEitherSpelling()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(OptionParser.WantsHelp(["--lora_r", "8", "--help"]), Is.True);
            Assert.That(OptionParser.WantsHelp(["-h"]), Is.True);
            Assert.That(OptionParser.WantsHelp(["--lora_r", "8"]), Is.False);
        }
    }

    [Test]
    public void ReadingWithWrongTypeOrUnknownNameIsAProgrammingError()
    {
        var o = ParseWithModel();

        Assert.That(() => o.Get<string>("lora_r"), Throws.InvalidOperationException
            .With.Message.EqualTo("option --lora_r is Int; it cannot be read as String"));
        Assert.That(() => o.Get<int>("lora_rank"), Throws.InvalidOperationException);
        Assert.That(() => o.Get<int>("seed"), Throws.InvalidOperationException
            .With.Message.EqualTo("option --seed has no value"));
    }

    [Test]
    public void BadDeclarationsAreRejected()
    {
        Assert.That(() => new OptionSet().Int("a", 1, "").Int("a", 2, ""), Throws.ArgumentException);
        Assert.That(() => new OptionSet().String("config", null, ""), Throws.ArgumentException);
        Assert.That(() => new OptionSet().String("Model-Name", null, ""), Throws.ArgumentException);
        Assert.That(() => new OptionSet().String("m", "x", "", required: true), Throws.ArgumentException);
        Assert.That(() => new OptionSet().Enum("e", "c", ["a", "b"], ""), Throws.ArgumentException);
    }

    [TestCase("", "", 0)]
    [TestCase("train", "trian", 1)]
    [TestCase("kitten", "sitting", 3)]
    [TestCase("ca", "abc", 3)]
    public void DistanceCountsEditsAndAdjacentSwaps(string a, string b, int expected)
    {
        Assert.That(NameSuggester.Distance(a, b), Is.EqualTo(expected));
    }
}
