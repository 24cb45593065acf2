namespace Gkd.Native.Training.Text.Jinja;

/// <summary>The loop variable inside {% for %}: index, index0, revindex, revindex0, first, last, length, previtem, nextitem, cycle.</summary>
internal sealed class LoopState(IReadOnlyList<object?> items)
{
    /// <summary>0-based position of the current iteration.</summary>
    public int Index0 { get; set; }

    public object? Attribute(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "revindex0" => (long)(items.Count - Index0 - 1),
        "revindex" => (long)(items.Count - Index0),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new JinjaFunction("loop.cycle", Cycle),
        _ => new Undefined($"'LoopContext' has no attribute '{name}'"),
    };

    private object? Cycle(CallArguments args)
    {
        var options = args.Rest(0);
        args.Done();
        if (options.Count == 0) throw new TemplateError("loop.cycle() needs at least one value");
        return options[Index0 % options.Count];
    }
}
