using System.Text.Json;

namespace Gkd.Native.Training.Text;

/// <summary>
/// Reads a checkpoint's tokenizer: tokenizer.json (vocab, merges in either form, added tokens, normalizer,
/// pre-tokenizer), else the slow files vocab.json + merges.txt (+ added_tokens.json, read with Qwen2Tokenizer's
/// rules), and always tokenizer_config.json (special tokens, added_tokens_decoder, chat template; else
/// chat_template.jinja). Only byte-level BPE is supported; anything else fails naming the file and the field.
/// </summary>
internal static class TokenizerFiles
{
    /// <summary>Qwen2Tokenizer's split regex (GPT-4 style, single digits).</summary>
    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's split regex, which a ByteLevel pre-tokenizer with use_regex applies.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly string[] SpecialTokenNames = ["bos_token", "eos_token", "pad_token", "unk_token"];

    public static TokenizerDefinition Read(string directory)
    {
        const string expected = "tokenizer_config.json, plus tokenizer.json or vocab.json + merges.txt (added_tokens.json optional)";
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"tokenizer directory {directory} does not exist; expected it to hold {expected}");
        string PathOf(string name) => Path.Combine(directory, name);
        var hasFast = File.Exists(PathOf("tokenizer.json"));
        var hasSlow = File.Exists(PathOf("vocab.json")) && File.Exists(PathOf("merges.txt"));
        if (!File.Exists(PathOf("tokenizer_config.json")) || !(hasFast || hasSlow))
        {
            var present = Directory.EnumerateFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            throw new FileNotFoundException(
                $"tokenizer files missing in {directory}: expected {expected}; found [{string.Join(", ", present)}]");
        }

        using var config = ParseJson(PathOf("tokenizer_config.json"));
        var root = config.RootElement;
        var specialTokens = SpecialTokenNames.ToDictionary(n => n, n => TokenContent(root, n));
        var chatTemplate = ChatTemplate(root, PathOf("tokenizer_config.json"), PathOf("chat_template.jinja"));
        var configTokens = ConfigAddedTokens(root, PathOf("tokenizer_config.json"));

