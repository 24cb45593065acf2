using System.Text.Json;
using System.Text.Json.Nodes;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Text;

/// <summary>
/// Writes a small byte-level BPE tokenizer (the 256-byte alphabet, a few merges, five added tokens with every flag)
/// into a fresh temp directory in Hugging Face's file formats.
/// </summary>
public static class TinyTokenizer
{
    public const string ChatTemplate =
        "{% for m in messages %}\n<|start|>{{ m.role }}\n{{ m.content }}<|end|>\n{% endfor %}\n{% if add_generation_prompt %}<|start|>assistant\n{% endif %}";

    /// <summary>Merges in rank order, written in plain text (spelled in the byte-level alphabet when written out).</summary>
    private static readonly (string Left, string Right)[] PlainMerges =
    [
        ("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (" ", "w"), ("o", "r"), (" w", "or"), ("l", "d"), (" wor", "ld"),
        (" ", "t"), (" t", "h"), (" th", "e"), ("i", "n"), (" ", "in"), ("'", "s"), ("1", "2"), ("c", "a"), ("ca", "f"),
    ];

    /// <summary>Merges ranked after the plain ones, already in the byte-level alphabet: the two bytes of "é", then "caf" + "é".</summary>
    private static readonly (string Left, string Right)[] SpelledTailMerges = [("\u00c3", "\u00a9"), ("caf", "\u00c3\u00a9")];

    /// <summary>A whole-word entry no merge reaches: one token only when model.ignore_merges is set.</summary>
    public const string UnmergedWord = " hi";

    public static readonly (string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized)[] Added =
    [
        ("<|end|>", true, false, false, false, false),
        ("<|start|>", true, false, false, false, false),
        ("<mask>", true, false, true, true, false),
        ("[BOT]", false, true, false, false, false),
        ("café", false, false, false, false, true),
    ];

    public enum Layout
    {
        /// <summary>tokenizer.json with "left right" merges.</summary>
        Fast,
        /// <summary>tokenizer.json with ["left", "right"] merges.</summary>
        FastPairMerges,
        /// <summary>vocab.json + merges.txt + added_tokens.json.</summary>
        Slow,
    }

    public sealed record Options(
        Layout Files = Layout.Fast, bool IgnoreMerges = false, bool Gpt2PreTokenizer = false, JsonNode? ChatTemplateNode = null,
        string? ChatTemplateFile = null, JsonNode? Normalizer = null);

    /// <summary>Vocabulary: bytes 0..255 as ids 0..255, then each merge's result, then the unmerged word.</summary>
    public static List<(string Token, int Id)> Vocabulary()
    {
        var vocab = Enumerable.Range(0, 256).Select(b => (ByteLevelAlphabet.Char((byte)b), b)).ToList();
        foreach (var (left, right) in SpelledMerges()) vocab.Add((left + right, vocab.Count));
        vocab.Add((ByteLevelAlphabet.Spell(UnmergedWord), vocab.Count));
        return vocab;
    }

    public static int FirstAddedId => Vocabulary().Count;

    private static IEnumerable<(string, string)> SpelledMerges() =>
        PlainMerges.Select(m => (ByteLevelAlphabet.Spell(m.Left), ByteLevelAlphabet.Spell(m.Right))).Concat(SpelledTailMerges);

    public static string Write(Options options)
    {
        var dir = TestPaths.TempDir("tiny-tokenizer");
        var vocab = Vocabulary();
        var vocabObject = new JsonObject();
        foreach (var (token, id) in vocab) vocabObject[token] = id;
        var firstAdded = vocab.Count;

        var config = new JsonObject
        {
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["bos_token"] = "<|start|>",
            ["eos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<|end|>" },
            ["pad_token"] = null,
            ["added_tokens_decoder"] = new JsonObject(Added.Select((t, i) =>
                new KeyValuePair<string, JsonNode?>((firstAdded + i).ToString(System.Globalization.CultureInfo.InvariantCulture), AddedTokenJson(t, null)))),
        };
        if (options.ChatTemplateNode is not null) config["chat_template"] = options.ChatTemplateNode;
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        if (options.ChatTemplateFile is not null) File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), options.ChatTemplateFile);

        if (options.Files == Layout.Slow)
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), vocabObject.ToJsonString());
            File.WriteAllLines(Path.Combine(dir, "merges.txt"), ["#version: 0.2", .. SpelledMerges().Select(m => $"{m.Item1} {m.Item2}")]);
            var addedJson = new JsonObject(Added.Select((t, i) => new KeyValuePair<string, JsonNode?>(t.Content, firstAdded + i)));
            File.WriteAllText(Path.Combine(dir, "added_tokens.json"), addedJson.ToJsonString());
            return dir;
        }

        var merges = new JsonArray(SpelledMerges().Select(m => options.Files == Layout.FastPairMerges
            ? (JsonNode)new JsonArray(m.Item1, m.Item2)
            : JsonValue.Create($"{m.Item1} {m.Item2}")).ToArray());
        JsonNode preTokenizer = options.Gpt2PreTokenizer
            ? new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true }
            : new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject
                        {
                            ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
                        },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added.Select((t, i) => (JsonNode)AddedTokenJson(t, firstAdded + i)).ToArray()),
            ["normalizer"] = options.Normalizer ?? new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = options.IgnoreMerges,
                ["vocab"] = vocabObject,
                ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    private static JsonObject AddedTokenJson((string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized) t, int? id)
    {
        var json = new JsonObject();
        if (id is not null) json["id"] = id;
        json["content"] = t.Content;
        json["single_word"] = t.SingleWord;
        json["lstrip"] = t.LStrip;
        json["rstrip"] = t.RStrip;
        json["normalized"] = t.Normalized;
        json["special"] = t.Special;
        return json;
    }
}
