namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// A parsed chat template. Covers the Jinja subset the Qwen2/Qwen2.5 and Llama-3/3.1 chat templates use, rendered as
/// transformers renders them (trim_blocks, lstrip_blocks, loop controls, tojson without HTML escaping,
/// raise_exception, strftime_now). Anything else fails with a <see cref="JinjaException"/> naming the construct and
/// its line and column.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Stmt> body;

    private JinjaTemplate(IReadOnlyList<Stmt> body) => this.body = body;

    /// <summary>Parses template source; syntax errors and unsupported tags throw <see cref="JinjaException"/>.</summary>
    public static JinjaTemplate Parse(string source) => new(Parser.Parse(source));

    /// <summary>
    /// Renders with the given variables: null, bool, integers, floating point, strings, dictionaries with string keys
    /// (insertion order kept) and sequences, nested freely.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var globals = new Scope(null);
        BuiltinGlobals.AddTo(globals);
        var scope = new Scope(globals);
        foreach (var (name, value) in variables) scope.Set(name, Values.FromClr(value));
        return Interpreter.Render(body, scope);
    }
}
