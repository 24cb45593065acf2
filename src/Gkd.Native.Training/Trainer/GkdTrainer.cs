using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Checkpoints;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Evaluation;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Progress;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Trainer;

/// <summary>How a run ended.</summary>
public enum TrainOutcome
{
    Completed,

    /// <summary>A stop was requested (SIGINT/SIGTERM): a checkpoint of the last finished step was saved.</summary>
    Interrupted,
}

/// <summary>
/// TRL's GKDTrainer loop on any backend. Micro-batches stream continuously through the seeded epoch order; an
/// optimizer step takes gradient_accumulation_steps of them. Per micro-batch a seeded coin picks its completions:
/// the student's samples (probability λ), else the teacher's (seq_kd), else the dataset's. All completions of a
/// step are generated before any gradient, so the loss is normalised by the completion tokens of the whole step and
/// accumulation gives the gradient of one big batch. Then clipping, the optimizer, the schedule; logging, evaluation
/// and checkpoints at their intervals.
/// </summary>
public sealed class GkdTrainer
{
    private readonly GkdConfig _c;
    private readonly StudentWeights _weights;
    private readonly DistillObjective _objective;
    private readonly IReadOnlyList<TokenizedExample> _train;
    private readonly IReadOnlyList<TokenizedExample> _eval;
    private readonly ChatCollator _collator;
    private readonly IChatTokenizer _tokenizer;
    private readonly ICompletionGenerator? _generator;
    private readonly TextWriter _log;
    private readonly RunInfo _info;
    private readonly EpochBatchIterator _iterator;
    private readonly IOptimizer _optimizer;
    private readonly LrSchedule _schedule;
    private readonly float _trainDropout;
    private int _savedStep = -1;

    public GkdTrainer(GkdConfig config, Qwen2Model teacher, StudentWeights weights, IReadOnlyList<TokenizedExample> train,
        IReadOnlyList<TokenizedExample>? eval, ChatCollator collator, IChatTokenizer tokenizer,
        ICompletionGenerator? generator, TextWriter log, RunInfo info)
    {
        if (train.Count == 0) throw new ArgumentException("the training split has no rows");
        if ((config.Lmbda > 0 || config.SeqKd) && generator is null)
            throw new ArgumentException("on-policy (lmbda > 0) or seq_kd training needs a completion generator");
        if (config.EvalStrategy != "no" && (eval is null || eval.Count == 0))
            throw new ArgumentException($"eval_strategy '{config.EvalStrategy}' needs a non-empty test split");
        _c = config;
        _weights = weights;
        _objective = new DistillObjective(weights.Model, teacher, config.Beta);
        _train = train;
        _eval = eval ?? [];
        _collator = collator;
        _tokenizer = tokenizer;
        _generator = generator;
        _log = log;
        _info = info;
        _iterator = new EpochBatchIterator(train, collator, config.PerDeviceTrainBatchSize, config.Seed);
        var perEpoch = (int)Math.Ceiling((double)_iterator.BatchesPerEpoch / config.GradientAccumulationSteps);
        MaxSteps = config.MaxSteps > 0 ? config.MaxSteps : Math.Max(1, (int)Math.Ceiling(config.NumTrainEpochs * perEpoch));
        var warmup = config.WarmupSteps > 0 ? config.WarmupSteps : LrSchedule.WarmupFromRatio(config.WarmupRatio, MaxSteps);
        _schedule = new LrSchedule(config.LrSchedulerType, config.LearningRate, MaxSteps, warmup);
        _optimizer = config.Optim switch
        {
            "adamw_torch" => new AdamWOptimizer(weights.Parameters, config.WeightDecay, config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon),
            "sgd" => new SgdOptimizer(weights.Parameters, config.WeightDecay),
            _ => throw new ArgumentException($"optim '{config.Optim}' is not supported (adamw_torch, sgd)"),
        };
        _trainDropout = weights.Model.Projections.Select(p => p.Lora?.Dropout ?? 0f).DefaultIfEmpty(0f).Max();
        if (config.DisableDropout) _trainDropout = 0f;
        weights.Model.GradientCheckpointing = config.GradientCheckpointing;
        State = new TrainerState
        {
            MaxSteps = MaxSteps,
            LoggingSteps = config.LoggingSteps,
            SaveSteps = config.SaveSteps,
            EvalSteps = config.EvalSteps,
            TrainBatchSize = config.PerDeviceTrainBatchSize,
            NumTrainEpochs = config.NumTrainEpochs,
        };
    }

    public int MaxSteps { get; }
    public TrainerState State { get; private set; }
    private int BatchesPerEpoch => _iterator.BatchesPerEpoch;

