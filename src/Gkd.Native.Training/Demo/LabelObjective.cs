using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Next-token cross-entropy on the completion tokens, computed by the distillation head itself: with β = 0 the
/// generalized JSD is KL(T‖S) = Σ p_t (log p_t − log p_s), which is −log p_s(label) when the "teacher" is one-hot at
/// the label. That label teacher is two constant (V, V) tables: its hidden state for a row is row y of 1e4·I (y the
/// row's next label), its LM head is I, so its logits are 1e4 at the label and 0 elsewhere and its softmax is exactly
/// one-hot in f32. The loss and its gradient thus come from the same fused kernel as GKD's, on any backend.
/// </summary>
public sealed class LabelObjective : IDisposable
{
    private const float LabelLogit = 1e4f;

    private readonly FusedDistillHead _head = new();
    private readonly Tensor _labelHidden; // (V, V) 1e4·I
    private readonly Tensor _labelHead;   // (V, V) I

    public LabelObjective(Qwen2Model model)
    {
        Model = model;
        var v = model.Config.VocabSize;
        var eye = new float[v * v];
        for (var i = 0; i < v; i++) eye[i * v + i] = LabelLogit;
        _labelHidden = model.Backend.FromArray(eye, v, v);
        for (var i = 0; i < v; i++) eye[i * v + i] = 1f;
        _labelHead = model.Backend.FromArray(eye, v, v);
    }

    public Qwen2Model Model { get; }

    /// <summary>
    /// The summed cross-entropy (nats) over the batch's completion tokens and their count. With train, adds
    /// gradScale · ∂(sum)/∂θ to the gradients of the model's trainable weights (+=).
    /// </summary>
    public (double LossSum, int Tokens) Run(ChatBatch batch, bool train, float gradScale = 0f)
    {
        var be = Model.Backend;
        var rows = CompletionRows.FromLabels(batch.Labels, batch.B, batch.T);
        var next = new int[batch.B * batch.T]; // (B·T) the label each row predicts; 0 where none (never gathered)
        foreach (var r in rows) next[r] = batch.Labels[r + 1];
        using var input = ModelInput.Create(be, batch.InputIds, batch.Start, batch.T);
        using var nextIds = be.FromArray(next, next.Length);
        using var labelHidden = Tape.NoGrad.Embedding(nextIds, _labelHidden); // (B·T, V)
        using var tape = train ? new Tape() : Tape.NoGrad;
        using var hidden = Model.Forward(tape, input);                        // (B·T, C)
        if (!train || !hidden.RequiresGrad)
            return (_head.Run(hidden, Model.LmHead, labelHidden, _labelHead, rows, 0f, null, 0f), rows.Length);
        using var dHidden = be.Allocate(hidden.Shape, be.ActivationDType);     // (B·T, C)
        be.Fill(dHidden, 0f);
        var loss = _head.Run(hidden, Model.LmHead, labelHidden, _labelHead, rows, 0f, dHidden, gradScale);
        tape.Backward(hidden, dHidden);
        return (loss, rows.Length);
    }

    public void Dispose()
    {
        _labelHidden.Dispose();
        _labelHead.Dispose();
    }
}
