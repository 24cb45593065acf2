using System.Diagnostics;
using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Bench;

/// <summary>
/// Where the time of one teacher-forced eval pass goes: the teacher's and the student's forward, and the fused
/// head's parts (row gathers, the two LM-head GEMMs, the JSD rows), each timed around the same backend calls
/// DistillObjective/FusedDistillHead make (chunking as FusedDistillHead's default).
/// </summary>
public static class EvalProfile
{
    public static void Print(IBackend be, Qwen2Model student, Qwen2Model teacher, IReadOnlyList<ChatBatch> batches, float beta)
    {
        var names = new[] { "teacher forward", "student forward", "gather", "student head", "teacher head", "jsd" };
        var t = new double[names.Length];
        var sw = new Stopwatch();
        void Time(int i, Action a)
        {
            sw.Restart();
            a();
            t[i] += sw.Elapsed.TotalSeconds;
        }

        foreach (var batch in batches)
        {
            var rows = CompletionRows.FromLabels(batch.Labels, batch.B, batch.T);
            using var input = ModelInput.Create(be, batch.InputIds, batch.Start, batch.T);
            Tensor? th = null, sh = null;
            Time(0, () => th = teacher.Forward(Tape.NoGrad, input));
            Time(1, () => sh = student.Forward(Tape.NoGrad, input));
            var vocab = student.LmHead.Shape[0];
            var chunk = Math.Max(1, Math.Min(rows.Length, (1 << 25) / vocab));
            using var hs = be.Allocate(new Shape(chunk, student.LmHead.Shape[1]), DType.F32);
            using var ht = be.Allocate(new Shape(chunk, teacher.LmHead.Shape[1]), DType.F32);
            using var zs = be.Allocate(new Shape(chunk, vocab), DType.F32);
            using var zt = be.Allocate(new Shape(chunk, vocab), DType.F32);
            using var loss = be.Allocate(new Shape(chunk), DType.F32);
            for (var r0 = 0; r0 < rows.Length; r0 += chunk)
            {
                var n = Math.Min(chunk, rows.Length - r0);
                using var idx = be.FromArray(rows.AsSpan(r0, n), n);
                using var hsN = hs.Rows(0, n);
                using var htN = ht.Rows(0, n);
                using var zsN = zs.Rows(0, n);
                using var ztN = zt.Rows(0, n);
                using var lossN = loss.Rows(0, n);
                Time(2, () =>
                {
                    be.EmbeddingForward(hsN, idx, sh!);
                    be.EmbeddingForward(htN, idx, th!);
                });
                Time(3, () => be.Matmul(zsN, hsN, student.LmHead, false, true, 1f, 0f));
                Time(4, () => be.Matmul(ztN, htN, teacher.LmHead, false, true, 1f, 0f));
                Time(5, () => be.DistillLoss(lossN, null, zsN, ztN, beta, 0f));
            }
            th!.Dispose();
            sh!.Dispose();
        }
        Console.WriteLine($"profile (one pass, load {Workload.LoadAverage()}):");
        for (var i = 0; i < names.Length; i++) Console.WriteLine($"  {names[i],-16} {Workload.F(t[i])} s");
        Console.WriteLine($"  {"total",-16} {Workload.F(t.Sum())} s");
    }
}
