using Gkd.Native.Training.Text.Jinja;
using NUnit.Framework;

namespace Gkd.Native.Tests.Text.Jinja;

/// <summary>
/// The public Qwen2, Qwen2.5, Llama-3 and Llama-3.1 chat templates rendered as transformers renders them; every expected
/// string was produced by Python's jinja2 3.1 in transformers' environment (trim_blocks, lstrip_blocks, loopcontrols,
/// its tojson and raise_exception).
/// </summary>
public class ChatTemplateTests
{
    private const string LlamaBos = "<|begin_of_text|>";

    private static Dictionary<string, object?> Message(string role, object? content) => new() { ["role"] = role, ["content"] = content };

    private static Dictionary<string, object?> ToolCall(string name, Dictionary<string, object?> arguments) =>
        new() { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = name, ["arguments"] = arguments } };

    private static Dictionary<string, object?> AssistantCalls(params Dictionary<string, object?>[] calls) =>
        new() { ["role"] = "assistant", ["tool_calls"] = calls.ToList<object?>() };

    private static readonly List<object?> WeatherTools =
    [
        new Dictionary<string, object?>
        {
            ["type"] = "function",
            ["function"] = new Dictionary<string, object?>
            {
                ["name"] = "get_weather",
                ["description"] = "Get the weather",
                ["parameters"] = new Dictionary<string, object?>
                {
                    ["type"] = "object",
                    ["properties"] = new Dictionary<string, object?>
                    {
                        ["city"] = new Dictionary<string, object?> { ["type"] = "string", ["description"] = "City name, e.g. Zürich" },
                    },
                    ["required"] = new List<object?> { "city" },
                },
            },
        },
    ];

    private static readonly Dictionary<string, object?>[] UserOnly = [Message("user", "Hi")];

    private static readonly Dictionary<string, object?>[] SystemAndUser = [Message("system", "You are terse."), Message("user", "Hi there")];

    private static readonly Dictionary<string, object?>[] MultiTurn =
        [Message("user", "What is 2+2?"), Message("assistant", "4"), Message("user", "And 3+3?")];

    private static readonly Dictionary<string, object?>[] Padded =
        [Message("system", "  Be kind.  "), Message("user", "  Hello  "), Message("assistant", "Hi!\n"), Message("user", "Bye")];

    private static string Render(string template, IEnumerable<Dictionary<string, object?>> messages, bool addGenerationPrompt,
        object? tools = null, params (string Name, object? Value)[] extra)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.ToList<object?>(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = tools,
        };
        foreach (var (name, value) in extra) variables[name] = value;
        return JinjaTemplate.Parse(template).Render(variables);
    }

    [Test]
    public void Qwen2_UserOnly_AddsDefaultSystemAndGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Qwen2, UserOnly, addGenerationPrompt: true), Is.EqualTo(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));

    [Test]
    public void Qwen2_System_NoGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Qwen2, SystemAndUser, addGenerationPrompt: false), Is.EqualTo(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"));

    [Test]
    public void Qwen2_MultiTurn() =>
        Assert.That(Render(ChatTemplates.Qwen2, MultiTurn, addGenerationPrompt: true), Is.EqualTo(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n"));

    [Test]
    public void Qwen25_UserOnly_AddsQwenSystem() =>
        Assert.That(Render(ChatTemplates.Qwen25, UserOnly, addGenerationPrompt: true), Is.EqualTo(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));

    [Test]
    public void Qwen25_System_NoGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Qwen25, SystemAndUser, addGenerationPrompt: false), Is.EqualTo(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"));

    [Test]
    public void Qwen25_MultiTurn_KeepsContentVerbatim() =>
        Assert.That(Render(ChatTemplates.Qwen25, Padded, addGenerationPrompt: false), Is.EqualTo(
            "<|im_start|>system\n  Be kind.  <|im_end|>\n<|im_start|>user\n  Hello  <|im_end|>\n<|im_start|>assistant\nHi!\n<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n"));

    [Test]
    public void Qwen25_ToolsAndToolCalls()
    {
        Dictionary<string, object?>[] conversation =
        [
            Message("user", "Weather in Paris and Rome?"),
            new()
            {
                ["role"] = "assistant", ["content"] = "",
                ["tool_calls"] = new List<object?>
                {
                    ToolCall("get_weather", new() { ["city"] = "Paris" }), ToolCall("get_weather", new() { ["city"] = "Rome" }),
                },
            },
            Message("tool", "{\"temp\": 21}"),
            Message("tool", "{\"temp\": 25.5}"),
            Message("assistant", "Paris 21, Rome 25.5."),
        ];
        Assert.That(Render(ChatTemplates.Qwen25, conversation, addGenerationPrompt: true, tools: WeatherTools), Is.EqualTo(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
            + "You may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": "
            + "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. Zürich\"}}, "
            + "\"required\": [\"city\"]}}}\n</tools>\n\n"
            + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWeather in Paris and Rome?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n{\"temp\": 25.5}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\nParis 21, Rome 25.5.<|im_end|>\n<|im_start|>assistant\n"));
    }

    [Test]
    public void Llama3_UserOnly_WithGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Llama3, UserOnly, addGenerationPrompt: true, extra: ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));

    [Test]
    public void Llama3_System_TrimsContent_NoGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Llama3, Padded, addGenerationPrompt: false, extra: ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe kind.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"));

    [Test]
    public void Llama3_MultiTurn() =>
        Assert.That(Render(ChatTemplates.Llama3, MultiTurn, addGenerationPrompt: true, extra: ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n"));

    [Test]
    public void Llama31_UserOnly_DefaultDate() =>
        Assert.That(Render(ChatTemplates.Llama31, UserOnly, addGenerationPrompt: true, extra: ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));

    [Test]
    public void Llama31_System_MultiTurn_NoGenerationPrompt() =>
        Assert.That(Render(ChatTemplates.Llama31, Padded, addGenerationPrompt: false, extra: ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "Be kind.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"));

    [Test]
    public void Llama31_ToolsInUserMessage_ToolCallAndResults()
    {
        Dictionary<string, object?>[] conversation =
        [
            Message("system", "Sys"),
            Message("user", "Weather in Paris?"),
            AssistantCalls(ToolCall("get_weather", new() { ["city"] = "Paris" })),
            Message("tool", new Dictionary<string, object?> { ["temp"] = 21L, ["unit"] = "C", ["ok"] = true, ["note"] = null }),
            Message("ipython", "plain"),
        ];
        Assert.That(Render(ChatTemplates.Llama31, conversation, addGenerationPrompt: true, tools: WeatherTools, ("bos_token", LlamaBos)), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n\nSys<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            + "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n"
            + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
            + "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the weather\",\n"
            + "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n"
            + "                    \"type\": \"string\",\n                    \"description\": \"City name, e.g. Zürich\"\n                }\n"
            + "            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n"
            + "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n"
            + "{\"temp\": 21, \"unit\": \"C\", \"ok\": true, \"note\": null}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n"
            + "\"plain\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
    }

    [Test]
    public void Llama31_BuiltinTools_PythonTagCall()
    {
        Dictionary<string, object?>[] conversation =
        [
            Message("user", "Search"),
            AssistantCalls(ToolCall("brave_search", new() { ["query"] = "x", ["n"] = "3" })),
        ];
        var builtin = new List<object?> { "brave_search", "wolfram_alpha", "code_interpreter" };
        Assert.That(Render(ChatTemplates.Llama31, conversation, addGenerationPrompt: false, tools: null, ("bos_token", LlamaBos), ("builtin_tools", builtin)),
            Is.EqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nTools: brave_search, wolfram_alpha\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                + "Search<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>brave_search.call(query=\"x\", n=\"3\")<|eom_id|>"));
    }

    [Test]
    public void Llama31_TwoToolCalls_RaisesTheTemplatesMessage()
    {
        Dictionary<string, object?>[] conversation =
        [
            Message("user", "x"),
            AssistantCalls(ToolCall("a", new()), ToolCall("b", new())),
        ];
        var error = Assert.Throws<JinjaException>(() => Render(ChatTemplates.Llama31, conversation, addGenerationPrompt: false, extra: ("bos_token", LlamaBos)));
        Assert.That(error!.Message, Does.StartWith("This model only supports single tool-calls at once!"));
        Assert.That(error.Line, Is.EqualTo(71));
    }
}
