namespace Gkd.Native.Training.Text.Jinja;

/// <summary>An expression node; Line and Column point at its first token (or its operator) for error messages.</summary>
internal abstract record Expr(int Line, int Column);

/// <summary>A string, integer, float, boolean or none literal.</summary>
internal sealed record LiteralExpr(object? Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line, int Column) : Expr(Line, Column);

/// <summary>target.name: an attribute first, then an item (Jinja's getattr).</summary>
internal sealed record AttributeExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

/// <summary>target[index]: an item first, then an attribute (Jinja's getitem).</summary>
internal sealed record ItemExpr(Expr Target, Expr Index, int Line, int Column) : Expr(Line, Column);

/// <summary>target[start:stop:step].</summary>
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

/// <summary>Positional and keyword arguments of a call, filter or test.</summary>
internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly Arguments Empty = new([], []);
}

internal sealed record CallExpr(Expr Callee, Arguments Arguments, int Line, int Column) : Expr(Line, Column);

/// <summary>value | name(arguments).</summary>
internal sealed record FilterExpr(Expr Value, string Name, Arguments Arguments, int Line, int Column) : Expr(Line, Column);

/// <summary>value is [not] name(arguments).</summary>
internal sealed record TestExpr(Expr Value, string Name, Arguments Arguments, bool Negated, int Line, int Column) : Expr(Line, Column);

/// <summary>not, unary - and unary +.</summary>
internal sealed record UnaryExpr(string Operator, Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary>+ - * / // % ** ~ and, or.</summary>
internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary>A chained comparison: first op1 x1 op2 x2 … with == != &lt; &lt;= &gt; &gt;= in, "not in".</summary>
internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Operator, Expr Operand)> Rest, int Line, int Column) : Expr(Line, Column);

/// <summary>then if condition else otherwise (otherwise may be absent: undefined).</summary>
internal sealed record ConditionalExpr(Expr Then, Expr Condition, Expr? Otherwise, int Line, int Column) : Expr(Line, Column);
