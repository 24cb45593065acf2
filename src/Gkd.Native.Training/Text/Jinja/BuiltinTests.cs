namespace Gkd.Native.Training.Text.Jinja;

/// <summary>Jinja's tests ("x is defined", "x is not none", "n is divisibleby 3"…).</summary>
internal static class BuiltinTests
{
    private static readonly Dictionary<string, Func<object?, CallArguments, bool>> Table = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, a) => Done(a, v is not Undefined),
        ["undefined"] = (v, a) => Done(a, v is Undefined),
        ["none"] = (v, a) => Done(a, v is null),
        ["boolean"] = (v, a) => Done(a, v is bool),
        ["true"] = (v, a) => Done(a, v is true),
        ["false"] = (v, a) => Done(a, v is false),
        ["integer"] = (v, a) => Done(a, v is long),
        ["float"] = (v, a) => Done(a, v is double),
        ["number"] = (v, a) => Done(a, Values.IsNumber(v)),
        ["string"] = (v, a) => Done(a, v is string),
        ["mapping"] = (v, a) => Done(a, v is OrderedDictionary<string, object?>),
        ["iterable"] = (v, a) => Done(a, v is string or Undefined or OrderedDictionary<string, object?> || Values.IsSequence(v)),
        ["sequence"] = (v, a) => Done(a, v is string or Undefined or OrderedDictionary<string, object?> || Values.IsSequence(v)),
        ["callable"] = (v, a) => Done(a, v is JinjaFunction),
        ["escaped"] = (_, a) => Done(a, false),
        ["lower"] = (v, a) => Done(a, v is string s && s == s.ToLowerInvariant()),
        ["upper"] = (v, a) => Done(a, v is string s && s == s.ToUpperInvariant()),
        ["odd"] = (v, a) => Done(a, Values.ToLong(v) % 2 != 0),
        ["even"] = (v, a) => Done(a, Values.ToLong(v) % 2 == 0),
        ["divisibleby"] = (v, a) => Values.ToLong(v) % Values.ToLong(Only(a, "num")) == 0,
        ["sameas"] = (v, a) => Same(v, Only(a, "other")),
        ["in"] = (v, a) => Values.Contains(Only(a, "seq"), v),
        ["eq"] = Comparison("=="), ["equalto"] = Comparison("=="), ["=="] = Comparison("=="),
        ["ne"] = Comparison("!="), ["!="] = Comparison("!="),
        ["lt"] = Comparison("<"), ["lessthan"] = Comparison("<"), ["<"] = Comparison("<"),
        ["le"] = Comparison("<="), ["<="] = Comparison("<="),
        ["gt"] = Comparison(">"), ["greaterthan"] = Comparison(">"), [">"] = Comparison(">"),
        ["ge"] = Comparison(">="), [">="] = Comparison(">="),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static bool Apply(string name, object? value, CallArguments arguments) =>
        Table.TryGetValue(name, out var test) ? test(value, arguments) : throw new TemplateError($"unknown test '{name}'");

    private static bool Done(CallArguments arguments, bool result)
    {
        arguments.Done();
        return result;
    }

    private static object? Only(CallArguments arguments, string name)
    {
        var value = arguments.Required(0, name);
        arguments.Done();
        return value;
    }

    private static Func<object?, CallArguments, bool> Comparison(string op) => (v, a) => Operators.Compare(op, v, Only(a, "other"));

    private static bool Same(object? a, object? b) => a is null || b is null || a is bool || a is long || a is double
        ? Values.Equals(a, b) && Values.TypeName(a) == Values.TypeName(b)
        : ReferenceEquals(a, b);
}
