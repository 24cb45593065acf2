namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// The evaluated arguments of a call, filter or test, read Python-style: by position or by keyword, with defaults;
/// <see cref="Done"/> rejects what was not read.
/// </summary>
internal sealed class CallArguments(string callee, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
{
    private readonly HashSet<string> readNames = new(StringComparer.Ordinal);
    private int readPositional;

    public string Callee { get; } = callee;

    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyDictionary<string, object?> Named { get; } = named;

    /// <summary>The argument at index, or named name, or fallback when neither was passed.</summary>
    public object? Get(int index, string name, object? fallback)
    {
        readPositional = Math.Max(readPositional, index + 1);
        readNames.Add(name);
        if (index < Positional.Count)
        {
            if (Named.ContainsKey(name)) throw new TemplateError($"{Callee}() got multiple values for argument '{name}'");
            return Positional[index];
        }
        return Named.TryGetValue(name, out var value) ? value : fallback;
    }

    /// <summary>A keyword-only argument, or fallback.</summary>
    public object? Keyword(string name, object? fallback)
    {
        readNames.Add(name);
        return Named.TryGetValue(name, out var value) ? value : fallback;
    }

    /// <summary>All keyword arguments (a **kwargs parameter).</summary>
    public IReadOnlyDictionary<string, object?> AllNamed()
    {
        readNames.UnionWith(Named.Keys);
        return Named;
    }

    /// <summary>A required argument.</summary>
    public object? Required(int index, string name)
    {
        readPositional = Math.Max(readPositional, index + 1);
        readNames.Add(name);
        if (index < Positional.Count) return Positional[index];
        if (Named.TryGetValue(name, out var value)) return value;
        throw new TemplateError($"{Callee}() is missing its argument '{name}'");
    }

    /// <summary>The positional arguments from index on (a *args parameter).</summary>
    public IReadOnlyList<object?> Rest(int index)
    {
        readPositional = Math.Max(readPositional, Positional.Count);
        return index >= Positional.Count ? [] : Positional.Skip(index).ToArray();
    }

    /// <summary>Fails on any positional or keyword argument the callee did not read.</summary>
    public void Done()
    {
        if (Positional.Count > readPositional)
            throw new TemplateError($"{Callee}() takes {readPositional} positional argument(s) but {Positional.Count} were given");
        foreach (var name in Named.Keys)
            if (!readNames.Contains(name)) throw new TemplateError($"{Callee}() got an unexpected keyword argument '{name}'");
    }
}
