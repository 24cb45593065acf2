namespace Gkd.Native.Training.Text.Jinja;

/// <summary>The object namespace(...) returns: the one value whose attributes a template may set ({% set ns.x = 1 %}).</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