    /// <summary>Runs to max_steps (or until a stop is requested) from scratch or from a checkpoint directory.</summary>
    public TrainOutcome Train(string? resumeFrom, CancellationToken stop)
    {
        if (resumeFrom is not null)
        {
            var restored = TrainingCheckpoint.Load(resumeFrom, _weights, _optimizer);
            if (restored.MaxSteps != MaxSteps)
                throw new InvalidDataException($"{resumeFrom}: the checkpoint's run has max_steps {restored.MaxSteps}, this one {MaxSteps}; resume with the same settings");
            State = restored;
            if (Path.GetFullPath(resumeFrom) == Path.GetFullPath(TrainingCheckpoint.PathFor(_c.OutputDir, State.GlobalStep))) _savedStep = State.GlobalStep;
            _log.WriteLine($"resumed from {resumeFrom} at step {State.GlobalStep}");
        }
        var parameters = _weights.Parameters.Select(p => p.Tensor).ToArray();
        var progress = new ProgressReporter(_log, "train", MaxSteps - State.GlobalStep);
        var window = new LogWindow();
        while (State.GlobalStep < MaxSteps)
        {
            if (stop.IsCancellationRequested) return Interrupt();
            var step = State.GlobalStep;
            var clock = Stopwatch.StartNew();
            var stats = RunStep(step, parameters);
            State.GlobalStep = step + 1;
            State.Epoch = (double)State.GlobalStep * _c.GradientAccumulationSteps / BatchesPerEpoch;
            State.NumInputTokensSeen += stats.Tokens;
            window.Add(stats, clock.Elapsed.TotalSeconds);
            progress.Advance(stats.Tokens, $"loss {stats.Loss:F4}");
            if (State.GlobalStep % _c.LoggingSteps == 0 || State.GlobalStep == MaxSteps) Log(window.Flush(State));
            if (ShouldEvaluate(step)) Evaluate();
            if (_c.SaveSteps > 0 && State.GlobalStep % _c.SaveSteps == 0 && State.GlobalStep < MaxSteps) SaveCheckpoint();
        }
        progress.Finish();
        return TrainOutcome.Completed;
    }

    private TrainOutcome Interrupt()
    {
        // Not again when this step's checkpoint is already there: replacing it would open a window (old one moved
        // aside, new one not yet in) in which a second signal leaves no checkpoint-N at all.
        if (_savedStep != State.GlobalStep) SaveCheckpoint();
        _log.WriteLine($"stopped at step {State.GlobalStep}: saved {TrainingCheckpoint.PathFor(_c.OutputDir, State.GlobalStep)}");
        return TrainOutcome.Interrupted;
    }

    /// <summary>Writes checkpoint-N (atomically) and applies save_total_limit.</summary>
    public void SaveCheckpoint()
    {
        EnsureFiniteWeights();
        var dir = TrainingCheckpoint.PathFor(_c.OutputDir, State.GlobalStep);
        TrainingCheckpoint.Save(dir, _weights, _optimizer, _schedule, State, _c);
        _savedStep = State.GlobalStep;
        TrainingCheckpoint.Rotate(_c.OutputDir, _c.SaveTotalLimit);
    }

    private sealed record StepStats(double Loss, double GradNorm, double LearningRate, long Tokens, int OnPolicy, int MicroBatches);

