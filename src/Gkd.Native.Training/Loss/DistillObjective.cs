using Gkd.Native.Core.Autograd;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Loss;

/// <summary>
/// The teacher-forced GKD objective on one batch: teacher forward without gradients, student forward (through its
/// LoRA adapters, on a tape when training), and the fused head + generalized JSD over the completion rows.
/// </summary>
public sealed class DistillObjective
{
    private readonly FusedDistillHead _head;

    public DistillObjective(Qwen2Model student, Qwen2Model teacher, double beta, FusedDistillHead? head = null)
    {
        if (student.Config.VocabSize != teacher.Config.VocabSize)
            throw new ArgumentException($"student and teacher must share a vocabulary: the student has {student.Config.VocabSize} tokens, the teacher {teacher.Config.VocabSize}");
        if (beta is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must lie in [0, 1]");
        Student = student;
        Teacher = teacher;
        Beta = (float)beta;
        _head = head ?? new FusedDistillHead();
    }

    public Qwen2Model Student { get; }
    public Qwen2Model Teacher { get; }
    public float Beta { get; }

    /// <summary>
    /// The summed per-token divergence of the batch and its completion-token count. With train, backpropagates
    /// gradScale · ∂(sum)/∂θ into the student's trainable parameters (their gradients accumulate).
    /// </summary>
    public (double LossSum, int Tokens) Run(ChatBatch batch, bool train, float gradScale = 0f, ulong dropoutSeed = 0)
    {
        var be = Student.Backend;
        var rows = CompletionRows.FromLabels(batch.Labels, batch.B, batch.T);
        using var input = ModelInput.Create(be, batch.InputIds, batch.Start, batch.T);
        using var teacherHidden = Teacher.Forward(Tape.NoGrad, input);              // (B·T, Ct)
        using var tape = train ? new Tape() : Tape.NoGrad;
        using var studentHidden = Student.Forward(tape, input, dropoutSeed);       // (B·T, Cs)
        if (!train || !studentHidden.RequiresGrad)
            return (_head.Run(studentHidden, Student.LmHead, teacherHidden, Teacher.LmHead, rows, Beta, null, 0f), rows.Length);
        using var dHidden = be.Allocate(studentHidden.Shape, be.ActivationDType);  // (B·T, Cs)
        be.Fill(dHidden, 0f);
        var loss = _head.Run(studentHidden, Student.LmHead, teacherHidden, Teacher.LmHead, rows, Beta, dHidden, gradScale);
        tape.Backward(studentHidden, dHidden);
        return (loss, rows.Length);
    }
}
