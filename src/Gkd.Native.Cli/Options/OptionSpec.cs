using System.Globalization;

namespace Gkd.Native.Cli.Options;

/// <summary>
/// One declared option of a verb: its flag name (without the leading <c>--</c>), kind, default, help text, whether it
/// must be given, the choices of an <see cref="OptionKind.Enum"/> and the bare value of an
/// <see cref="OptionKind.OptionalValue"/>. Declared through <see cref="OptionSet"/>'s builder methods.
/// </summary>
public sealed class OptionSpec
{
    private static readonly string[] TrueWords = ["true", "yes", "t", "y", "1"];
    private static readonly string[] FalseWords = ["false", "no", "f", "n", "0"];

    internal OptionSpec(
        string name, OptionKind kind, object? defaultValue, string help, bool required,
        IReadOnlyList<string> choices, string? bareValue)
    {
        Name = name;
        Kind = kind;
        Default = defaultValue;
        Help = help;
        Required = required;
        Choices = choices;
        BareValue = bareValue;
    }

    public string Name { get; }

    public OptionKind Kind { get; }

    /// <summary>The value when the option is not given: <c>null</c> for none, else a value of the kind's type.</summary>
    public object? Default { get; }

    public string Help { get; }

    public bool Required { get; }

    /// <summary>The accepted words of an <see cref="OptionKind.Enum"/>; empty for other kinds.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>The value an <see cref="OptionKind.OptionalValue"/> takes when given without one.</summary>
    public string? BareValue { get; }

    public string Flag => "--" + Name;

    /// <summary>How the value is shown in help: <c>INT</c>, <c>{linear,cosine}</c>, <c>STR [STR ...]</c>, …</summary>
    public string Metavar => Kind switch
    {
        OptionKind.String => "STR",
        OptionKind.Int => "INT",
        OptionKind.Float => "FLOAT",
        OptionKind.Bool => "[BOOL]",
        OptionKind.Enum => "{" + string.Join(',', Choices) + "}",
        OptionKind.List => "STR [STR ...]",
        OptionKind.OptionalValue => "[VALUE]",
        _ => throw new InvalidOperationException($"unknown option kind {Kind}"),
    };

    /// <summary>The <see cref="Default"/> as help shows it, or <c>null</c> when there is none.</summary>
    public string? DefaultText => Default switch
    {
        null => null,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant(),
        int i => i.ToString(CultureInfo.InvariantCulture),
        IReadOnlyList<string> words => string.Join(' ', words),
        var other => other.ToString(),
    };

    /// <summary>
    /// Converts what the user wrote to this option's type. <paramref name="where"/> names the place for the error
    /// message: the flag itself, or the key and the config file it came from.
    /// </summary>
    internal object? Convert(RawValue raw, string where)
    {
        if (Kind == OptionKind.List)
        {
            if (raw.Words is { Count: > 0 } words) return words.ToArray();
            if (raw.Word is { } one) return new[] { one };
            throw new UsageException($"{where} expects at least one value ({Metavar})");
        }
        if (raw.Words is not null)
            throw new UsageException($"{where} takes a single value, not a list ('{raw}')");
        if (raw.Word is not { } word)
        {
            return Kind switch
            {
                OptionKind.Bool => true,
                OptionKind.OptionalValue => BareValue,
                _ => throw new UsageException($"{where} expects a value ({Metavar})"),
            };
        }
        return Kind switch
        {
            OptionKind.String => word,
            OptionKind.Int => int.TryParse(word, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw Invalid(word, where, "an integer"),
            OptionKind.Float => double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw Invalid(word, where, "a number"),
            OptionKind.Bool => ParseBool(word) ?? throw Invalid(word, where, "true or false"),
            OptionKind.Enum => Choices.FirstOrDefault(c => string.Equals(c, word, StringComparison.OrdinalIgnoreCase))
                ?? throw Invalid(word, where, "one of " + string.Join(", ", Choices)),
            OptionKind.OptionalValue => ParseBool(word) switch
            {
                true => BareValue,
                false => null,
                null => word,
            },
            _ => throw new InvalidOperationException($"unknown option kind {Kind}"),
        };
    }

    private static bool? ParseBool(string word)
    {
        if (TrueWords.Contains(word, StringComparer.OrdinalIgnoreCase)) return true;
        if (FalseWords.Contains(word, StringComparer.OrdinalIgnoreCase)) return false;
        return null;
    }

    private static UsageException Invalid(string word, string where, string expected) =>
        new($"invalid value '{word}' for {where}: expected {expected}");
}
