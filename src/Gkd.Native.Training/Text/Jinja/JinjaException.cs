namespace Gkd.Native.Training.Text.Jinja;

/// <summary>A chat template that cannot be parsed or rendered; names the construct and where it is in the template.</summary>
public sealed class JinjaException : Exception
{
    public JinjaException(string message, int line, int column)
        : base($"{message} (template line {line}, column {column})")
    {
        Line = line;
        Column = column;
    }

    /// <summary>1-based line in the template source.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source.</summary>
    public int Column { get; }
}
