using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Loss;

/// <summary>
/// The LM heads of both models fused with the generalized JSD: completion rows are walked in chunks; for each
/// chunk both models' logits are computed, the loss rows and dL/d(student logits) are formed in place, and the
/// gradient is taken straight back to the student's hidden states (and into the student's head when it is being
/// trained). [B, T, V] logits never exist, and frozen heads get no gradient.
/// </summary>
public sealed class FusedDistillHead(int maxChunkElements = 1 << 25)
{
    /// <summary>Upper bound on rows × V per chunk (per model's logits buffer, in elements).</summary>
    public int MaxChunkElements { get; } = maxChunkElements;

    /// <summary>
    /// Σ over <paramref name="rows"/> of the per-row generalized JSD (β) between the student's and teacher's
    /// next-token distributions. When <paramref name="dStudentHidden"/> is given, adds gradScale · ∂Σ/∂hidden to
    /// it (+=), for the student's rows only, and gradScale · ∂Σ/∂head to the head's gradient when the head requires one.
    /// </summary>
    /// <param name="studentHidden">(B·T, Cs) final hidden states of the student.</param>
    /// <param name="studentHead">(V, Cs) the student's LM head.</param>
    /// <param name="teacherHidden">(B·T, Ct) final hidden states of the teacher.</param>
    /// <param name="teacherHead">(V, Ct) the teacher's LM head.</param>
    /// <param name="rows">Row indices into B·T (see <see cref="CompletionRows"/>).</param>
    public double Run(Tensor studentHidden, Tensor studentHead, Tensor teacherHidden, Tensor teacherHead,
        ReadOnlySpan<int> rows, float beta, Tensor? dStudentHidden, float gradScale)
    {
        var be = studentHidden.Backend;
        var vocab = studentHead.Shape[0];
        if (teacherHead.Shape[0] != vocab)
            throw new ArgumentException($"student vocabulary {vocab} ≠ teacher vocabulary {teacherHead.Shape[0]}");
        if (rows.Length == 0) return 0;
        var chunk = Math.Max(1, Math.Min(rows.Length, MaxChunkElements / vocab));
        var act = be.ActivationDType;

        using var hs = be.Allocate(new Shape(chunk, studentHead.Shape[1]), act);   // (R, Cs)
        using var ht = be.Allocate(new Shape(chunk, teacherHead.Shape[1]), act);   // (R, Ct)
        using var zs = be.Allocate(new Shape(chunk, vocab), act);                   // (R, V) student logits, then dL/dz
        using var zt = be.Allocate(new Shape(chunk, vocab), act);                   // (R, V) teacher logits
        using var loss = be.Allocate(new Shape(chunk), DType.F32);                  // (R)
        using var dh = dStudentHidden is null ? null : be.Allocate(new Shape(chunk, studentHead.Shape[1]), act); // (R, Cs)
        var total = 0.0;
        for (var r0 = 0; r0 < rows.Length; r0 += chunk)
        {
            var n = Math.Min(chunk, rows.Length - r0);
            using var idx = be.FromArray(rows.Slice(r0, n), n);                       // (n) i32
            using var hsN = hs.Rows(0, n);
            using var htN = ht.Rows(0, n);
            using var zsN = zs.Rows(0, n);
            using var ztN = zt.Rows(0, n);
            using var lossN = loss.Rows(0, n);
            be.EmbeddingForward(hsN, idx, studentHidden);                              // gather rows
            be.EmbeddingForward(htN, idx, teacherHidden);
            be.Matmul(zsN, hsN, studentHead, false, true, 1f, 0f);                     // (n, V)
            be.Matmul(ztN, htN, teacherHead, false, true, 1f, 0f);
            be.DistillLoss(lossN, dStudentHidden is null ? null : zsN, zsN, ztN, beta, gradScale);
            foreach (var l in lossN.ToFloatArray()) total += l;
            if (dStudentHidden is null) continue;
            using var dhN = dh!.Rows(0, n);
            be.Matmul(dhN, zsN, studentHead, false, false, 1f, 0f);                    // (n, Cs) = dz · W
            be.EmbeddingBackward(dStudentHidden, dhN, idx);                            // scatter-add to the rows
            if (studentHead.RequiresGrad)
                be.Matmul(Tape.GradOf(studentHead), zsN, hsN, true, false, 1f, 1f);    // (V, Cs) += dzᵀ · h
        }
        return total;
    }
}
