using Gkd.Native.Core.Autograd;
using Gkd.Native.Cuda;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// What gradient checkpointing saves: one student micro-batch (random weights, LoRA r 64 on q_proj and v_proj) run
/// forward and backward with it off and on, measured in the device arena — the bytes the tape holds between forward
/// and backward (in use after the forward, hidden states included, minus before) and the in-use peak through the
/// backward, both above what was in use before the forward. Arena accounting is exact under emulation too.
/// </summary>
internal static class CheckpointingMemory
{
    public sealed record Result(bool Checkpointing, long Retained, long Peak);

    public static IReadOnlyList<Result> Run(CudaBackend b, Qwen2Config config, int batch, int length)
    {
        using var random = new RandomWeights(b, 1);
        using var model = random.Model(config);
        LoraAdapter.Attach(model, new LoraConfig(64, 16, 0, ["q_proj", "v_proj"]), 1);
        var data = new HostData(5);
        var ids = data.Ints(batch * length, config.VocabSize);
        return [Measure(b, model, ids, batch, length, false), Measure(b, model, ids, batch, length, true)];
    }

    private static Result Measure(CudaBackend b, Qwen2Model model, int[] ids, int batch, int length, bool checkpointing)
    {
        model.GradientCheckpointing = checkpointing;
        var parameters = LoraAdapter.Parameters(model).Select(p => p.Tensor).ToArray();
        var before = b.Arena.InUse;
        b.Arena.ResetPeakInUse();
        long retained;
        using (var input = ModelInput.Create(b, ids, new int[batch], length))
        using (var tape = new Tape())
        {
            using var hidden = model.Forward(tape, input);             // (B·T, C)
            retained = b.Arena.InUse - before;
            using var dHidden = b.Allocate(hidden.Shape, b.ActivationDType);
            b.Fill(dHidden, 1e-3f);
            tape.Backward(hidden, dHidden);
        }
        var peak = b.Arena.PeakInUse - before;
        foreach (var p in parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
        return new Result(checkpointing, retained, peak);
    }
}
