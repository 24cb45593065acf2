using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// One seed-shaped GKD optimizer step through the real <see cref="GkdTrainer"/> on random-weight models: student
/// Qwen2-0.5B with LoRA r 64 / α 16 on q_proj, v_proj, teacher Qwen2-1.5B, batch 4 × 8 accumulation, prompts of
/// promptLength tokens with completionLength-token dataset completions, 128 new tokens at temperature 0.9,
/// gradient checkpointing — the shapes of bench/baseline/gkd_step.py. The seed is the first ≥ 42 whose coin gives
/// every timed step exactly 4 on-policy micro-batches of 8, the split the baseline uses. Also the decode speed of
/// the student alone (batch 4) against its memory floor.
/// </summary>
internal static class StepBench
{
    public sealed record Result(double SecondsPerStep, double[] StepSeconds, double TokensPerSecond, long PeakBytes,
        double DecodeMsPerToken, double StudentWeightBytes, ulong Seed);

    public static Result Run(IBackend b, Func<long> peakBytes, TextWriter log, bool tiny = false)
    {
        var (studentConfig, teacherConfig) = tiny ? (SeedShapes.TinyStudent, SeedShapes.TinyTeacher) : (SeedShapes.Student, SeedShapes.Teacher);
        var (promptLength, completionLength, newTokens, steps) = tiny ? (12, 6, 4, 2) : (256, 128, 128, 3);
        const int batch = 4, accumulation = 8;
        var seed = 42UL;
        while (!Enumerable.Range(0, steps).All(s => Enumerable.Range(0, accumulation).Count(i => StepSeeds.OnPolicy(seed, s, i, accumulation, 0.5)) == accumulation / 2))
            seed++;
        using var random = new RandomWeights(b, 1);
        using var teacher = random.Model(teacherConfig);
        using var student = random.Model(studentConfig);
        var rows = Rows(batch * accumulation, promptLength, completionLength);
        var output = Path.Combine(Path.GetTempPath(), $"gkd-bench-step-{Environment.ProcessId}");
        var config = new GkdConfig
        {
            OutputDir = output, LearningRate = 2e-4, PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accumulation,
            MaxSteps = steps, Lmbda = 0.5, Beta = 0.5, Temperature = 0.9, MaxNewTokens = newTokens, GradientCheckpointing = true,
            Seed = seed, LoggingSteps = 1, SaveSteps = 0, MaxLength = promptLength + completionLength,
        };
        var trainer = Trainer(config, teacher, student, rows, log);
        var studentBytes = student.NamedWeights().Sum(w => (double)w.Tensor.ByteLength);
        trainer.Train(null, CancellationToken.None);
        var entries = trainer.State.LogHistory.Where(e => e.ContainsKey("seconds_per_step")).ToArray();
        var timed = entries.Skip(1).Select(e => e["seconds_per_step"]!.GetValue<double>()).ToArray(); // step 1 warms up
        var tokensPerSecond = entries.Skip(1).Average(e => e["tokens_per_second"]!.GetValue<double>());
        var peak = peakBytes();

        var prompts = PromptBatch.LeftPad(rows.Take(batch).Select(r => r.PromptIds).ToArray(), SeedShapes.PadTokenId);
        var options = new GenerationOptions { MaxNewTokens = newTokens, Temperature = 0.9f, EosTokenIds = [], PadTokenId = SeedShapes.PadTokenId };
        var generator = new Generator(student);
        generator.Generate(prompts, options with { MaxNewTokens = 2 }, 1);
        var gen = generator.Generate(prompts, options, 2);
        var decodeMs = (gen.Elapsed - gen.PrefillElapsed).TotalMilliseconds / Math.Max(1, gen.NewTokens - 1);
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var median = timed.Order().ElementAt(timed.Length / 2);
        return new Result(median, timed, tokensPerSecond, peak, decodeMs, studentBytes, seed);
    }

    /// <summary>
    /// A whole-step parity case: two off-policy SGD steps (dataset completions, so no sampling) of the tiny pair on 2 × 4
    /// rows; returns each LoRA B matrix after them (A moves only in the second step, by little) and the step losses.
    /// </summary>
    public static float[][] TinySteps(IBackend b)
    {
        using var random = new RandomWeights(b, 1);
        using var teacher = random.Model(SeedShapes.TinyTeacher);
        using var student = random.Model(SeedShapes.TinyStudent);
        var output = Path.Combine(Path.GetTempPath(), $"gkd-bench-tiny-{Environment.ProcessId}-{b.Name}");
        var config = new GkdConfig
        {
            OutputDir = output, Optim = "sgd", LearningRate = 1.0, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Lmbda = 0,
            Beta = 0.5, MaxGradNorm = 0, Seed = 42, LoggingSteps = 1, SaveSteps = 0, MaxLength = 24,
        };
        var trainer = Trainer(config, teacher, student, Rows(8, 14, 10), TextWriter.Null);
        trainer.Train(null, CancellationToken.None);
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var losses = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => (float)e["loss"]!.GetValue<double>()).ToArray();
        return [.. LoraAdapter.Parameters(student).Where(p => p.Key.Contains("lora_B", StringComparison.Ordinal)).Select(p => p.Tensor.ToFloatArray()), losses];
    }

    /// <summary>The trainer over the seed recipe's LoRA (r 64, α 16, q_proj and v_proj), attached to student with config's seed.</summary>
    private static GkdTrainer Trainer(GkdConfig config, Qwen2Model teacher, Qwen2Model student, TokenizedExample[] rows, TextWriter log)
    {
        var lora = new LoraConfig(64, 16, 0.05, ["q_proj", "v_proj"]);
        LoraAdapter.Attach(student, lora, config.Seed);
        var tokenizer = new SyntheticTokenizer(SeedShapes.Student.VocabSize, SeedShapes.PadTokenId, SeedShapes.EosTokenIds[0]);
        return new GkdTrainer(config, teacher, new LoraStudentWeights(student, lora, "random Qwen2-0.5B"), rows, null,
            new ChatCollator(tokenizer, null), tokenizer, new SamplingGenerator(SeedShapes.EosTokenIds, SeedShapes.PadTokenId), log,
            new RunInfo("random Qwen2-0.5B", "random Qwen2-1.5B", "synthetic"));
    }

    /// <summary>count synthetic rows of random prompt and completion tokens (seeded, the same on every backend).</summary>
    private static TokenizedExample[] Rows(int count, int promptLength, int completionLength)
    {
        var data = new HostData(3);
        return Enumerable.Range(0, count).Select(i => new TokenizedExample(
            new RowOrigin("synthetic", RowLocator.Row, i), data.Ints(promptLength, 151000), data.Ints(completionLength, 151000))).ToArray();
    }
}
