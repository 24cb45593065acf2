namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// Recursive-descent parser with Jinja2's grammar and operator precedence (lowest first): conditional, or, and, not,
/// comparisons (incl. in / not in), + -, ~, * / // %, **, unary - +, then primaries with postfix ., [], (), | filters
/// and is tests. Statements: if/elif/else, for (with else, loop filter, break/continue), set (value, namespace
/// attribute, block form). Other tags fail naming the tag and where it is.
/// </summary>
internal sealed class Parser
{
    private static readonly HashSet<string> UnsupportedTags = new(StringComparer.Ordinal)
    {
        "macro", "call", "filter", "block", "extends", "include", "import", "from", "with", "raw", "autoescape", "do",
        "generation", "print", "trans",
    };

    private static readonly HashSet<string> CompareOperators = new(StringComparer.Ordinal) { "==", "!=", "<", "<=", ">", ">=" };

    private readonly List<Token> tokens;
    private int index;
    private int loopDepth;

    private Parser(List<Token> tokens) => this.tokens = tokens;

    public static IReadOnlyList<Stmt> Parse(string template)
    {
        var parser = new Parser(Lexer.Tokenize(template));
        var body = parser.ParseBody([]);
        if (parser.Current.Kind != TokenKind.End)
        {
            var tag = parser.Peek(1);
            throw Error($"unexpected '{tag.Text}' with no open block to end", tag);
        }
        return body;
    }

    private Token Current => tokens[index];

    private Token Peek(int ahead) => tokens[Math.Min(index + ahead, tokens.Count - 1)];

    private Token Next() => tokens[index++];

