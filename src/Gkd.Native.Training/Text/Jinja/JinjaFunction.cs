namespace Gkd.Native.Training.Text.Jinja;

/// <summary>A callable template value: a global (range, namespace, raise_exception…), a bound method ("x".strip), loop.cycle.</summary>
internal sealed class JinjaFunction(string name, Func<CallArguments, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(CallArguments arguments) => invoke(arguments);
}
