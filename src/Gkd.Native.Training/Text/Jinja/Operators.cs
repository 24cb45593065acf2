namespace Gkd.Native.Training.Text.Jinja;

/// <summary>Python's arithmetic and comparison operators over template values.</summary>
internal static class Operators
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~") return Values.ToText(a) + Values.ToText(b);
        if (a is Undefined ua) throw new TemplateError(ua.Hint);
        if (b is Undefined ub) throw new TemplateError(ub.Hint);
        var numbers = Values.IsNumber(a) && Values.IsNumber(b);
        var floats = a is double || b is double;
        switch (op)
        {
            case "+":
                if (numbers) return floats ? Values.ToDouble(a) + Values.ToDouble(b) : (object)(Values.ToLong(a) + Values.ToLong(b));
                if (a is string s && b is string t) return s + t;
                if (a is List<object?> l && b is List<object?> m) return l.Concat(m).ToList();
                if (a is object?[] x && b is object?[] y) return x.Concat(y).ToArray();
                break;
            case "-":
                if (numbers) return floats ? Values.ToDouble(a) - Values.ToDouble(b) : (object)(Values.ToLong(a) - Values.ToLong(b));
                break;
            case "*":
                if (numbers) return floats ? Values.ToDouble(a) * Values.ToDouble(b) : (object)(Values.ToLong(a) * Values.ToLong(b));
                if (Repeat(a, b) is { } repeated) return repeated;
                if (Repeat(b, a) is { } repeatedRight) return repeatedRight;
                break;
            case "/":
                if (numbers) return Values.ToDouble(b) == 0 ? throw new TemplateError("division by zero") : Values.ToDouble(a) / Values.ToDouble(b);
                break;
            case "//":
                if (!numbers) break;
                if (Values.ToDouble(b) == 0) throw new TemplateError("integer division or modulo by zero");
                if (floats) return Math.Floor(Values.ToDouble(a) / Values.ToDouble(b));
                return FloorDiv(Values.ToLong(a), Values.ToLong(b));
            case "%":
                if (a is string) throw new TemplateError("printf-style '%' string formatting is not supported");
                if (!numbers) break;
                if (Values.ToDouble(b) == 0) throw new TemplateError("integer division or modulo by zero");
                if (floats)
                {
                    var (p, q) = (Values.ToDouble(a), Values.ToDouble(b));
                    var r = p % q;
                    return r != 0 && (r < 0) != (q < 0) ? r + q : r;
                }
                var (i, j) = (Values.ToLong(a), Values.ToLong(b));
                return i - FloorDiv(i, j) * j;
            case "**":
                if (!numbers) break;
                if (!floats && Values.ToLong(b) >= 0)
                {
                    long result = 1, bas = Values.ToLong(a);
                    for (var e = Values.ToLong(b); e > 0; e--) result = checked(result * bas);
                    return result;
                }
                return Math.Pow(Values.ToDouble(a), Values.ToDouble(b));
        }
        throw new TemplateError($"unsupported operand type(s) for {op}: '{Values.TypeName(a)}' and '{Values.TypeName(b)}'");
    }

    public static object? Negate(object? value) => value switch
    {
        Undefined u => throw new TemplateError(u.Hint),
        double d => -d,
        long or bool => (object)-Values.ToLong(value),
        _ => throw new TemplateError($"bad operand type for unary -: '{Values.TypeName(value)}'"),
    };

    /// <summary>One link of a comparison chain: == != &lt; &lt;= &gt; &gt;= in, "not in".</summary>
    public static bool Compare(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return Values.Equals(a, b);
            case "!=": return !Values.Equals(a, b);
            case "in": return Values.Contains(b, a);
            case "not in": return !Values.Contains(b, a);
        }
        if (a is Undefined ua) throw new TemplateError(ua.Hint);
        if (b is Undefined ub) throw new TemplateError(ub.Hint);
        var c = Values.Compare(a, b, op);
        return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }

    private static object? Repeat(object? sequence, object? count)
    {
        if (count is not (long or bool)) return null;
        var n = (int)Math.Max(0, Values.ToLong(count));
        return sequence switch
        {
            string s => string.Concat(Enumerable.Repeat(s, n)),
            List<object?> l => Enumerable.Repeat(l, n).SelectMany(x => x).ToList(),
            object?[] t => Enumerable.Repeat(t, n).SelectMany(x => x).ToArray(),
            _ => null,
        };
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }
}