    private StepStats RunStep(int step, Tensor[] parameters)
    {
        var g = _c.GradientAccumulationSteps;
        var micro = new List<TokenizedExample[]>(g);
        var source = new int[g]; // 0 dataset, 1 student, 2 teacher
        for (var i = 0; i < g; i++)
        {
            var n = (long)step * g + i;
            var rows = _iterator.BatchIndices(new BatchPosition((int)(n / BatchesPerEpoch), (int)(n % BatchesPerEpoch)));
            micro.Add(rows.Select(r => _train[r]).ToArray());
            source[i] = StepSeeds.OnPolicy(_c.Seed, step, i, g, _c.Lmbda) ? 1 : _c.SeqKd ? 2 : 0;
        }
        Generate(micro, source, 1, _weights.Model, step);
        Generate(micro, source, 2, _objective.Teacher, step);

        var batches = micro.Select(m => _collator.Collate(m)).ToArray();
        var totalTokens = batches.Sum(b => b.CompletionTokenCount);
        var lr = _schedule.At(step);
        if (totalTokens == 0) return new StepStats(0, 0, lr, 0, source.Count(s => s == 1), g);
        SetDropout(_trainDropout);
        double lossSum = 0;
        long tokens = 0;
        for (var i = 0; i < g; i++)
        {
            var (sum, _) = _objective.Run(batches[i], train: true, gradScale: 1f / totalTokens, StepSeeds.Dropout(_c.Seed, step, i));
            if (!double.IsFinite(sum)) throw new NonFiniteException(step + 1, i, Culprit(batches[i]), "loss");
            lossSum += sum;
            tokens += batches[i].B * batches[i].T;
        }
        var norm = GradientClipping.ClipByGlobalNorm(parameters, _c.MaxGradNorm);
        if (!double.IsFinite(norm)) throw new NonFiniteException(step + 1, g - 1, "student (its gradients)", "gradient norm");
        _optimizer.Step(lr);
        foreach (var p in parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
        return new StepStats(lossSum / totalTokens, norm, lr, tokens, source.Count(s => s == 1), g);
    }

    /// <summary>Replaces the completions of every micro-batch whose source is <paramref name="which"/> by samples of model, all in one call.</summary>
    private void Generate(List<TokenizedExample[]> micro, int[] source, int which, Qwen2Model model, int step)
    {
        var picked = Enumerable.Range(0, micro.Count).Where(i => source[i] == which).ToArray();
        if (picked.Length == 0) return;
        var prompts = picked.SelectMany(i => micro[i].Select(r => r.PromptIds)).ToArray();
        SetDropout(0f);
        IReadOnlyList<int[]> completions;
        try
        {
            completions = _generator!.Generate(model, prompts, _c.Temperature, _c.MaxNewTokens, StepSeeds.Generation(_c.Seed, step, which));
        }
        catch (ArgumentException)
        {
            // A backend refuses to sample from non-finite logits; name the step, micro-batch and model as a loss would.
            var bad = Array.FindIndex(picked, i => !Finite(model, _collator.Collate(micro[i])));
            if (bad < 0) throw;
            throw new NonFiniteException(step + 1, picked[bad], which == 1 ? "student" : "teacher", "logits while sampling");
        }
        var k = 0;
        foreach (var i in picked)
            micro[i] = micro[i].Select(r => r with { CompletionIds = completions[k++] }).ToArray();
    }

    /// <summary>
    /// Refuses to save weights holding a NaN or an infinity, so that every checkpoint on disk can be resumed from: an
    /// optimizer update can overflow from finite gradients (a learning rate far too high), and only the next step's
    /// loss would show it.
    /// </summary>
    private void EnsureFiniteWeights()
    {
        var parameters = _weights.Parameters;
        var be = _weights.Model.Backend;
        using (var sq = be.Allocate(new Shape(1), DType.F32))
        {
            for (var i = 0; i < parameters.Count; i++) be.SumOfSquares(sq, parameters[i].Tensor, accumulate: i > 0);
            if (float.IsFinite(sq.ToFloatArray()[0])) return; // one read-back: a NaN or infinity anywhere makes the sum one
        }
        // Rare path, exact on the host (the sum can also overflow from huge finite weights): which tensor is it?
        foreach (var (name, t) in parameters)
            if (!Array.TrueForAll(t.ToFloatArray(), float.IsFinite))
                throw new NonFiniteException(State.GlobalStep, _c.GradientAccumulationSteps - 1, $"student's optimizer update ({name})", "weights");
    }

    /// <summary>Which model made a loss non-finite: the teacher if its hidden states or logits are, else the student.</summary>
    private string Culprit(ChatBatch batch) => Finite(_objective.Teacher, batch) ? "student" : "teacher";

    /// <summary>Whether model's final hidden states on batch, and the logits of its first row, are all finite.</summary>
    private static bool Finite(Qwen2Model model, ChatBatch batch)
    {
        var be = model.Backend;
        using var input = ModelInput.Create(be, batch.InputIds, batch.Start, batch.T);
        using var hidden = model.Forward(Tape.NoGrad, input);
        using var sq = be.Allocate(new Shape(1), DType.F32);
        be.SumOfSquares(sq, hidden, accumulate: false);
        if (!float.IsFinite(sq.ToFloatArray()[0])) return false;
        // One row's logits read every LM head weight (a NaN times anything is NaN), in the head's stored dtype.
        using var first = be.FromArray(new[] { 0 }, 1);
        using var row = Tape.NoGrad.Embedding(first, hidden);                                     // (1, C)
        using var logits = be.Allocate(new Shape(1, (int)model.LmHead.Shape.Rows), DType.F32);        // (1, V)
        be.Matmul(logits, row, model.LmHead, transA: false, transB: true, alpha: 1f, beta: 0f);
        be.SumOfSquares(sq, logits, accumulate: false);
        return float.IsFinite(sq.ToFloatArray()[0]);
    }

    private void SetDropout(float p)
    {
        foreach (var proj in _weights.Model.Projections)
            if (proj.Lora is { } l) l.Dropout = p;
    }

    private bool ShouldEvaluate(int step) => _c.EvalStrategy switch
    {
        "steps" => State.GlobalStep % (_c.EvalSteps ?? _c.LoggingSteps) == 0,
        "epoch" => (long)(step + 1) * _c.GradientAccumulationSteps / BatchesPerEpoch > (long)step * _c.GradientAccumulationSteps / BatchesPerEpoch
                   || State.GlobalStep == MaxSteps,
        _ => false,
    };

    /// <summary>eval_loss on the test split, then sampled completions for the first test prompts (LogCompletionsCallback).</summary>
    public EvalResult Evaluate()
    {
        SetDropout(0f);
        var batches = _eval.Chunk(_c.PerDeviceEvalBatchSize).Select(_collator.Collate).ToArray();
        var result = new DistillEvaluator(_objective).Evaluate(batches);
        Log(new JsonObject
        {
            ["eval_loss"] = result.EvalLoss,
            ["eval_runtime"] = Math.Round(result.EvalRuntime, 4),
            ["eval_samples_per_second"] = Math.Round(result.EvalSamplesPerSecond, 3),
            ["eval_tokens"] = result.EvalTokens,
            ["epoch"] = Math.Round(State.Epoch, 4),
            ["step"] = State.GlobalStep,
        });
        if (_generator is not null && _c.LogCompletionsPrompts > 0) LogCompletions();
        return result;
    }

    private void LogCompletions()
    {
        var rows = _eval.Take(_c.LogCompletionsPrompts).ToArray();
        var completions = _generator!.Generate(_weights.Model, rows.Select(r => r.PromptIds).ToArray(), _c.Temperature,
            _c.MaxNewTokens, StepSeeds.Completions(_c.Seed, State.GlobalStep));
        var lines = new List<string>();
        for (var i = 0; i < rows.Length; i++)
        {
            var line = new JsonObject
            {
                ["step"] = State.GlobalStep,
                ["prompt"] = _tokenizer.Decode(rows[i].PromptIds, skipSpecialTokens: false),
                ["completion"] = _tokenizer.Decode(completions[i], skipSpecialTokens: true),
            };
            lines.Add(line.ToJsonString());
            _log.WriteLine($"[step {State.GlobalStep}] completion {i}: {line["completion"]}");
        }
        Directory.CreateDirectory(_c.OutputDir);
        File.AppendAllLines(Path.Combine(_c.OutputDir, "completions.jsonl"), lines);
    }

    private void Log(JsonObject entry)
    {
        State.LogHistory.Add(entry);
        _log.WriteLine(entry.ToJsonString());
    }

    /// <summary>Averages the steps since the last log line, as the HF Trainer reports loss.</summary>
    private sealed class LogWindow
    {
        private readonly List<StepStats> _steps = [];
        private double _seconds;

        public void Add(StepStats s, double seconds)
        {
            _steps.Add(s);
            _seconds += seconds;
        }

        public JsonObject Flush(TrainerState state)
        {
            var last = _steps[^1];
            var entry = new JsonObject
            {
                ["loss"] = Math.Round(_steps.Average(s => s.Loss), 6),
                ["grad_norm"] = last.GradNorm,
                ["learning_rate"] = last.LearningRate,
                ["epoch"] = Math.Round(state.Epoch, 4),
                ["step"] = state.GlobalStep,
                ["tokens_per_second"] = Math.Round(_seconds > 0 ? _steps.Sum(s => s.Tokens) / _seconds : 0, 1),
                ["seconds_per_step"] = Math.Round(_seconds / _steps.Count, 4),
                ["on_policy_fraction"] = Math.Round((double)_steps.Sum(s => s.OnPolicy) / _steps.Sum(s => s.MicroBatches), 4),
            };
            _steps.Clear();
            _seconds = 0;
            return entry;
        }
    }

    /// <summary>Saves the final weights, trainer_state.json and the training curves into output_dir.</summary>
    public void SaveFinal()
    {
        EnsureFiniteWeights();
        _weights.Save(_c.OutputDir);
        State.Save(Path.Combine(_c.OutputDir, TrainerState.FileName));
        AtomicFile.WriteAllBytes(Path.Combine(_c.OutputDir, TrainingCurves.FileName), TrainingCurves.Render(State));
        AtomicFile.WriteAllText(Path.Combine(_c.OutputDir, "README.md"), ModelCard.Render(_info, _c, State, _weights));
        File.WriteAllText(Path.Combine(_c.OutputDir, TrainingCheckpoint.ArgsFile), TrainingArgs.ToJson(_c));
    }

    internal static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
