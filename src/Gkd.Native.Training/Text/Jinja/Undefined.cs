namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Jinja's undefined value (a missing variable, key or attribute): falsy, prints as "", iterates as empty, has length 0;
/// any attribute, item, call or arithmetic on it fails with <see cref="Hint"/>.
/// </summary>
internal sealed class Undefined(string hint)
{
    /// <summary>What was missing, as Jinja words it: "'x' is undefined", "'dict object' has no attribute 'y'".</summary>
    public string Hint { get; } = hint;

    public override string ToString() => "";
}
