using Gkd.Native.Training.Text.Jinja;
using NUnit.Framework;

namespace Gkd.Native.Tests.Text.Jinja;

/// <summary>
/// Jinja semantics one feature at a time: whitespace control, scoping, loops, literals, operators, tests, filters,
/// methods; every expected string came from Python's jinja2 3.1 in transformers' environment. Then the errors.
/// </summary>
public class JinjaTemplateTests
{
    public sealed record TemplateCase(string Name, string Template, string Expected, Dictionary<string, object?>? Variables = null)
    {
        public override string ToString() => Name;
    }

    private static readonly TemplateCase[] Cases =
    [
        new TemplateCase("ws_lstrip_trim", "a\n  {% if true %}\n  b\n  {% endif %}\n c {{ 1 }}\n",
            "a\n  b\n c 1"),
        new TemplateCase("ws_minus", "x  {%- if true -%}  y  {%- endif -%}  z {{- ' w ' -}} v",
            "xyz w v"),
        new TemplateCase("ws_plus", "x\n  {%+ if true +%}\ny{% endif %}",
            "x\n  \ny"),
        new TemplateCase("ws_comment", "{# c #}\n  {#- c2 -#}  \nA{% if 1 %}  \n{% endif %}B",
            "A  \nB"),
        new TemplateCase("ws_var_no_trim", "{{ 'a' }}\n  {{ 'b' }}\n",
            "a\n  b"),
        new TemplateCase("crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n",
            "a\nb\n"),
        new TemplateCase("scope_loop", "{% set x = 0 %}{% for i in [1,2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}",
            "01020"),
        new TemplateCase("namespace", "{% set ns = namespace(a=1, b='q') %}{% for x in [1,2,3] %}{% set ns.a = ns.a + x %}{% endfor %}{{ ns.a }}{{ ns.b }}",
            "7q"),
        new TemplateCase("loop_vars", "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
            "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|",
            new Dictionary<string, object?> { ["xs"] = new List<object?> { "a", "b", "c" } }),
        new TemplateCase("loop_filter_else", "{% for x in [1,2,3,4,5] if x is odd %}{{ x }}:{{ loop.length }},{% else %}none{% endfor %}{% for y in [] %}y{% else %}empty{% endfor %}",
            "1:3,3:3,5:3,empty"),
        new TemplateCase("loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
            "0134"),
        new TemplateCase("loop_unpack", "{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}",
            "z=1;a=2;za37",
            new Dictionary<string, object?> { ["d"] = new Dictionary<string, object?> { ["z"] = 1L, ["a"] = 2L } }),
        new TemplateCase("loop_prev_next", "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}{% for x in 'ab' %}{{ loop.cycle('o','e') }}{% endfor %}",
            "-2;1-3;2-;oe"),
        new TemplateCase("nested_loops", "{% for a in [1,2] %}{% for b in [3,4] %}{{ a * b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}",
            "31 42 1|61 82 2|"),
        new TemplateCase("literals", "{{ none }}|{{ True }}|{{ false }}|{{ 1.0 }}|{{ 1e16 }}|{{ 0.1 + 0.2 }}|{{ [1,'a',none,true,1.5] }}|{{ (1,) }}|{{ ('a', \"b'\") }}|{{ {'a': 1, 'b': [2]} }}|{{ 1_000 }}|{{ 'a' 'b' }}",
            "None|True|False|1.0|1e+16|0.30000000000000004|[1, 'a', None, True, 1.5]|(1,)|('a', \"b'\")|{'a': 1, 'b': [2]}|1000|ab"),
        new TemplateCase("arith", "{{ 7/2 }}|{{ 7//2 }}|{{ -7//2 }}|{{ -7%3 }}|{{ 7.5%2 }}|{{ 2**10 }}|{{ 'ab'*2 }}|{{ [1]*3 }}|{{ 1 + 2 * 3 - 4 }}|{{ -2 ** 2 }}|{{ 2 ** 3 ** 2 }}|{{ 10/4 }}|{{ 4/2 }}|{{ 1e-5 }}|{{ 123456789012345678.0 }}|{{ 0.0001 }}|{{ 1e15 }}|{{ -0.5 }}",
            "3.5|3|-4|2|1.5|1024|abab|[1, 1, 1]|3|4|64|2.5|2.0|1e-05|1.2345678901234568e+17|0.0001|1000000000000000.0|-0.5"),
        new TemplateCase("concat", "{{ 1 ~ none ~ 'x' ~ undefined_var ~ [1] }}|{{ 'a' ~ 1 * 2 }}",
            "1Nonex[1]|a2"),
        new TemplateCase("compare", "{{ 1 < 2 < 3 }}{{ 1 < 3 < 2 }}{{ 'a' in 'cat' }}{{ 'z' not in ['a'] }}{{ 'k' in {'k': 1} }}{{ 1 == 1.0 }}{{ true == 1 }}{{ [1,2] == [1,2] }}{{ [1] == (1,) }}{{ none == none }}{{ 'b' > 'a' }}{{ [1,2] < [1,3] }}",
            "TrueFalseTrueTrueTrueTrueTrueTrueFalseTrueTrueTrue"),
        new TemplateCase("logic", "{{ 0 or 'x' }}|{{ 1 and 'y' }}|{{ '' and 1 }}|{{ not [] }}|{{ not 0 == 1 }}|{{ 1 if false }}|{{ 'a' if true else 'b' }}|{{ 'a' if false else 'b' if true else 'c' }}",
            "x|y||True|True||a|b"),
        new TemplateCase("tests", "{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 1 is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ true is boolean }}{{ 's' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is iterable }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 2 is in [1,2] }}{{ 'a' is equalto 'a' }}{{ 1 is eq 2 }}{{ 1 is not none }}{{ 'ab' is lower }}{{ 'AB' is upper }}{{ 2 is gt 1 }}{{ 2 is ge 3 }}",
            "TrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueFalseTrueTrueFalseTrueTrueTrueTrueFalse",
            new Dictionary<string, object?> { ["x"] = 1L }),
        new TemplateCase("access", "{{ d.a }}|{{ d['a'] }}|{{ d.missing }}|{{ d['b'][1] }}|{{ l[-1] }}|{{ l[5] }}|{{ l[1:] }}|{{ l[:-1] }}|{{ l[::-1] }}|{{ l[::2] }}|{{ 'héllo'[1] }}|{{ 'hello'[1:3] }}|{{ t.0 }}|{{ d.items()|list }}|{{ d.get('a') }}|{{ d.get('q', 'dflt') }}|{{ d.keys()|list }}",
            "1|1||6|4||[2, 3, 4]|[1, 2, 3]|[4, 3, 2, 1]|[1, 3]|é|el|x|[('a', 1), ('b', [5, 6])]|1|dflt|['a', 'b']",
            new Dictionary<string, object?> { ["d"] = new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new List<object?> { 5L, 6L } }, ["l"] = new List<object?> { 1L, 2L, 3L, 4L }, ["t"] = new List<object?> { "x", "y" } }),
        new TemplateCase("filters1", "{{ '  x y  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ [1,2,3]|length }}|{{ 'héllo'|length }}|{{ {'a':1}|count }}|{{ 'Hello'|upper }}{{ 'Hello'|lower }}|{{ u|default('dflt') }}|{{ ''|default('e', true) }}|{{ none|default('n') }}|{{ [3,1,2]|first }}{{ [3,1,2]|last }}|{{ 'abc'|first }}|{{ [1,2,3]|join(', ') }}|{{ ['a','b']|join }}|{{ 12|string }}|{{ 'a-b-c'|replace('-', '+') }}|{{ 'aaa'|replace('a','b',2) }}",
            "x y|hi|3|5|1|HELLOhello|dflt|e|None|32|a|1, 2, 3|ab|12|a+b+c|bba"),
        new TemplateCase("filters2", "{{ -3|abs }}|{{ 'hello world'|capitalize }}|{{ 'hello wORLD-foo bar'|title }}|{{ '3'|int + 1 }}|{{ '3.7'|int }}|{{ 'x'|int(5) }}|{{ '2.5'|float }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.567|round(2) }}|{{ 2.1|round(0, 'ceil') }}|{{ 7|round }}|{{ [3,1,2]|sort }}|{{ [3,1,2]|sort(reverse=true) }}|{{ ['b','A','c']|sort }}|{{ [1,2,3]|sum }}|{{ [1,5,3]|max }}{{ [4,2,6]|min }}|{{ [1,2,1,3]|unique|list }}|{{ 'abc'|reverse }}|{{ [1,2]|reverse|list }}|{{ 'ab'|list }}",
            "3|Hello world|Hello World-Foo Bar|4|3|5|2.5|2.0|4.0|2.57|3.0|7|[1, 2, 3]|[3, 2, 1]|['A', 'b', 'c']|6|52|[1, 2, 3]|cba|[2, 1]|['a', 'b']"),
        new TemplateCase("filters3", "{{ [1,2,3,4]|select('odd')|list }}|{{ [1,2,3,4]|reject('odd')|list }}|{{ [0,1,'',2]|select|list }}|{{ xs|selectattr('on')|map(attribute='n')|list }}|{{ xs|rejectattr('n', 'equalto', 1)|map(attribute='n')|join(',') }}|{{ xs|map(attribute='zz', default='d')|list }}|{{ ['a','b']|map('upper')|list }}|{{ xs|sort(attribute='n', reverse=true)|map(attribute='n')|list }}|{{ xs|sum(attribute='n') }}|{{ xs|join(',', attribute='n') }}|{{ xs|map(attribute='n')|select('gt', 1)|list }}",
            "[1, 3]|[2, 4]|[1, 2]|[1, 2]|3,2|['d', 'd', 'd']|['A', 'B']|[3, 2, 1]|6|1,3,2|[3, 2]",
            new Dictionary<string, object?> { ["xs"] = new List<object?> { new Dictionary<string, object?> { ["n"] = 1L, ["on"] = true }, new Dictionary<string, object?> { ["n"] = 3L, ["on"] = false }, new Dictionary<string, object?> { ["n"] = 2L, ["on"] = true } } }),
        new TemplateCase("tojson", "{{ x|tojson }}|{{ x|tojson(indent=2) }}|{{ 'é\"\\\\\\n\t'|tojson }}|{{ [1.5, 2.0, none, true]|tojson }}|{{ {}|tojson }}|{{ []|tojson(indent=2) }}|{{ {'b':1,'a':2}|tojson(sort_keys=true) }}|{{ 'é'|tojson(ensure_ascii=true) }}|{{ [1,2]|tojson(separators=(',', ':')) }}",
            "{\"a\": [1, {\"b\": \"c\"}], \"d\": {}}|{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"d\": {}\n}|\"é\\\"\\\\\\n\\t\"|[1.5, 2.0, null, true]|{}|[]|{\"a\": 2, \"b\": 1}|\"\\u00e9\"|[1,2]",
            new Dictionary<string, object?> { ["x"] = new Dictionary<string, object?> { ["a"] = new List<object?> { 1L, new Dictionary<string, object?> { ["b"] = "c" } }, ["d"] = new Dictionary<string, object?> {  } } }),
        new TemplateCase("indent", "{{ 'a\nb\n\nc'|indent }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'x\n'|indent('>') }}",
            "a\n    b\n\n    c|  a\n  b|a\n  \n  b|x\n"),
        new TemplateCase("str_methods", "{{ '  a b  '.strip() }}|{{ 'xxa'.lstrip('x') }}|{{ 'a  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ '  a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x','c')) }}|{{ 'hi there'.title() }}|{{ 'abc'.upper() }}|{{ 'aXa'.replace('a','b') }}|{{ 'hello'.find('l') }}|{{ 'hello'.count('l') }}|{{ '-'.join(['a','b']) }}|{{ 'they\\'re'.title() }}",
            "a b|a|a|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|TrueTrue|Hi There|ABC|bXb|2|2|a-b|They'Re"),
        new TemplateCase("set_tuple_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set blk %}x{{ a }}y{% endset %}[{{ blk }}]",
            "12(1, 2)[x1y]"),
        new TemplateCase("dict_literal_braces", "{{ {'a': {'b': 1}} }}{{ {'a': 1}['a'] }}",
            "{'a': {'b': 1}}1"),
        new TemplateCase("escapes", "{{ 'a\\nb\\tc\\\\d\\'e\\x41\\u00e9\\q' }}|{{ \"dq\\\"x\" }}",
            "a\nb\tc\\d'eAé\\q|dq\"x"),
        new TemplateCase("range_dict", "{{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(5, 0, -2)|list }}{{ dict(a=1, b='x') }}",
            "[0, 1, 2][1, 3, 5][5, 3, 1]{'a': 1, 'b': 'x'}"),
        new TemplateCase("none_print", "{{ none }}{{ x }}{{ [none] }}",
            "NoneNone[None]",
            new Dictionary<string, object?> { ["x"] = null }),
        new TemplateCase("messages_slice", "{% set messages = messages[1:] %}{% for m in messages %}{{ m.role }}{% endfor %}{{ messages|length }}",
            "userassistant2",
            new Dictionary<string, object?> { ["messages"] = new List<object?> { new Dictionary<string, object?> { ["role"] = "system" }, new Dictionary<string, object?> { ["role"] = "user" }, new Dictionary<string, object?> { ["role"] = "assistant" } } }),
        new TemplateCase("if_elif", "{% for x in [1,2,3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}{% endfor %}",
            "onetwomany"),
        new TemplateCase("unicode_iter", "{% for c in 'a😀b' %}[{{ c }}]{% endfor %}{{ 'a😀b'|length }}{{ 'a😀b'[1] }}",
            "[a][😀][b]3😀"),
    ];

    [TestCaseSource(nameof(Cases))]
    public void RendersLikeJinja2(TemplateCase c) =>
        Assert.That(JinjaTemplate.Parse(c.Template).Render(c.Variables ?? new Dictionary<string, object?>()), Is.EqualTo(c.Expected));

    private static JinjaException RenderError(string template, Dictionary<string, object?>? variables = null) =>
        Assert.Throws<JinjaException>(() => JinjaTemplate.Parse(template).Render(variables ?? new Dictionary<string, object?>()))!;

    [TestCase("{% macro greet() %}hi{% endmacro %}", "unsupported tag '{% macro %}'", 1, 4)]
    [TestCase("a\n{% include 'x.j2' %}", "unsupported tag '{% include %}'", 2, 4)]
    [TestCase("{% for x in xs recursive %}{% endfor %}", "unsupported recursive for loop", 1, 16)]
    [TestCase("{% frobnicate %}", "unknown tag '{% frobnicate %}'", 1, 4)]
    [TestCase("{% if x %}no end", "unexpected end of template, expected {% elif or else or endif %}", 1, 17)]
    [TestCase("{% endfor %}", "unexpected '{% endfor %}' with no matching open block", 1, 4)]
    [TestCase("{{ 1 + }}", "unexpected '}}'", 1, 8)]
    [TestCase("{{ 'abc }}", "unterminated string literal", 1, 4)]
    [TestCase("{# no end", "missing end of comment tag '#}'", 1, 1)]
    [TestCase("{{ x | }}", "expected a filter or test name, got '}}'", 1, 8)]
    [TestCase("{% break %}", "'break' outside a for loop", 1, 4)]
    [TestCase("{{ f(*args) }}", "unsupported *args / **kwargs in a call", 1, 6)]
    public void SyntaxErrors_NameTheConstructAndPosition(string template, string message, int line, int column)
    {
        var error = Assert.Throws<JinjaException>(() => JinjaTemplate.Parse(template))!;
        Assert.That(error.Message, Does.StartWith(message));
        Assert.That((error.Line, error.Column), Is.EqualTo((line, column)));
        Assert.That(error.Message, Does.EndWith($"(template line {line}, column {column})"));
    }

    [Test]
    public void UnknownFilter_IsNamedWithItsPosition()
    {
        var error = RenderError("line one\n{{ 'x' | shout }}");
        Assert.That(error.Message, Does.StartWith("unknown filter 'shout'"));
        Assert.That((error.Line, error.Column), Is.EqualTo((2, 8)));
    }

    [Test]
    public void UnknownTest_IsNamed() =>
        Assert.That(RenderError("{{ 1 is prime }}").Message, Does.StartWith("unknown test 'prime'"));

    [Test]
    public void UndefinedAttributeChain_FailsLikeJinja() =>
        Assert.That(RenderError("{{ x.y.z }}").Message, Does.StartWith("'x' is undefined"));

    [Test]
    public void MissingDictKeyThenAttribute_NamesTheMissingKey() =>
        Assert.That(RenderError("{{ m.tool_calls.name }}", new() { ["m"] = new Dictionary<string, object?>() }).Message,
            Does.StartWith("'dict object' has no attribute 'tool_calls'"));

    [Test]
    public void TypeErrors_NameTheOperandTypes() =>
        Assert.That(RenderError("{{ 'a' + 1 }}").Message, Does.StartWith("unsupported operand type(s) for +: 'str' and 'int'"));

    [Test]
    public void RaiseException_CarriesTheTemplatesMessageAndPosition()
    {
        var error = RenderError("{% if true %}\n  {{ raise_exception('Conversation roles must alternate') }}\n{% endif %}");
        Assert.That(error.Message, Does.StartWith("Conversation roles must alternate"));
        Assert.That(error.Line, Is.EqualTo(2));
    }

    [Test]
    public void SettingAnAttributeOnANonNamespace_Fails() =>
        Assert.That(RenderError("{% set d = {} %}{% set d.x = 1 %}").Message, Does.StartWith("cannot set attribute 'x' on 'd'"));

    [Test]
    public void StrftimeNow_FormatsTheLocalTime()
    {
        var before = DateTime.Now;
        var text = JinjaTemplate.Parse("{{ strftime_now('%d %b %Y') }}").Render(new Dictionary<string, object?>());
        Assert.That(text, Is.EqualTo(before.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture))
            .Or.EqualTo(DateTime.Now.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Variables_AcceptClrCollectionsAndNumbers()
    {
        var variables = new Dictionary<string, object?>
        {
            ["n"] = 3, ["f"] = 0.5f, ["items"] = new[] { "a", "b" }, ["map"] = new SortedDictionary<string, int> { ["k"] = 1 },
        };
        Assert.That(JinjaTemplate.Parse("{{ n + 1 }} {{ f }} {{ items|join('+') }} {{ map.k }}").Render(variables), Is.EqualTo("4 0.5 a+b 1"));
    }
}
