using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

/// <summary>
/// Reverse-mode autograd by recording. Each op's forward (in TapeOps.*.cs) runs immediately and, when an input
/// requires a gradient, records a node: its outputs, the tensors its backward needs (retained here until the node
/// has run or the tape is disposed) and its backward closure. <see cref="Backward"/> runs nodes in reverse,
/// accumulating into <see cref="Tensor.Grad"/>; gradients of intermediates are freed as soon as their producer has
/// consumed them, gradients of leaves persist (gradient accumulation) until the optimizer clears them.
/// </summary>
public sealed class Tape : IDisposable
{
    private readonly List<Node> _nodes = [];
    private readonly bool _recording;

    public Tape() : this(recording: true) { }

    private Tape(bool recording) => _recording = recording;

    /// <summary>A tape that never records: ops run forward only (teacher, evaluation, generation).</summary>
    public static Tape NoGrad { get; } = new(recording: false);

    public bool IsRecording => _recording;

    /// <summary>Whether an op over these inputs must record a backward.</summary>
    public bool NeedsGrad(Tensor a) => _recording && a.RequiresGrad;
    public bool NeedsGrad(Tensor a, Tensor b) => _recording && (a.RequiresGrad || b.RequiresGrad);
    public bool NeedsGrad(Tensor a, Tensor b, Tensor c) => _recording && (a.RequiresGrad || b.RequiresGrad || c.RequiresGrad);

    /// <summary>
    /// The backward of one recorded op: dOutput is the gradient of its output, saved what it retained. A closure
    /// reads data only through saved; it may capture its input handles to reach their gradients (via
    /// <see cref="GradOf"/>), which stay valid after the caller disposed them.
    /// </summary>
    public delegate void BackwardFn(Tensor dOutput, Tensor[] saved);

    /// <summary>
    /// Records one op. The output becomes a non-leaf tensor that requires a gradient (the node keeps its handle for
    /// the gradient only, not its memory: an output backward needs must be saved too); each saved tensor is retained
    /// through a <see cref="Tensor.Share"/>d handle so the caller may dispose its own. The backward receives the
    /// output's gradient and those handles in the order given, and accumulates into <see cref="GradOf"/> of the
    /// inputs that require one.
    /// </summary>
    public void Record(string op, Tensor output, Tensor[] saved, BackwardFn backward)
    {
        if (!_recording) throw new InvalidOperationException($"{op}: recording on a no-grad tape");
        output.RequiresGrad = true;
        output.IsLeaf = false;
        var retained = new Tensor[saved.Length];
        for (var i = 0; i < saved.Length; i++) retained[i] = saved[i].Share();
        _nodes.Add(new Node(op, output, retained, backward));
    }

    /// <summary>
    /// The gradient buffer of t, allocated as zeros on first use; backward closures accumulate into it. A leaf's
    /// gradient has the leaf's dtype (f32 for trained parameters, whatever the activations are); an intermediate's
    /// has the activation dtype.
    /// </summary>
    public static Tensor GradOf(Tensor t)
    {
        if (t.Grad is { } g) return g;
        var b = t.Backend;
        g = b.Allocate(t.Shape, t.IsLeaf && t.DType.IsFloat() ? t.DType : b.ActivationDType);
        b.Fill(g, 0f);
        t.Grad = g;
        return g;
    }

    /// <summary>
    /// Seeds output's gradient with dOutput (added to any already there) and runs every recorded node in reverse.
    /// Nodes whose outputs received no gradient are skipped. The tape is empty afterwards.
    /// </summary>
    public void Backward(Tensor output, Tensor dOutput)
    {
        if (!output.RequiresGrad) throw new InvalidOperationException("backward from a tensor that does not require a gradient");
        output.Backend.Axpy(GradOf(output), dOutput, 1f);
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            var node = _nodes[i];
            _nodes.RemoveAt(i);
            if (node.Output.Grad is { } grad) node.Backward(grad, node.Saved);
            node.Release();
        }
    }

    /// <summary>Releases everything still retained (a forward whose backward never ran). A no-op for <see cref="NoGrad"/>.</summary>
    public void Dispose()
    {
        if (!_recording) return;
        foreach (var node in _nodes) node.Release();
        _nodes.Clear();
    }

    private sealed record Node(string Op, Tensor Output, Tensor[] Saved, BackwardFn Backward)
    {
        public void Release()
        {
            Output.Grad?.Dispose();
            Output.Grad = null;
            foreach (var s in Saved) s.Dispose();
        }
    }
}
