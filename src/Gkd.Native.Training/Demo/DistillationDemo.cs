using System.Diagnostics;
using System.Globalization;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Evaluation;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Progress;
using Gkd.Native.Training.Reporting;
using Gkd.Native.Training.Text;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// The whole demo through the engine, from nothing: write a byte-level tokenizer and a synthetic task's data; train
/// a teacher from random weights with cross-entropy until it solves the task; train a smaller student briefly the
/// same way; measure the student's eval JSD to the teacher and its accuracy; distil the teacher into the student's
/// LoRA adapters with <see cref="GkdTrainer"/> (on-policy, λ = 0.5, β = 0.5); measure again. Every draw is keyed
/// by the seed, so a run is reproducible for a seed and backend (and, on the CPU, thread count).
/// </summary>
public sealed class DistillationDemo(IBackend backend, DemoPlan plan, ulong seed, TextWriter log)
{
    public const double Lmbda = 0.5;
    public const double Beta = 0.5;
    public const string PretrainingCurvesFileName = "pretraining_curves.png";
    private const int EvalBatchSize = 64;
    private const int Examples = 3;

    public DemoResult Run(string outputDir)
    {
        var clock = Stopwatch.StartNew();
        string Dir(string name) => Path.Combine(outputDir, name);
        var task = new SortDigitsTask(plan.MinDigits, plan.MaxDigits);

        Section(1, "the task and the tokenizer");
        var tokenizer = DemoTokenizer.Create(Dir("tokenizer"));
        var (trainRows, testRows) = task.Splits(Seed(1), plan.TrainExamples, plan.TestExamples);
        TaskData.Write(Dir("data"), trainRows, testRows);
        var collator = new ChatCollator(tokenizer, maxLength: null);
        var train = Load(Dir("data"), "train").Select(collator.Tokenize).ToArray();
        var testExamples = Load(Dir("data"), "test");
        var test = testExamples.Select(collator.Tokenize).ToArray();
        var prompts = test.Select(r => r.PromptIds).ToArray();
        var answers = testExamples.Select(e => e.Completion[0].Content).ToArray();
        var sample = trainRows[0];
        Say($"task: \"{sample.Prompt}\" → \"{sample.Answer}\" ({plan.MinDigits}–{plan.MaxDigits} random digits); " +
            $"{train.Length:N0} train rows, {test.Length} held-out test prompts → {Dir("data")}");
        Say($"tokenizer: byte-level BPE, {tokenizer.VocabSize} tokens, ChatML template → {Dir("tokenizer")}");
        Say($"a training row is {train[0].Length} tokens: {Quote(tokenizer.Decode(train[0].PromptIds, false))} + " +
            $"{Quote(tokenizer.Decode(train[0].CompletionIds, false))}");

        Section(2, "the teacher: random weights, trained with cross-entropy");
        using var teacher = RandomQwen2.Create(plan.Teacher, backend, Seed(2), plan.InitStd);
        var teacherCurve = Pretrain("teacher", teacher, plan.TeacherTraining, train, collator, Seed(3));
        var teacherReplies = TaskAccuracy.Replies(teacher, tokenizer, prompts, task.MaxAnswerLength + 1);
        var teacherAccuracy = TaskAccuracy.ExactMatch(teacherReplies, answers);
        DemoCheckpoint.Save(teacher, tokenizer, Dir("teacher"));
        Say($"teacher accuracy {Percent(teacherAccuracy)} on the test prompts (greedy, exact match) → {Dir("teacher")}");

        Section(3, "the student: smaller, trained briefly the same way");
        using var student = RandomQwen2.Create(plan.Student, backend, Seed(4), plan.InitStd);
        var studentCurve = Pretrain("student", student, plan.StudentTraining, train, collator, Seed(5));
        DemoCheckpoint.Save(student, tokenizer, Dir("student"));
        AtomicFile.WriteAllBytes(Dir(PretrainingCurvesFileName), LineChart.RenderPng(
        [
            new Panel("pre-training cross-entropy", "optimizer step",
            [
                new Series("teacher", teacherCurve, LineChart.Palette[0]),
                new Series("student", studentCurve, LineChart.Palette[1]),
            ]),
        ]));
        var testBatches = test.Chunk(EvalBatchSize).Select(collator.Collate).ToArray();
        var beforeReplies = TaskAccuracy.Replies(student, tokenizer, prompts, task.MaxAnswerLength + 1);
        var before = new StudentScore(EvalJsd(student, teacher, testBatches), TaskAccuracy.ExactMatch(beforeReplies, answers));
        Say($"student accuracy {Percent(before.Accuracy)}, eval JSD to the teacher {F(before.EvalJsd)} → {Dir("student")}");

        Section(4, "GKD: distilling the teacher into the student's LoRA adapters");
        LoraAdapter.Attach(student, plan.Lora, Seed(6));
        var weights = new LoraStudentWeights(student, plan.Lora, Dir("student"));
        var config = new GkdConfig
        {
            OutputDir = Dir("distilled"),
            LearningRate = plan.GkdLearningRate,
            PerDeviceTrainBatchSize = plan.GkdBatchSize,
            PerDeviceEvalBatchSize = EvalBatchSize,
            MaxSteps = plan.GkdSteps,
            Lmbda = Lmbda,
            Beta = Beta,
            MaxNewTokens = task.MaxAnswerLength + 1,
            LrSchedulerType = "cosine",
            WarmupRatio = 0.05,
            Seed = Seed(7),
            LoggingSteps = Math.Max(1, plan.GkdEvalSteps / 2),
            SaveSteps = 0,
            EvalStrategy = "steps",
            EvalSteps = plan.GkdEvalSteps,
            LogCompletionsPrompts = 0,
        };
        var trainer = new GkdTrainer(config, teacher, weights, train, test, collator, tokenizer,
            new SamplingGenerator([tokenizer.EosTokenId], tokenizer.PadTokenId), log,
            new RunInfo(Dir("student"), Dir("teacher"), Dir("data")));
        Say($"LoRA r {plan.Lora.R} α {plan.Lora.Alpha} on {string.Join(", ", plan.Lora.TargetModules)}: " +
            $"{weights.Parameters.Sum(p => p.Tensor.Numel):N0} trainable parameters; {trainer.MaxSteps} steps of " +
            $"{plan.GkdBatchSize} prompts, λ {Lmbda} (on-policy share), β {Beta}, lr {plan.GkdLearningRate}");
        var gkdClock = Stopwatch.StartNew();
        trainer.Train(resumeFrom: null, CancellationToken.None);
        trainer.SaveFinal();
        DemoTokenizer.Write(config.OutputDir);
        Say($"distilled in {Elapsed(gkdClock.Elapsed)} → {config.OutputDir}");

        Section(5, "before and after");
        var afterReplies = TaskAccuracy.Replies(student, tokenizer, prompts, task.MaxAnswerLength + 1);
        var after = new StudentScore(EvalJsd(student, teacher, testBatches), TaskAccuracy.ExactMatch(afterReplies, answers));
        var result = new DemoResult(teacherAccuracy, before, after, test.Length, Beta);
        AtomicFile.WriteAllText(Dir(DemoResult.FileName), result.ToJson().ToJsonString(TrainerState.Indented) + "\n");
        for (var i = 0; i < Math.Min(Examples, answers.Length); i++)
            Say($"{Quote(testExamples[i].Prompt[0].Content)}: teacher {Reply(teacherReplies[i], answers[i])}, " +
                $"student before {Reply(beforeReplies[i], answers[i])}, after {Reply(afterReplies[i], answers[i])}");
        log.WriteLine();
        log.Write(result.Table());
        log.WriteLine();
        log.WriteLine($"done in {Elapsed(clock.Elapsed)}. In {outputDir}:");
        log.WriteLine($"  {DemoResult.FileName,-30} the table's numbers");
        log.WriteLine($"  {"distilled/" + TrainingCurves.FileName,-30} GKD loss (train and eval JSD) and gradient norm per step");
        log.WriteLine($"  {PretrainingCurvesFileName,-30} cross-entropy of the teacher and student pre-training");
        log.WriteLine($"  {"teacher/, student/",-30} Hugging Face checkpoints (config, weights, tokenizer)");
        log.WriteLine($"  {"distilled/",-30} the student's PEFT LoRA adapter, trainer_state.json, model card");
        log.WriteLine($"  {"data/, tokenizer/",-30} the task's train/test split and the tokenizer files");
        log.WriteLine($"try: gkd generate --model_name_or_path {Dir("student")} --adapter {config.OutputDir} --prompt \"sort 4075123\"");
        return result;
    }

