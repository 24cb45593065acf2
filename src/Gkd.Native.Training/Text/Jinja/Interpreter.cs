using System.Text;

namespace Gkd.Native.Training.Text.Jinja;

/// <summary>Walks a parsed template: statements write to the output, expressions evaluate to template values.</summary>
internal static class Interpreter
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public static string Render(IReadOnlyList<Stmt> template, Scope scope)
    {
        var output = new StringBuilder();
        Execute(template, scope, output);
        return output.ToString();
    }

    private static Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private static Flow Execute(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                output.Append(text.Text);
                return Flow.Normal;
            case PrintStmt print:
                output.Append(Values.ToText(Evaluate(print.Value, scope)));
                return Flow.Normal;
            case IfStmt branches:
                foreach (var (condition, body) in branches.Branches)
                    if (Values.IsTruthy(Evaluate(condition, scope))) return Execute(body, scope, output);
                return Execute(branches.Else, scope, output);
            case ForStmt loop:
                return ExecuteFor(loop, scope, output);
            case SetStmt set:
                Assign(set.Target, Evaluate(set.Value, scope), scope, set);
                return Flow.Normal;
            case SetBlockStmt block:
                var captured = new StringBuilder();
                Execute(block.Body, scope, captured);
                Assign(block.Target, captured.ToString(), scope, block);
                return Flow.Normal;
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new JinjaException($"cannot execute {stmt.GetType().Name}", stmt.Line, stmt.Column);
        }
    }

    private static Flow ExecuteFor(ForStmt loop, Scope scope, StringBuilder output)
    {
        var iterable = Evaluate(loop.Iterable, scope);
        IReadOnlyList<object?> items;
        try
        {
            items = Values.Iterate(iterable);
            if (loop.Filter is not null)
                items = items.Where(item =>
                {
                    var filterScope = new Scope(scope);
                    Bind(loop.Targets, loop.Unpack, item, filterScope);
                    return Values.IsTruthy(Evaluate(loop.Filter, filterScope));
                }).ToList();
        }
        catch (TemplateError e)
        {
            throw new JinjaException(e.Message, loop.Line, loop.Column);
        }
        if (items.Count == 0) return Execute(loop.Else, new Scope(scope), output);
        var state = new LoopState(items);
        for (var i = 0; i < items.Count; i++)
        {
            var iteration = new Scope(scope);
            state.Index0 = i;
            iteration.Set("loop", state);
            try
            {
                Bind(loop.Targets, loop.Unpack, items[i], iteration);
            }
            catch (TemplateError e)
            {
                throw new JinjaException(e.Message, loop.Line, loop.Column);
            }
            if (Execute(loop.Body, iteration, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private static void Bind(IReadOnlyList<string> names, bool unpack, object? value, Scope scope)
    {
        if (!unpack)
        {
            scope.Set(names[0], value);
            return;
        }
        var parts = value is string ? throw new TemplateError("cannot unpack a string into several names") : Values.Iterate(value);
        if (parts.Count != names.Count)
            throw new TemplateError($"cannot unpack {parts.Count} value(s) into {names.Count} name(s) ({string.Join(", ", names)})");
        for (var i = 0; i < names.Count; i++) scope.Set(names[i], parts[i]);
    }

    private static void Assign(SetTarget target, object? value, Scope scope, Stmt at)
    {
        try
        {
            if (target.Attribute is null)
            {
                Bind(target.Names, target.Unpack, value, scope);
                return;
            }
            var holder = scope.TryGet(target.Names[0], out var found) ? found : null;
            if (holder is not Namespace ns)
                throw new TemplateError($"cannot set attribute '{target.Attribute}' on '{target.Names[0]}': only a namespace() takes attributes");
            ns.Attributes[target.Attribute] = value;
        }
        catch (TemplateError e)
        {
            throw new JinjaException(e.Message, at.Line, at.Column);
        }
    }

    private static object? Evaluate(Expr expr, Scope scope)
    {
        try
        {
            return EvaluateUnchecked(expr, scope);
        }
        catch (TemplateError e)
        {
            throw new JinjaException(e.Message, expr.Line, expr.Column);
        }
    }

    private static object? EvaluateUnchecked(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                return scope.TryGet(name.Name, out var value) ? value : new Undefined($"'{name.Name}' is undefined");
            case ListExpr list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case TupleExpr tuple:
                return tuple.Items.Select(item => Evaluate(item, scope)).ToArray();
            case DictExpr dict:
                var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in dict.Pairs)
                {
                    var key = Evaluate(k, scope) as string ?? throw new JinjaException("dict keys must be strings", k.Line, k.Column);
                    result[key] = Evaluate(v, scope);
                }
                return result;
            case AttributeExpr attribute:
                return Access.Attribute(Evaluate(attribute.Target, scope), attribute.Name);
            case ItemExpr item:
                return Access.Item(Evaluate(item.Target, scope), Evaluate(item.Index, scope));
            case SliceExpr slice:
                return Access.Slice(Evaluate(slice.Target, scope), Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
            case CallExpr call:
                var callee = Evaluate(call.Callee, scope);
                return callee switch
                {
                    JinjaFunction f => f.Invoke(Arguments(f.Name, call.Arguments, scope)),
                    Undefined u => throw new TemplateError(u.Hint),
                    _ => throw new TemplateError($"'{Values.TypeName(callee)}' object is not callable"),
                };
            case FilterExpr filter:
                if (!BuiltinFilters.Exists(filter.Name)) throw new TemplateError($"unknown filter '{filter.Name}'");
                return BuiltinFilters.Apply(filter.Name, Evaluate(filter.Value, scope), Arguments(filter.Name, filter.Arguments, scope));
            case TestExpr test:
                if (!BuiltinTests.Exists(test.Name)) throw new TemplateError($"unknown test '{test.Name}'");
                return BuiltinTests.Apply(test.Name, Evaluate(test.Value, scope), Arguments(test.Name, test.Arguments, scope)) != test.Negated;
            case UnaryExpr unary:
                var operand = Evaluate(unary.Operand, scope);
                return unary.Operator switch
                {
                    "not" => !Values.IsTruthy(operand),
                    "-" => Operators.Negate(operand),
                    _ => Values.IsNumber(operand) ? operand : throw new TemplateError($"bad operand type for unary +: '{Values.TypeName(operand)}'"),
                };
            case BinaryExpr { Operator: "and" } and:
                var left = Evaluate(and.Left, scope);
                return Values.IsTruthy(left) ? Evaluate(and.Right, scope) : left;
            case BinaryExpr { Operator: "or" } or:
                var first = Evaluate(or.Left, scope);
                return Values.IsTruthy(first) ? first : Evaluate(or.Right, scope);
            case BinaryExpr binary:
                return Operators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case CompareExpr compare:
                var current = Evaluate(compare.First, scope);
                foreach (var (op, operandExpr) in compare.Rest)
                {
                    var next = Evaluate(operandExpr, scope);
                    if (!Operators.Compare(op, current, next)) return false;
                    current = next;
                }
                return true;
            case ConditionalExpr conditional:
                if (Values.IsTruthy(Evaluate(conditional.Condition, scope))) return Evaluate(conditional.Then, scope);
                return conditional.Otherwise is null
                    ? new Undefined("the inline if-expression evaluated to false and no else section was defined")
                    : Evaluate(conditional.Otherwise, scope);
            default:
                throw new TemplateError($"cannot evaluate {expr.GetType().Name}");
        }
    }

    private static object? Optional(Expr? expr, Scope scope) => expr is null ? null : Evaluate(expr, scope);

    private static CallArguments Arguments(string callee, Arguments arguments, Scope scope)
    {
        var positional = arguments.Positional.Select(a => Evaluate(a, scope)).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Named)
            if (!named.TryAdd(name, Evaluate(value, scope))) throw new TemplateError($"{callee}() got the keyword argument '{name}' twice");
        return new CallArguments(callee, positional, named);
    }
}
