using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Cli.Commands;

/// <summary>Turning the verbs' model, adapter and dataset flags into loaded objects, with errors naming the flag.</summary>
internal static class Sources
{
    /// <summary>A local checkpoint directory for a path or a Hub id found in the local Hugging Face cache.</summary>
    public static string ModelDirectory(string idOrPath, string flag) => Named(flag, () => HfHubCache.ResolveModel(idOrPath));

    public static string DatasetPath(string idOrPath, string flag) =>
        Named(flag, () => File.Exists(idOrPath) || Directory.Exists(idOrPath) ? Path.GetFullPath(idOrPath) : HfHubCache.ResolveDataset(idOrPath));

    public static Qwen2Config Config(string modelDir, string flag)
    {
        using var checkpoint = Named(flag, () => HfCheckpoint.Open(modelDir));
        return Named(flag, () => Qwen2Config.FromCheckpoint(checkpoint));
    }

    /// <summary>The model's weights on the backend, plus the PEFT adapter when one is given (dropout off).</summary>
    public static Qwen2Model Model(IBackend backend, string modelDir, string flag, string? adapterDir = null)
    {
        using var checkpoint = Named(flag, () => HfCheckpoint.Open(modelDir));
        var model = Named(flag, () => Qwen2Model.Load(checkpoint, backend));
        if (adapterDir is null) return model;
        try
        {
            Named("--adapter", () => LoraAdapter.Load(model, adapterDir));
            LoraAdapter.SetDropout(model, 0);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint's generation_config.json (EOS ids, sampling defaults), token ids it lacks from config.json.</summary>
    public static GenerationConfig GenerationSettings(string modelDir, string flag) => Named(flag, () => GenerationConfig.Load(modelDir));

    public static BpeChatTokenizer Tokenizer(string modelDir, string flag) => Named(flag, () => BpeChatTokenizer.Load(modelDir));

    public static ChatDataset Dataset(string path, string split, string flag) =>
        Named(flag, () => DatasetLoader.LoadAsync(path, split).GetAwaiter().GetResult());

    /// <summary>
    /// Copies the student's tokenizer files into dir, so the output loads with the tokenizer it was trained with.
    /// </summary>
    public static void CopyTokenizerFiles(string modelDir, string dir)
    {
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json", "chat_template.jinja" })
        {
            var from = Path.Combine(modelDir, name);
            if (File.Exists(from)) AtomicFile.WriteAllBytes(Path.Combine(dir, name), File.ReadAllBytes(from));
        }
    }

    /// <summary>Fails with a message that says which flag the problem came from.</summary>
    public static T Named<T>(string flag, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or KeyNotFoundException or DatasetException or FormatException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{flag}: {e.Message}", e);
        }
    }
}
