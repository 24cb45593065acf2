namespace Gkd.Native.Training.Text.Jinja;

internal enum TokenKind
{
    /// <summary>Template text outside tags, whitespace control already applied.</summary>
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    /// <summary>One of + - * / // % ** ~ == != &lt; &lt;= &gt; &gt;= = . : | , ( ) [ ] { }.</summary>
    Operator,
    End,
}

/// <summary>One lexical token; Value is the decoded string, long or double for literals, the text otherwise.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Line, int Column)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsOperator(string text) => Is(TokenKind.Operator, text);

    public bool IsName(string text) => Is(TokenKind.Name, text);

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.Data => "template text",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.VariableEnd => "'}}'",
        _ => $"'{Text}'",
    };
}
