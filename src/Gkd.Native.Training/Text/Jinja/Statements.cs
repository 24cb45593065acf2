namespace Gkd.Native.Training.Text.Jinja;

/// <summary>A template statement node.</summary>
internal abstract record Stmt(int Line, int Column);

/// <summary>Literal template text.</summary>
internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

/// <summary>{{ expression }}.</summary>
internal sealed record PrintStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% if %}…{% elif %}…{% else %}…{% endif %}.</summary>
internal sealed record IfStmt(IReadOnlyList<(Expr Condition, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt> Else, int Line, int Column)
    : Stmt(Line, Column);

/// <summary>{% for targets in iterable [if filter] %}…{% else %}…{% endfor %}.</summary>
internal sealed record ForStmt(
    IReadOnlyList<string> Targets, bool Unpack, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Else,
    int Line, int Column) : Stmt(Line, Column);

/// <summary>Where {% set %} stores: names (several: tuple unpacking) or one namespace attribute (ns.attr).</summary>
internal sealed record SetTarget(IReadOnlyList<string> Names, bool Unpack, string? Attribute);

/// <summary>{% set target = value %}.</summary>
internal sealed record SetStmt(SetTarget Target, Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% set target %}body{% endset %}: the rendered body is the value.</summary>
internal sealed record SetBlockStmt(SetTarget Target, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>{% break %}.</summary>
internal sealed record BreakStmt(int Line, int Column) : Stmt(Line, Column);

/// <summary>{% continue %}.</summary>
internal sealed record ContinueStmt(int Line, int Column) : Stmt(Line, Column);
