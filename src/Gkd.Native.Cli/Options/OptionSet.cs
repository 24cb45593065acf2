namespace Gkd.Native.Cli.Options;

/// <summary>
/// The options a verb declares, in the order help lists them. Built with one call per option:
/// <code>
/// new OptionSet()
///     .String("model_name_or_path", null, "Student model.", required: true)
///     .Float("learning_rate", 2e-5, "Initial learning rate.")
///     .Bool("push_to_hub", false, "Push the result to the Hub.")
/// </code>
/// Every verb also accepts <c>--config FILE.yaml</c> and <c>--help</c>, which need no declaring.
/// </summary>
public sealed class OptionSet
{
    /// <summary>The flag naming a YAML file of option values; flags on the command line override it.</summary>
    public const string ConfigName = "config";

    /// <summary>The flag that prints a verb's help.</summary>
    public const string HelpName = "help";

    private readonly List<OptionSpec> _specs = [];
    private readonly Dictionary<string, OptionSpec> _byName = new(StringComparer.Ordinal);

    public IReadOnlyList<OptionSpec> Specs => _specs;

    public OptionSpec? Find(string name) => _byName.GetValueOrDefault(name);

    public OptionSet String(string name, string? defaultValue, string help, bool required = false) =>
        Add(name, OptionKind.String, defaultValue, help, required);

    public OptionSet Int(string name, int? defaultValue, string help, bool required = false) =>
        Add(name, OptionKind.Int, defaultValue, help, required);

    public OptionSet Float(string name, double? defaultValue, string help, bool required = false) =>
        Add(name, OptionKind.Float, defaultValue, help, required);

    public OptionSet Bool(string name, bool defaultValue, string help) =>
        Add(name, OptionKind.Bool, defaultValue, help, required: false);

    /// <summary>An option taking one of <paramref name="choices"/> (matched ignoring case).</summary>
    public OptionSet Enum(string name, string? defaultValue, IReadOnlyList<string> choices, string help, bool required = false)
    {
        if (choices.Count == 0) throw new ArgumentException($"enum option '{name}' needs choices", nameof(choices));
        if (defaultValue is not null && !choices.Contains(defaultValue))
            throw new ArgumentException($"default '{defaultValue}' of '{name}' is not among its choices", nameof(defaultValue));
        return Add(name, OptionKind.Enum, defaultValue, help, required, choices);
    }

    /// <summary>An option taking one or more words: <c>--lora_target_modules q_proj v_proj</c>.</summary>
    public OptionSet List(string name, IReadOnlyList<string>? defaultValue, string help, bool required = false) =>
        Add(name, OptionKind.List, defaultValue?.ToArray(), help, required);

    /// <summary>
    /// An option whose value may be left out, like <c>--resume_from_checkpoint [PATH]</c>: no value when absent,
    /// <paramref name="bareValue"/> when given bare (or as <c>true</c>), the word otherwise.
    /// </summary>
    public OptionSet OptionalValue(string name, string bareValue, string help) =>
        Add(name, OptionKind.OptionalValue, null, help, required: false, bareValue: bareValue);

    private OptionSet Add(
        string name, OptionKind kind, object? defaultValue, string help, bool required,
        IReadOnlyList<string>? choices = null, string? bareValue = null)
    {
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]) ||
            !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            throw new ArgumentException($"option name '{name}' must be lower_snake_case", nameof(name));
        if (name is ConfigName or HelpName)
            throw new ArgumentException($"option name '{name}' is built in", nameof(name));
        if (required && defaultValue is not null)
            throw new ArgumentException($"required option '{name}' cannot have a default", nameof(required));
        var spec = new OptionSpec(name, kind, defaultValue, help, required, choices ?? [], bareValue);
        if (!_byName.TryAdd(name, spec)) throw new ArgumentException($"option '{name}' declared twice", nameof(name));
        _specs.Add(spec);
        return this;
    }
}
