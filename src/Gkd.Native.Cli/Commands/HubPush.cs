using Gkd.Native.Cli.Options;
using Gkd.Native.Training.Hub;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// --push_to_hub: the token (HF_TOKEN) and endpoint (HF_ENDPOINT) are checked, and the repository created, before
/// training starts — so a long run never fails at its last second — and output_dir is uploaded at the end.
/// </summary>
internal sealed class HubPush
{
    private readonly HubClient _client;
    private readonly string _repoId;
    private readonly string _dir;

    private HubPush(HubClient client, string repoId, string dir)
    {
        _client = client;
        _repoId = repoId;
        _dir = dir;
    }

    public static HubPush Prepare(ParsedOptions o, string outputDir, TextWriter log)
    {
        var token = Environment.GetEnvironmentVariable("HF_TOKEN") ?? Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN");
        if (string.IsNullOrEmpty(token))
            throw new UsageException("--push_to_hub needs a Hub token in HF_TOKEN (create one with write access at https://huggingface.co/settings/tokens)");
        var client = new HubClient(token, Environment.GetEnvironmentVariable("HF_ENDPOINT"));
        try
        {
            var user = client.WhoAmI();
            var repo = o.TryGet<string>("hub_model_id", out var id) ? id : $"{user}/{Path.GetFileName(Path.TrimEndingDirectorySeparator(outputDir))}";
            if (!repo.Contains('/')) repo = $"{user}/{repo}";
            client.CreateRepo(repo, isPrivate: false);
            log.WriteLine($"push_to_hub: {client.Endpoint}/{repo} is ready (as {user})");
            return new HubPush(client, repo, outputDir);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>transformers' Trainer.push_to_hub ignore_patterns ["_*", "checkpoint-*"]: no checkpoints, no private files.</summary>
    public static bool IgnoredByTrainer(string path) =>
        path.StartsWith('_') || path.StartsWith(Training.Checkpoints.TrainingCheckpoint.Prefix, StringComparison.Ordinal);

    public void Upload(TextWriter log)
    {
        using (_client)
        {
            log.WriteLine($"pushing {_dir} to {_client.Endpoint}/{_repoId}:");
            var url = _client.UploadFolder(_repoId, _dir, "Upload GKD-distilled model (gkd-native)", log, IgnoredByTrainer);
            log.WriteLine($"pushed: {url}");
        }
    }
}
