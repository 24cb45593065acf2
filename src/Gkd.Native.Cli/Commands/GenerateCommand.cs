using System.Globalization;
using System.Text.Json;
using Gkd.Native.Cli.Options;
using Gkd.Native.Cpu;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// <c>gkd generate</c>: one chat completion from a checkpoint (optionally with its LoRA adapter), streamed to stdout
/// as the tokens come, with the speed on stderr. The conversation is rendered with the checkpoint's chat template and
/// its generation prompt. Sampling settings not given default to generation_config.json's, as in transformers:
/// greedy when its do_sample is false.
/// </summary>
/// <param name="diagnostics">Where the speed line and notes go (stderr when not given).</param>
public sealed class GenerateCommand(TextWriter? diagnostics = null) : ICommand
{
    public string Name => "generate";
    public string Summary => "Stream a chat completion from a model (and adapter) with its chat template.";

    public OptionSet Options { get; } = Devices.AddOptions(new OptionSet()
        .String("model_name_or_path", null, "Checkpoint directory or Hub id in the local cache.", required: true)
        .String("adapter", null, "PEFT LoRA adapter directory to apply to the model.")
        .String("prompt", null, "The user message to answer (or give --messages).")
        .String("messages", null, "JSON file holding the conversation: a list of {\"role\", \"content\"} objects.")
        .Int("max_new_tokens", 128, "Most tokens to generate; an EOS from generation_config.json ends sooner.")
        .Float("temperature", null, "Sampling temperature, 0 = greedy (default: generation_config.json's; greedy when its do_sample is false).")
        .Float("top_p", null, "Nucleus filter in (0, 1], 1 = off (default: generation_config.json's).")
        .Int("top_k", null, "Keep the k most likely tokens, 0 = off (default: generation_config.json's, else 50).")
        .Int("seed", 42, "Seed of the sampler: the same seed gives the same completion."));

    public int Run(ParsedOptions o, TextWriter output)
    {
        var stderr = diagnostics ?? Console.Error;
        var hasPrompt = o.TryGet<string>("prompt", out var prompt);
        var hasMessages = o.TryGet<string>("messages", out var messagesPath);
        if (hasPrompt == hasMessages) throw new UsageException("give exactly one of --prompt TEXT or --messages FILE.json");
        var maxNew = o.Get<int>("max_new_tokens");
        if (maxNew <= 0) throw new UsageException($"--max_new_tokens must be positive, got {maxNew}");
        var seed = o.Get<int>("seed");
        if (seed < 0) throw new UsageException($"--seed must be ≥ 0, got {seed}");
        var messages = hasPrompt ? [new ChatMessage("user", prompt!)] : ReadMessages(messagesPath!);
        using var backend = Devices.Create(o); // first, so --device cuda without a GPU fails before any loading

        var modelDir = Sources.ModelDirectory(o.Get<string>("model_name_or_path"), "--model_name_or_path");
        var tokenizer = Sources.Tokenizer(modelDir, "--model_name_or_path");
        var config = Sources.GenerationSettings(modelDir, "--model_name_or_path");
        var options = Sampling(o, config, tokenizer, maxNew, stderr);
        var promptIds = tokenizer.Encode(tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true));

        o.TryGet<string>("adapter", out var adapter);
        using var model = Sources.Model(backend, modelDir, "--model_name_or_path", adapter);
        var decoder = new IncrementalDecoder(tokenizer);
        var result = new Generator(model).Generate(PromptBatch.LeftPad([promptIds], options.PadTokenId), options, (ulong)seed,
            onStep: step =>
            {
                if (!step.Emitted[0]) return;
                output.Write(decoder.Add(step.Tokens[0]));
                output.Flush();
            });
        output.WriteLine(decoder.Flush());

        var generated = result.Completions[0].Length;
        var total = result.Elapsed.TotalSeconds;
        var decode = (result.Elapsed - result.PrefillElapsed).TotalSeconds;
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{generated} tokens in {total:F2} s: {generated / total:F1} tokens/s (prompt {promptIds.Length} tokens, " +
            $"prefill {result.PrefillElapsed.TotalMilliseconds:F0} ms, then {(generated > 1 ? (generated - 1) / decode : 0):F1} tokens/s)"));
        return 0;
    }

    /// <summary>The flags' sampling settings, generation_config.json's where a flag is not given.</summary>
    private static GenerationOptions Sampling(ParsedOptions o, GenerationConfig config, IChatTokenizer tokenizer, int maxNew, TextWriter stderr)
    {
        var temperature = o.TryGet<double>("temperature", out var t) ? t : config.DoSample ? config.Temperature : 0;
        var topP = o.TryGet<double>("top_p", out var p) ? p : config.TopP;
        var topK = o.TryGet<int>("top_k", out var k) ? k : config.TopK;
        if (!(temperature >= 0 && double.IsFinite(temperature))) throw new UsageException($"--temperature must be ≥ 0, got {temperature}");
        if (!(topP > 0 && topP <= 1)) throw new UsageException($"--top_p must lie in (0, 1], got {topP}");
        if (topK < 0) throw new UsageException($"--top_k must be ≥ 0 (0 = off), got {topK}");
        if (!o.IsGiven("temperature") && !config.DoSample && (o.IsGiven("top_p") || o.IsGiven("top_k")))
            stderr.WriteLine("note: generation_config.json has do_sample false, so decoding is greedy; give --temperature to sample");
        return new GenerationOptions
        {
            MaxNewTokens = maxNew,
            Temperature = (float)temperature,
            TopK = topK,
            TopP = (float)topP,
            EosTokenIds = config.EosTokenIds.Count > 0 ? config.EosTokenIds : [tokenizer.EosTokenId],
            PadTokenId = config.PadTokenId ?? tokenizer.PadTokenId,
        };
    }

    /// <summary>The conversation of a --messages file: a non-empty JSON list of {"role", "content"} strings.</summary>
    private static ChatMessage[] ReadMessages(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidDataException($"--messages: cannot read {path}: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
                throw new InvalidDataException($"--messages: {path} must hold a non-empty JSON list of {{\"role\", \"content\"}} objects");
            return root.EnumerateArray().Select((m, i) =>
                m.ValueKind == JsonValueKind.Object &&
                m.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String &&
                m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                    ? new ChatMessage(role.GetString()!, content.GetString()!)
                    : throw new InvalidDataException($"--messages: {path}: message {i} must be an object with string \"role\" and \"content\""))
                .ToArray();
        }
    }
}