    /// <summary>Statements up to a {% name %} tag whose name is in endTags (left unconsumed, at the {% token), or the end.</summary>
    private List<Stmt> ParseBody(IReadOnlyCollection<string> endTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End:
                    if (endTags.Count > 0) throw Error($"unexpected end of template, expected {{% {string.Join(" or ", endTags)} %}}", token);
                    return body;
                case TokenKind.Data:
                    Next();
                    body.Add(new TextStmt((string)token.Value!, token.Line, token.Column));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var value = ParseTuple(withConditional: true);
                    Expect(TokenKind.VariableEnd, "'}}'");
                    body.Add(new PrintStmt(value, token.Line, token.Column));
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek(1);
                    if (name.Kind == TokenKind.Name && endTags.Contains(name.Text)) return body;
                    Next();
                    body.Add(ParseStatement());
                    break;
                default:
                    throw Error($"unexpected {token.Describe()}", token);
            }
        }
    }

    private Stmt ParseStatement()
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"expected a tag name after '{{%', got {tag.Describe()}", tag);
        Next();
        switch (tag.Text)
        {
            case "if": return ParseIf(tag);
            case "for": return ParseFor(tag);
            case "set": return ParseSet(tag);
            case "break" or "continue":
                if (loopDepth == 0) throw Error($"'{tag.Text}' outside a for loop", tag);
                Expect(TokenKind.BlockEnd, "'%}'");
                return tag.Text == "break" ? new BreakStmt(tag.Line, tag.Column) : new ContinueStmt(tag.Line, tag.Column);
            default:
                if (UnsupportedTags.Contains(tag.Text)) throw Error($"unsupported tag '{{% {tag.Text} %}}'", tag);
                if (tag.Text.StartsWith("end", StringComparison.Ordinal) || tag.Text is "elif" or "else")
                    throw Error($"unexpected '{{% {tag.Text} %}}' with no matching open block", tag);
                throw Error($"unknown tag '{{% {tag.Text} %}}'", tag);
        }
    }

    private IfStmt ParseIf(Token tag)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        IReadOnlyList<Stmt> otherwise = [];
        var condition = ParseTuple(withConditional: false);
        while (true)
        {
            Expect(TokenKind.BlockEnd, "'%}'");
            branches.Add((condition, ParseBody(["elif", "else", "endif"])));
            Next(); // {%
            var keyword = Next();
            if (keyword.Text == "elif")
            {
                condition = ParseTuple(withConditional: false);
                continue;
            }
            if (keyword.Text == "else")
            {
                Expect(TokenKind.BlockEnd, "'%}'");
                otherwise = ParseBody(["endif"]);
                Next();
                Next();
            }
            Expect(TokenKind.BlockEnd, "'%}'");
            return new IfStmt(branches, otherwise, tag.Line, tag.Column);
        }
    }

    private ForStmt ParseFor(Token tag)
    {
        var (targets, unpack) = ParseTargets();
        ExpectName("in");
        var iterable = ParseTuple(withConditional: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            Next();
            filter = ParseExpression(withConditional: true);
        }
        if (Current.IsName("recursive")) throw Error("unsupported recursive for loop", Current);
        Expect(TokenKind.BlockEnd, "'%}'");
        loopDepth++;
        var body = ParseBody(["else", "endfor"]);
        loopDepth--;
        IReadOnlyList<Stmt> otherwise = [];
        Next();
        if (Next().Text == "else")
        {
            Expect(TokenKind.BlockEnd, "'%}'");
            otherwise = ParseBody(["endfor"]);
            Next();
            Next();
        }
        Expect(TokenKind.BlockEnd, "'%}'");
        return new ForStmt(targets, unpack, iterable, filter, body, otherwise, tag.Line, tag.Column);
    }

    private Stmt ParseSet(Token tag)
    {
        SetTarget target;
        if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("."))
        {
            var ns = Next().Text;
            Next();
            target = new SetTarget([ns], false, ExpectKind(TokenKind.Name, "an attribute name").Text);
        }
        else
        {
            var (names, unpack) = ParseTargets();
            target = new SetTarget(names, unpack, null);
        }
        if (Current.IsOperator("="))
        {
            Next();
            var value = ParseTuple(withConditional: true);
            Expect(TokenKind.BlockEnd, "'%}'");
            return new SetStmt(target, value, tag.Line, tag.Column);
        }
        if (Current.IsOperator("|")) throw Error("unsupported filter on a {% set %} block", Current);
        Expect(TokenKind.BlockEnd, "'=' or '%}'");
        var body = ParseBody(["endset"]);
        Next();
        Next();
        Expect(TokenKind.BlockEnd, "'%}'");
        return new SetBlockStmt(target, body, tag.Line, tag.Column);
    }

    /// <summary>Assignment targets: a name, or names separated by commas (optionally in parentheses) to unpack into.</summary>
    private (IReadOnlyList<string> Names, bool Unpack) ParseTargets()
    {
        var parenthesised = Current.IsOperator("(");
        if (parenthesised) Next();
        var names = new List<string> { ExpectKind(TokenKind.Name, "a variable name").Text };
        var unpack = parenthesised;
        while (Current.IsOperator(","))
        {
            Next();
            unpack = true;
            if (Current.Kind != TokenKind.Name) break;
            names.Add(Next().Text);
        }
        if (parenthesised) Expect(TokenKind.Operator, "')'", ")");
        return (names, unpack);
    }

    /// <summary>An expression, or a tuple when commas separate several (a, b).</summary>
    private Expr ParseTuple(bool withConditional)
    {
        var start = Current;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, "','", ",");
            if (Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || Current.IsOperator(")")) break;
            items.Add(ParseExpression(withConditional));
            if (Current.IsOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
            return items.Count > 0 ? items[0] : throw Error($"expected an expression, got {Current.Describe()}", Current);
        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseExpression(bool withConditional = true)
    {
        var expr = ParseOr();
        if (!withConditional) return expr;
        while (Current.IsName("if"))
        {
            var token = Next();
            var condition = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                Next();
                otherwise = ParseExpression();
            }
            expr = new ConditionalExpr(expr, condition, otherwise, token.Line, token.Column);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var token = Next();
            left = new BinaryExpr("or", left, ParseAnd(), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var token = Next();
            left = new BinaryExpr("and", left, ParseNot(), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        var token = Next();
        return new UnaryExpr("not", ParseNot(), token.Line, token.Column);
    }

    private Expr ParseCompare()
    {
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOperators.Contains(Current.Text))
                rest.Add((Next().Text, ParseMath1()));
            else if (Current.IsName("in"))
            {
                Next();
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek(1).IsName("in"))
            {
                Next();
                Next();
                rest.Add(("not in", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, first.Line, first.Column);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var token = Next();
            left = new BinaryExpr(token.Text, left, ParseConcat(), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            var token = Next();
            left = new BinaryExpr("~", left, ParseMath2(), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var token = Next();
            left = new BinaryExpr(token.Text, left, ParsePow(), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
        {
            var token = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilters: true), token.Line, token.Column);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var token = Next();
            node = new UnaryExpr(token.Text, ParseUnary(withFilters: false), token.Line, token.Column);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilters ? ParseFilters(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new LiteralExpr(true, token.Line, token.Column),
                    "false" or "False" => new LiteralExpr(false, token.Line, token.Column),
                    "none" or "None" => new LiteralExpr(null, token.Line, token.Column),
                    _ => new NameExpr(token.Text, token.Line, token.Column),
                };
            case TokenKind.String:
                var text = (string)token.Value!;
                while (Current.Kind == TokenKind.String) text += (string)Next().Value!;
                return new LiteralExpr(text, token.Line, token.Column);
            case TokenKind.Integer or TokenKind.Float:
                return new LiteralExpr(token.Value, token.Line, token.Column);
            case TokenKind.Operator when token.Text == "(":
                var inner = Current.IsOperator(")") ? new TupleExpr([], token.Line, token.Column) : ParseTuple(withConditional: true);
                Expect(TokenKind.Operator, "')'", ")");
                return inner;
            case TokenKind.Operator when token.Text == "[":
                return new ListExpr(ParseItems("]", () => ParseExpression()), token.Line, token.Column);
            case TokenKind.Operator when token.Text == "{":
                return new DictExpr(ParseItems("}", () =>
                {
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, "':'", ":");
                    return (key, ParseExpression());
                }), token.Line, token.Column);
            default:
                throw Error($"unexpected {token.Describe()}", token);
        }
    }

    /// <summary>Comma-separated items up to close (a trailing comma allowed); the opening bracket is already read.</summary>
    private List<T> ParseItems<T>(string close, Func<T> item)
    {
        var items = new List<T>();
        while (!Current.IsOperator(close))
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, "','", ",");
                if (Current.IsOperator(close)) break;
            }
            items.Add(item());
        }
        Next();
        return items;
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                Next();
                var attribute = Next();
                node = attribute.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(node, attribute.Text, attribute.Line, attribute.Column),
                    TokenKind.Integer => new ItemExpr(node, new LiteralExpr(attribute.Value, attribute.Line, attribute.Column), attribute.Line, attribute.Column),
                    _ => throw Error($"expected an attribute name after '.', got {attribute.Describe()}", attribute),
                };
            }
            else if (token.IsOperator("["))
            {
                Next();
                node = ParseSubscript(node, token);
            }
            else if (token.IsOperator("("))
            {
                Next();
                node = new CallExpr(node, ParseArguments(), token.Line, token.Column);
            }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target, Token open)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!Current.IsOperator(":"))
            {
                Expect(TokenKind.Operator, "']'", "]");
                return new ItemExpr(target, start, open.Line, open.Column);
            }
        }
        Next(); // the first ':'
        var stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            Next();
            if (!Current.IsOperator("]")) step = ParseExpression();
        }
        Expect(TokenKind.Operator, "']'", "]");
        return new SliceExpr(target, start, stop, step, open.Line, open.Column);
    }

    /// <summary>Call arguments after '(' up to and including ')': positional, then name=value.</summary>
    private Arguments ParseArguments()
    {
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                Expect(TokenKind.Operator, "','", ",");
                if (Current.IsOperator(")")) break;
            }
            if (Current.IsOperator("*") || Current.IsOperator("**")) throw Error("unsupported *args / **kwargs in a call", Current);
            if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("="))
            {
                var name = Next().Text;
                Next();
                named.Add((name, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw Error("positional argument after a keyword argument", Current);
                positional.Add(ParseExpression());
            }
        }
        Next();
        return new Arguments(positional, named);
    }

    private Expr ParseFilters(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                Next();
                var name = ParseDottedName();
                var args = Arguments.Empty;
                if (Current.IsOperator("("))
                {
                    Next();
                    args = ParseArguments();
                }
                node = new FilterExpr(node, name, args, token.Line, token.Column);
            }
            else if (token.IsName("is"))
            {
                Next();
                var negated = Current.IsName("not");
                if (negated) Next();
                var name = ParseDottedName();
                var args = Arguments.Empty;
                if (Current.IsOperator("("))
                {
                    Next();
                    args = ParseArguments();
                }
                else if (Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                         || Current.IsOperator("[") || Current.IsOperator("{"))
                {
                    if (!(Current.IsName("else") || Current.IsName("or") || Current.IsName("and")))
                    {
                        if (Current.IsName("is")) throw Error("tests cannot be chained with 'is'", Current);
                        args = new Arguments([ParsePostfix(ParsePrimary())], []);
                    }
                }
                node = new TestExpr(node, name, args, negated, token.Line, token.Column);
            }
            else if (token.IsOperator("("))
            {
                Next();
                node = new CallExpr(node, ParseArguments(), token.Line, token.Column);
            }
            else return node;
        }
    }

    private string ParseDottedName()
    {
        var name = ExpectKind(TokenKind.Name, "a filter or test name").Text;
        while (Current.IsOperator(".") && Peek(1).Kind == TokenKind.Name)
        {
            Next();
            name += "." + Next().Text;
        }
        return name;
    }

    private void ExpectName(string name)
    {
        if (!Current.IsName(name)) throw Error($"expected '{name}', got {Current.Describe()}", Current);
        Next();
    }

    private Token ExpectKind(TokenKind kind, string what)
    {
        if (Current.Kind != kind) throw Error($"expected {what}, got {Current.Describe()}", Current);
        return Next();
    }

    private void Expect(TokenKind kind, string what, string? text = null)
    {
        if (Current.Kind != kind || (text is not null && Current.Text != text))
            throw Error($"expected {what}, got {Current.Describe()}", Current);
        Next();
    }

    private static JinjaException Error(string message, Token at) => new(message, at.Line, at.Column);
}
