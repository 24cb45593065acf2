using System.Diagnostics.CodeAnalysis;

namespace Gkd.Native.Cli.Options;

/// <summary>
/// The values of one verb's options after defaults, the config file and the command line were applied, in that order.
/// Read them by name with the type of their kind: <c>string</c> (String, Enum, OptionalValue), <c>int</c>,
/// <c>double</c> or <c>float</c>, <c>bool</c>, <c>IReadOnlyList&lt;string&gt;</c> (List). Reading an undeclared name
/// or with the wrong type is a programming error (<see cref="InvalidOperationException"/>).
/// </summary>
public sealed class ParsedOptions
{
    private readonly OptionSet _set;
    private readonly IReadOnlyDictionary<string, object?> _values;
    private readonly IReadOnlySet<string> _given;

    internal ParsedOptions(OptionSet set, IReadOnlyDictionary<string, object?> values, IReadOnlySet<string> given)
    {
        _set = set;
        _values = values;
        _given = given;
    }

    /// <summary>The option's value; throws when it has none (no default and not given: use <see cref="TryGet"/>).</summary>
    public T Get<T>(string name) =>
        TryGet<T>(name, out var value)
            ? value
            : throw new InvalidOperationException($"option --{name} has no value");

    /// <summary>The option's value, or <c>false</c> when it has none (no default and not given).</summary>
    public bool TryGet<T>(string name, [MaybeNullWhen(false)] out T value)
    {
        var spec = _set.Find(name) ?? throw new InvalidOperationException($"no option '{name}' is declared");
        if (!Reads<T>(spec.Kind))
            throw new InvalidOperationException($"option --{name} is {spec.Kind}; it cannot be read as {typeof(T).Name}");
        switch (_values[name])
        {
            case null:
                value = default;
                return false;
            case double d when typeof(T) == typeof(float):
                value = (T)(object)(float)d;
                return true;
            case var v:
                value = (T)v;
                return true;
        }
    }

    /// <summary>Whether the option was set by the command line or the config file rather than left at its default.</summary>
    public bool IsGiven(string name) =>
        _set.Find(name) is not null
            ? _given.Contains(name)
            : throw new InvalidOperationException($"no option '{name}' is declared");

    private static bool Reads<T>(OptionKind kind) => kind switch
    {
        OptionKind.String or OptionKind.Enum or OptionKind.OptionalValue => typeof(T) == typeof(string),
        OptionKind.Int => typeof(T) == typeof(int),
        OptionKind.Float => typeof(T) == typeof(double) || typeof(T) == typeof(float),
        OptionKind.Bool => typeof(T) == typeof(bool),
        OptionKind.List => typeof(T) == typeof(IReadOnlyList<string>),
        _ => false,
    };
}
