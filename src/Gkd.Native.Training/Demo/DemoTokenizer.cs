using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// The demo's tokenizer, written as the Hugging Face files a Qwen2 checkpoint carries (tokenizer.json and
/// tokenizer_config.json) and read back by <see cref="BpeChatTokenizer"/> like any other: byte-level BPE over the
/// 256 bytes (id = byte value), a handful of merges that make the ChatML role names and the task's verb one token
/// each ("user", "assistant", "sort"; digits stay single bytes), and the specials &lt;|endoftext|&gt; (pad),
/// &lt;|im_start|&gt; and &lt;|im_end|&gt; (EOS) after them. The chat template is plain ChatML without a default
/// system turn.
/// </summary>
public static class DemoTokenizer
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    /// <summary>Merges in rank order, written in GPT-2's byte-level alphabet (ASCII letters spell themselves).</summary>
    public static IReadOnlyList<string> Merges { get; } =
    [
        "u s", "e r", "us er",
        "a s", "as s", "i s", "ass is", "t a", "n t", "ta nt", "assis tant",
        "s o", "r t", "so rt",
    ];

    /// <summary>Bytes, then one token per merge, then the three specials.</summary>
    public static int VocabSize => 256 + Merges.Count + 3;

    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Qwen2's pre-tokenizer split (GPT-4 style, single digits).</summary>
    private const string SplitPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // the byte-level alphabet stays readable
    };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into dir (created when missing).</summary>
    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson().ToJsonString(Options) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfigJson().ToJsonString(Options) + "\n");
    }

    /// <summary>Writes the files into dir and loads them.</summary>
    public static BpeChatTokenizer Create(string dir)
    {
        Write(dir);
        return BpeChatTokenizer.Load(dir);
    }

    private static string[] Specials => [EndOfText, ImStart, ImEnd];

    private static int SpecialId(string special) => 256 + Merges.Count + Array.IndexOf(Specials, special);

    private static JsonObject TokenizerJson()
    {
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++) vocab[ByteLevel.Char((byte)b).ToString()] = b;
        for (var i = 0; i < Merges.Count; i++) vocab[Merges[i].Replace(" ", "", StringComparison.Ordinal)] = 256 + i;
        JsonObject ByteLevelStep() => new()
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Specials.Select(s => (JsonNode)new JsonObject
            {
                ["id"] = SpecialId(s), ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = SplitPattern },
                        ["behavior"] = "Isolated", ["invert"] = false,
                    },
                    ByteLevelStep()),
            },
            ["post_processor"] = ByteLevelStep(),
            ["decoder"] = ByteLevelStep(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Merges.Select(m => (JsonNode?)m).ToArray()),
            },
        };
    }

    private static JsonObject TokenizerConfigJson()
    {
        var decoder = new JsonObject();
        foreach (var s in Specials)
            decoder[SpecialId(s).ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = s, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false,
                ["special"] = true,
            };
        return new JsonObject
        {
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["additional_special_tokens"] = new JsonArray(ImStart, ImEnd),
            ["bos_token"] = null,
            ["chat_template"] = ChatTemplate,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = ImEnd,
            ["errors"] = "replace",
            ["model_max_length"] = 512,
            ["pad_token"] = EndOfText,
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["unk_token"] = null,
        };
    }
}