        // tokenizer.json's added tokens win over tokenizer_config.json's, whose win over added_tokens.json's.
        var definition = hasFast
            ? ReadFast(PathOf("tokenizer.json"), directory, specialTokens, chatTemplate)
            : ReadSlow(PathOf("vocab.json"), PathOf("merges.txt"), PathOf("added_tokens.json"), root, directory, specialTokens, chatTemplate);
        var added = hasFast ? definition.AddedTokens.ToList() : configTokens;
        foreach (var token in hasFast ? configTokens : definition.AddedTokens)
            if (added.All(a => a.Id != token.Id)) added.Add(token);
        AddSpecialTokens(added, definition.Vocabulary, specialTokens, root, PathOf("tokenizer_config.json"));
        return definition with { AddedTokens = added };
    }

    private static TokenizerDefinition ReadFast(string path, string directory, IReadOnlyDictionary<string, string?> specialTokens, string? chatTemplate)
    {
        using var doc = ParseJson(path);
        var root = doc.RootElement;
        var model = Required(root, "model", path);
        if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
            throw Unsupported(path, "model.type", type.GetString(), "\"BPE\"");
        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.GetBoolean())
            throw Unsupported(path, "model.byte_fallback", "true", "false");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(affix, out var a) && a.ValueKind == JsonValueKind.String && a.GetString()!.Length > 0)
                throw Unsupported(path, $"model.{affix}", a.GetString(), "null or \"\"");
        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number)
            throw Unsupported(path, "model.dropout", dropout.GetRawText(), "null");
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.GetBoolean();

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in Required(model, "vocab", path).EnumerateObject()) vocabulary[entry.Name] = entry.Value.GetInt32();
        var merges = Required(model, "merges", path).EnumerateArray().Select(m => Merge(m, path)).ToList();

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedTokens))
            foreach (var t in addedTokens.EnumerateArray())
                added.Add(ReadAddedToken(t, Required(t, "id", path).GetInt32(), path));

        var nfc = root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind != JsonValueKind.Null;
        if (nfc && TypeOf(normalizer) != "NFC") throw Unsupported(path, "normalizer", normalizer.GetRawText(), "null or {\"type\": \"NFC\"}");
        var pattern = SplitPattern(root.TryGetProperty("pre_tokenizer", out var pre) ? pre : default, path);
        if (!root.TryGetProperty("decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object || TypeOf(decoder) != "ByteLevel")
            throw Unsupported(path, "decoder", decoder.ValueKind == JsonValueKind.Undefined ? "missing" : decoder.GetRawText(), "{\"type\": \"ByteLevel\"}");
        return new TokenizerDefinition(directory, vocabulary, merges, added, nfc, pattern, ignoreMerges, specialTokens, chatTemplate);
    }

    private static TokenizerDefinition ReadSlow(
        string vocabPath, string mergesPath, string addedPath, JsonElement config, string directory,
        IReadOnlyDictionary<string, string?> specialTokens, string? chatTemplate)
    {
        if (config.TryGetProperty("tokenizer_class", out var cls) && cls.GetString() is { } name && name is not ("Qwen2Tokenizer" or "Qwen2TokenizerFast"))
            throw new InvalidDataException(
                $"{directory}: vocab.json + merges.txt are read with Qwen2Tokenizer's rules, but tokenizer_config.json names {name}; expected Qwen2Tokenizer or a tokenizer.json");
        using var vocabDoc = ParseJson(vocabPath);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabDoc.RootElement.EnumerateObject()) vocabulary[entry.Name] = entry.Value.GetInt32();
        var merges = new List<string>();
        var lines = File.ReadAllLines(mergesPath);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version:", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new InvalidDataException($"{mergesPath} line {i + 1}: expected \"left right\", got \"{line}\"");
            merges.Add(parts[0] + " " + parts[1]);
        }
        var specials = specialTokens.Values.Where(v => v is not null).ToHashSet(StringComparer.Ordinal);
        var added = new List<AddedToken>();
        if (File.Exists(addedPath))
        {
            using var addedDoc = ParseJson(addedPath);
            foreach (var entry in addedDoc.RootElement.EnumerateObject())
            {
                var special = specials.Contains(entry.Name);
                added.Add(new AddedToken(entry.Value.GetInt32(), entry.Name, special, false, false, false, Normalized: !special));
            }
        }
        return new TokenizerDefinition(directory, vocabulary, merges, added, true, Qwen2Pattern, false, specialTokens, chatTemplate);
    }

    /// <summary>One merge: "left right" or ["left", "right"].</summary>
    private static string Merge(JsonElement merge, string path)
    {
        string[] parts = merge.ValueKind switch
        {
            JsonValueKind.String => merge.GetString()!.Split(' '),
            JsonValueKind.Array => merge.EnumerateArray().Select(p => p.GetString() ?? "").ToArray(),
            _ => [],
        };
        if (parts.Length != 2 || parts.Any(p => p.Length == 0 || p.Contains(' ', StringComparison.Ordinal)))
            throw new InvalidDataException($"{path}: model.merges entry {merge.GetRawText()} is not a pair of space-free byte-level tokens");
        return parts[0] + " " + parts[1];
    }

    /// <summary>The split regex: Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)], or ByteLevel(use_regex=true) for GPT-2's.</summary>
    private static string SplitPattern(JsonElement pre, string path)
    {
        const string expected = "Sequence[Split{Regex, Isolated}, ByteLevel{use_regex: false}] or ByteLevel{use_regex: true}, without add_prefix_space";
        if (pre.ValueKind != JsonValueKind.Object) throw Unsupported(path, "pre_tokenizer", pre.ValueKind == JsonValueKind.Undefined ? "missing" : pre.GetRawText(), expected);
        var steps = TypeOf(pre) == "Sequence" ? Required(pre, "pretokenizers", path).EnumerateArray().ToList() : [pre];
        string? pattern = null;
        var byteLevel = false;
        foreach (var step in steps)
        {
            switch (TypeOf(step))
            {
                case "Split" when pattern is null && !byteLevel:
                    var regex = Required(step, "pattern", path);
                    var behavior = step.TryGetProperty("behavior", out var b) ? b.GetString() : null;
                    var invert = step.TryGetProperty("invert", out var inv) && inv.GetBoolean();
                    if (!regex.TryGetProperty("Regex", out var r) || behavior != "Isolated" || invert)
                        throw Unsupported(path, "pre_tokenizer Split", step.GetRawText(), "{pattern: {Regex: ...}, behavior: Isolated, invert: false}");
                    pattern = r.GetString();
                    break;
                case "ByteLevel" when !byteLevel:
                    byteLevel = true;
                    if (step.TryGetProperty("add_prefix_space", out var prefix) && prefix.GetBoolean())
                        throw Unsupported(path, "pre_tokenizer ByteLevel.add_prefix_space", "true", "false");
                    var useRegex = !step.TryGetProperty("use_regex", out var u) || u.GetBoolean();
                    if (useRegex)
                    {
                        if (pattern is not null) throw Unsupported(path, "pre_tokenizer", pre.GetRawText(), expected);
                        pattern = Gpt2Pattern;
                    }
                    break;
                default:
                    throw Unsupported(path, "pre_tokenizer", step.GetRawText(), expected);
            }
        }
        if (pattern is null || !byteLevel) throw Unsupported(path, "pre_tokenizer", pre.GetRawText(), expected);
        return pattern;
    }

    private static string? ChatTemplate(JsonElement config, string configPath, string jinjaPath)
    {
        if (config.TryGetProperty("chat_template", out var template))
        {
            switch (template.ValueKind)
            {
                case JsonValueKind.String:
                    return template.GetString();
                case JsonValueKind.Array:
                    var named = template.EnumerateArray().ToDictionary(
                        t => Required(t, "name", configPath).GetString()!, t => Required(t, "template", configPath).GetString());
                    return named.TryGetValue("default", out var chosen)
                        ? chosen
                        : throw new InvalidDataException(
                            $"{configPath}: chat_template lists [{string.Join(", ", named.Keys)}] but no template named \"default\"");
            }
        }
        return File.Exists(jinjaPath) ? File.ReadAllText(jinjaPath) : null;
    }

    private static List<AddedToken> ConfigAddedTokens(JsonElement config, string path)
    {
        var tokens = new List<AddedToken>();
        if (config.TryGetProperty("added_tokens_decoder", out var decoder))
            foreach (var entry in decoder.EnumerateObject())
                tokens.Add(ReadAddedToken(entry.Value,
                    int.TryParse(entry.Name, out var id) ? id : throw new InvalidDataException($"{path}: added_tokens_decoder key \"{entry.Name}\" is not an id"),
                    path));
        return tokens;
    }

    /// <summary>Configured special tokens that are not added tokens yet become ones, as transformers does on load.</summary>
    private static void AddSpecialTokens(
        List<AddedToken> added, Dictionary<string, int> vocabulary, IReadOnlyDictionary<string, string?> specialTokens, JsonElement config, string path)
    {
        var contents = specialTokens.Values.OfType<string>().ToList();
        if (config.TryGetProperty("additional_special_tokens", out var additional) && additional.ValueKind == JsonValueKind.Array)
            contents.AddRange(additional.EnumerateArray().Select(t => Content(t, path)).OfType<string>());
        foreach (var content in contents)
        {
            if (added.Any(a => a.Content == content)) continue;
            if (!vocabulary.TryGetValue(content, out var id))
                throw new InvalidDataException($"{path}: special token \"{content}\" is neither in the vocabulary nor an added token");
            added.Add(new AddedToken(id, content, true, false, false, false, false));
        }
    }

    private static AddedToken ReadAddedToken(JsonElement t, int id, string path)
    {
        bool Flag(string name, bool fallback) => t.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;
        var special = Flag("special", false);
        return new AddedToken(id, Required(t, "content", path).GetString()!, special, Flag("single_word", false), Flag("lstrip", false),
            Flag("rstrip", false), Flag("normalized", !special));
    }

    /// <summary>A special token setting: a string, an AddedToken object with "content", or null.</summary>
    private static string? TokenContent(JsonElement config, string name) =>
        config.TryGetProperty(name, out var value) ? Content(value, name) : null;

    private static string? Content(JsonElement value, string what) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object => value.TryGetProperty("content", out var c) ? c.GetString() : throw new InvalidDataException($"{what}: token object has no \"content\""),
        _ => null,
    };

    private static string? TypeOf(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() : null;

    private static JsonElement Required(JsonElement e, string name, string path) =>
        e.TryGetProperty(name, out var v) ? v : throw new InvalidDataException($"{path}: missing \"{name}\" in {Abbreviate(e.GetRawText())}");

    private static string Abbreviate(string text) => text.Length <= 120 ? text : text[..120] + "…";

    private static InvalidDataException Unsupported(string path, string field, string? actual, string expected) =>
        new($"{path}: unsupported {field} = {Abbreviate(actual ?? "null")}; expected {expected}");

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }
}
