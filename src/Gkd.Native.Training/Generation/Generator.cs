using System.Diagnostics;
using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Generation;

/// <summary>
/// Batched sampling from left-padded prompts over a KV cache, as transformers' generate does: the prefill runs the
/// prompts once, then each decode step feeds every row's last token at its own position (prompt length + i) and
/// attends the row's cache slots. Only each row's last hidden state goes through the LM head. A row finishes at its
/// first EOS and gets the pad id after it; the call stops when every row has finished or after max_new_tokens.
/// It uses only IBackend ops, so it runs on any backend; the one host read per step is the sampled tokens (B) for
/// the EOS check, the callback and the early stop. LoRA adapters apply, their dropout never.
/// <para>
/// Seeding: the draw of row b at step i is element offset + i·B + b of the Philox stream of seed
/// (IBackend.Sample with offset + i·B). A call thus consumes elements [offset, offset + max_new_tokens·B) whatever
/// the EOS pattern, and its tokens depend only on (seed, offset, prompts, weights, settings) — not on thread
/// counts or timing. Callers give each call its own seed, or successive offsets of one seed.
/// </para>
/// </summary>
public sealed class Generator(Qwen2Model model)
{
    public Qwen2Model Model { get; } = model;

    public GenerationResult Generate(PromptBatch prompts, GenerationOptions options, ulong seed, ulong offset = 0,
        Action<GenerationStep>? onStep = null)
    {
        var be = Model.Backend;
        options.Validate(Model.Config.VocabSize);
        var clock = Stopwatch.StartNew();
        int batch = prompts.Batch, time = prompts.Time, maxNew = options.MaxNewTokens;
        using var input = ModelInput.Create(be, prompts.Ids, prompts.Start, time);
        using var cache = new KvCache(be, Model.Config, batch, time + maxNew - 1);
        using var positions = maxNew > 1 ? be.FromArray(DecodePositions(prompts, maxNew - 1), maxNew - 1, batch) : null; // (maxNew−1, B)
        using var tokens = be.Allocate(new Shape(maxNew, batch), DType.I32);                        // (maxNew, B)
        using var logits = be.Allocate(new Shape(batch, Model.Config.VocabSize), be.ActivationDType); // (B, V)

        var completions = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var finished = new bool[batch];
        var sampled = new int[batch];
        var prefillElapsed = TimeSpan.Zero;
        var steps = 0;
        while (steps < maxNew && !finished.All(f => f))
        {
            var i = steps++;
            using (var hidden = i == 0 ? Model.Prefill(cache, input) : DecodeStep(cache, tokens, positions!, i)) // (B, C)
                be.Matmul(logits, hidden, Model.LmHead, transA: false, transB: true, alpha: 1f, beta: 0f);
            using (var row = tokens.Rows(i, 1)) // (1, B)
            {
                be.Sample(row, logits, options.Temperature, options.TopK, options.TopP, seed, offset + (ulong)i * (ulong)batch);
                be.CopyToHost(MemoryMarshal.AsBytes(sampled.AsSpan()), row);
            }
            if (i == 0) prefillElapsed = clock.Elapsed;
            var step = new GenerationStep(i, new int[batch], new bool[batch]);
            for (var b = 0; b < batch; b++)
            {
                if (finished[b])
                {
                    step.Tokens[b] = options.PadTokenId;
                    continue;
                }
                step.Tokens[b] = sampled[b];
                step.Emitted[b] = true;
                completions[b].Add(sampled[b]);
                finished[b] = options.EosTokenIds.Contains(sampled[b]);
            }
            onStep?.Invoke(step);
        }

        var block = new int[batch * steps];
        for (var b = 0; b < batch; b++)
        {
            var row = block.AsSpan(b * steps, steps);
            row.Fill(options.PadTokenId);
            completions[b].CopyTo(row);
        }
        return new GenerationResult
        {
            Batch = batch,
            NewTokens = steps,
            Completions = completions.Select(c => c.ToArray()).ToArray(),
            Tokens = block,
            Finished = finished,
            Elapsed = clock.Elapsed,
            PrefillElapsed = prefillElapsed,
        };
    }

    /// <summary>Step i ≥ 1 feeds the tokens of step i − 1 at their positions; returns the hidden states (B, C).</summary>
    private Tensor DecodeStep(KvCache cache, Tensor tokens, Tensor positions, int i)
    {
        using var ids = tokens.Rows(i - 1, 1);    // (1, B)
        using var pos = positions.Rows(i - 1, 1); // (1, B)
        return Model.DecodeStep(cache, ids, pos);
    }

    /// <summary>(steps, B): the position of the token fed at decode step i + 1 is row b's prompt length + i.</summary>
    private static int[] DecodePositions(PromptBatch prompts, int steps)
    {
        var positions = new int[steps * prompts.Batch];
        for (var i = 0; i < steps; i++)
            for (var b = 0; b < prompts.Batch; b++)
                positions[i * prompts.Batch + b] = prompts.Length(b) + i;
        return positions;
    }
}
