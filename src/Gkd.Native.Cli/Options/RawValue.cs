namespace Gkd.Native.Cli.Options;

/// <summary>
/// What one occurrence of an option said before it is converted to the option's kind: nothing (a bare flag), one
/// word, or a list of words (from a YAML sequence or the words following a list flag).
/// </summary>
internal readonly record struct RawValue(string? Word, IReadOnlyList<string>? Words)
{
    public static RawValue Bare => default;

    public static RawValue Of(string word) => new(word, null);

    public static RawValue Of(IReadOnlyList<string> words) => new(null, words);

    public bool IsBare => Word is null && Words is null;

    public override string ToString() => Word ?? (Words is null ? "" : string.Join(' ', Words));
}