    private IReadOnlyList<(double, double)> Pretrain(string who, Qwen2Model model, CrossEntropySettings s,
        IReadOnlyList<TokenizedExample> train, ChatCollator collator, ulong batchSeed)
    {
        var c = model.Config;
        var parameters = model.NamedWeights().Sum(w => w.Tensor.Numel);
        Say($"{who}: Qwen2 C {c.HiddenSize}, L {c.NumHiddenLayers}, heads {c.NumAttentionHeads}/{c.NumKeyValueHeads}, " +
            $"FF {c.IntermediateSize}: {parameters:N0} parameters; {s.Steps} AdamW steps of {s.BatchSize} rows, lr {s.LearningRate}");
        var clock = Stopwatch.StartNew();
        using var objective = new LabelObjective(model);
        var curve = CrossEntropyTrainer.Train(objective, train, collator, s, batchSeed, new ProgressReporter(log, who, s.Steps));
        Say($"{who} trained in {Elapsed(clock.Elapsed)}: cross-entropy {F(curve[0].Loss)} → {F(curve[^1].Loss)} nats/token");
        return curve.Select(p => (p.Step, p.Loss)).ToArray();
    }

    private static double EvalJsd(Qwen2Model student, Qwen2Model teacher, IReadOnlyList<ChatBatch> batches) =>
        new DistillEvaluator(new DistillObjective(student, teacher, Beta)).Evaluate(batches).EvalLoss;

    private static IReadOnlyList<ChatExample> Load(string dir, string split) =>
        DatasetLoader.LoadAsync(dir, split).GetAwaiter().GetResult().Examples;

    private ulong Seed(ulong purpose) => SplitMix64.Mix(seed ^ SplitMix64.Mix(purpose));

    private void Section(int n, string title)
    {
        log.WriteLine();
        log.WriteLine($"[{n}/5] {title}");
    }

    private void Say(string line) => log.WriteLine("  " + line);

    private static string Reply(string reply, string answer) => $"{Quote(reply)} {(reply == answer ? "✓" : "✗")}";

    private static string Quote(string s) => "\"" + s.Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string Percent(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F1}s";
}
