namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// A frame of template variables. Jinja gives each for-loop iteration a fresh frame, so a {% set %} inside a loop
/// is gone after it (namespace() exists for that); if-blocks share their enclosing frame.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Scope? parent = parent;
    private readonly Dictionary<string, object?> variables = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.parent)
            if (scope.variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => variables[name] = value;
}
