using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// The generalized Jensen-Shannon divergence per row (see <see cref="Core.Backends.IBackend.DistillLoss"/>):
    /// loss (N) f32 from student and teacher logits (N, V) f32; dStudent (N, V) f32, when given, is written (=)
    /// with gradScale · ∂loss_n/∂student logits and may alias studentLogits. With s, t the log-softmaxes,
    /// p_s, p_t their probabilities and m the log of the mixture β·p_t + (1−β)·p_s, the closed forms are:
    /// β = 0: loss = Σ p_t (t − s), grad = p_s − p_t; β = 1: loss = Σ p_s (s − t), grad = p_s (s − t − loss);
    /// otherwise loss = β Σ p_t (t − m) + (1−β) Σ p_s (s − m), grad = (1−β) p_s ((s − m) − KL(S‖M)) with
    /// KL(S‖M) = Σ p_s (s − m). Rows run in parallel; each is max-subtracted, element terms are f32 and their
    /// sums are kept in double. Passes over a row only read it until the last, which writes each gradient element
    /// after reading its logits — so dStudent may alias studentLogits.
    /// </summary>
    public void DistillLoss(Tensor loss, Tensor? dStudent, Tensor studentLogits, Tensor teacherLogits, float beta, float gradScale)
    {
        const string op = nameof(DistillLoss);
        foreach (var (name, t) in new[] { ("studentLogits", studentLogits), ("teacherLogits", teacherLogits) })
            Require.That(t.DType == DType.F32, op,
                $"{name} {Require.Describe(t)}: the CPU backend reads f32 logits (convert with Copy first)");
        Require.F32(op, "loss", loss);
        Require.SameView(op, "studentLogits", studentLogits, "teacherLogits", teacherLogits);
        Require.Numel(op, "loss", loss, studentLogits.Shape.Rows);
        Require.That(beta is >= 0f and <= 1f, op, $"beta = {beta} is outside [0, 1]");
        var v = studentLogits.Shape.Cols;
        Require.That(v > 0, op, $"logits {Require.Describe(studentLogits)} have an empty vocabulary");
        float* pl = F32(loss), px = F32(studentLogits), py = F32(teacherLogits); // (N), (N, V), (N, V)
        float* pd = null; // (N, V)
        if (dStudent is not null)
        {
            Require.F32(op, "dStudent", dStudent);
            Require.SameView(op, "dStudent", dStudent, "studentLogits", studentLogits);
            pd = F32(dStudent);
        }
        ChunkBody body = UseVector512
            ? (_, n, _) => pl[n] = DistillRow<Vec512>(pd == null ? null : pd + n * v, px + n * v, py + n * v, v, beta, gradScale)
            : (_, n, _) => pl[n] = DistillRow<Vec256>(pd == null ? null : pd + n * v, px + n * v, py + n * v, v, beta, gradScale);
        ForChunks(studentLogits.Shape.Rows, 1, body);
    }

    /// <summary>One row: x, y (V) student and teacher logits; returns the loss and, when d is not null, writes d (V).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DistillRow<V>(float* d, float* x, float* y, int n, float beta, float gradScale)
        where V : unmanaged, IVec<V>
    {
        var (ms, mt) = RowMax<V>(x, y, n);
        var (sumS, sumT) = SumTerms<V, ExpTerms<V>>(x, y, n, new ExpTerms<V>(ms, mt));
        double logZs = Math.Log(sumS), logZt = Math.Log(sumT);
        var lp = new LogProbs<V>(ms, (float)logZs, mt, (float)logZt, (float)(mt + logZt - (ms + logZs)));
        if (beta == 0f)
        {
            var term = new ForwardKl<V>(lp, gradScale);
            var (kl, _) = SumTerms<V, ForwardKl<V>>(x, y, n, term);
            if (d != null) WriteTerms<V, ForwardKl<V>>(d, x, y, n, term);
            return (float)kl;
        }
        if (beta == 1f)
        {
            var (kl, _) = SumTerms<V, ReverseKl<V>>(x, y, n, new ReverseKl<V>(lp, gradScale, 0f));
            if (d != null) WriteTerms<V, ReverseKl<V>>(d, x, y, n, new ReverseKl<V>(lp, gradScale, (float)kl));
            return (float)kl;
        }
        var (jsd, klSm) = SumTerms<V, MixtureJsd<V>>(x, y, n, new MixtureJsd<V>(lp, beta, gradScale, 0f));
        if (d != null) WriteTerms<V, MixtureJsd<V>>(d, x, y, n, new MixtureJsd<V>(lp, beta, gradScale, (float)klSm));
        return (float)jsd;
    }

    /// <summary>(max x, max y) over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float) RowMax<V>(float* x, float* y, int n) where V : unmanaged, IVec<V>
    {
        var i = 0;
        float mx = float.NegativeInfinity, my = float.NegativeInfinity;
        if (n >= V.Count)
        {
            V ax = V.Load(x), ay = V.Load(y);
            for (i = V.Count; i + V.Count <= n; i += V.Count)
            {
                ax = V.Max(ax, V.Load(x + i));
                ay = V.Max(ay, V.Load(y + i));
            }
            (mx, my) = (ax.MaxAcross(), ay.MaxAcross());
        }
        for (; i < n; i++) (mx, my) = (MathF.Max(mx, x[i]), MathF.Max(my, y[i]));
        return (mx, my);
    }

    /// <summary>Two summed element terms per (student logit x, teacher logit y) of a row.</summary>
    private interface IRowSums<V> where V : unmanaged, IVec<V>
    {
        (V A, V B) Terms(V x, V y);
    }

    /// <summary>The gradient of each element of a row (built once the row's sums are known).</summary>
    private interface IRowGradient<V> where V : unmanaged, IVec<V>
    {
        V Gradient(V x, V y);
    }

    /// <summary>Largest vector width, for the padded tail.</summary>
    private const int MaxLanes = 16;

    /// <summary>(Σ A, Σ B) over the row: f32 terms summed in f32 lanes for a block of vectors, then in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double A, double B) SumTerms<V, TTerms>(float* x, float* y, int n, TTerms terms)
        where V : unmanaged, IVec<V> where TTerms : struct, IRowSums<V>
    {
        const int block = 16;
        double sumA = 0, sumB = 0;
        var i = 0;
        while (i + V.Count <= n)
        {
            V accA = V.Zero, accB = V.Zero;
            for (var k = 0; k < block && i + V.Count <= n; k++, i += V.Count)
            {
                var (a, b) = terms.Terms(V.Load(x + i), V.Load(y + i));
                accA += a;
                accB += b;
            }
            sumA += accA.SumDouble();
            sumB += accB.SumDouble();
        }
        if (i < n)
        {
            var tail = n - i;
            float* tx = stackalloc float[MaxLanes], ty = stackalloc float[MaxLanes];
            float* ta = stackalloc float[MaxLanes], tb = stackalloc float[MaxLanes];
            LoadPadded(tx, x + i, tail);
            LoadPadded(ty, y + i, tail);
            var (a, b) = terms.Terms(V.Load(tx), V.Load(ty));
            a.Store(ta);
            b.Store(tb);
            for (var k = 0; k < tail; k++)
            {
                sumA += ta[k];
                sumB += tb[k];
            }
        }
        return (sumA, sumB);
    }

    /// <summary>d (V) = the gradient terms; each element's logits are read before its gradient is stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteTerms<V, TTerms>(float* d, float* x, float* y, int n, TTerms terms)
        where V : unmanaged, IVec<V> where TTerms : struct, IRowGradient<V>
    {
        var i = 0;
        for (; i + V.Count <= n; i += V.Count) terms.Gradient(V.Load(x + i), V.Load(y + i)).Store(d + i);
        if (i < n)
        {
            var tail = n - i;
            float* tx = stackalloc float[MaxLanes], ty = stackalloc float[MaxLanes], td = stackalloc float[MaxLanes];
            LoadPadded(tx, x + i, tail);
            LoadPadded(ty, y + i, tail);
            terms.Gradient(V.Load(tx), V.Load(ty)).Store(td);
            new ReadOnlySpan<float>(td, tail).CopyTo(new Span<float>(d + i, tail));
        }
    }

    /// <summary>dst (MaxLanes) = src (count) followed by zeros.</summary>
    private static void LoadPadded(float* dst, float* src, int count)
    {
        new Span<float>(dst, MaxLanes).Clear();
        new ReadOnlySpan<float>(src, count).CopyTo(new Span<float>(dst, count));
    }

    /// <summary>(e^(x − ms), e^(y − mt)): the softmax denominators.</summary>
    private readonly struct ExpTerms<V>(float ms, float mt) : IRowSums<V> where V : unmanaged, IVec<V>
    {
        private readonly V _ms = V.Splat(ms), _mt = V.Splat(mt);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (V A, V B) Terms(V x, V y) => (V.Exp(x - _ms), V.Exp(y - _mt));
    }

    /// <summary>
    /// The log-softmaxes of a row from its maxima ms, mt and log-normalizers cs = ln Σ e^(x−ms), ct = ln Σ e^(y−mt):
    /// s = (x − ms) − cs, t = (y − mt) − ct, and δ = t − s = (y − x) − cd with cd = (mt + ct) − (ms + cs) rounded
    /// once, so δ keeps its accuracy when s and t are large and close.
    /// </summary>
    private readonly struct LogProbs<V>(float ms, float cs, float mt, float ct, float cd) where V : unmanaged, IVec<V>
    {
        private readonly V _ms = V.Splat(ms), _cs = V.Splat(cs), _mt = V.Splat(mt), _ct = V.Splat(ct), _cd = V.Splat(cd);

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public V S(V x) => (x - _ms) - _cs;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public V T(V y) => (y - _mt) - _ct;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public V Delta(V x, V y) => (y - x) - _cd;
    }

    /// <summary>β = 0, KL(T‖S): term p_t·δ; gradient scale · (p_s − p_t).</summary>
    private readonly struct ForwardKl<V>(LogProbs<V> lp, float gradScale) : IRowSums<V>, IRowGradient<V>
        where V : unmanaged, IVec<V>
    {
        private readonly V _scale = V.Splat(gradScale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (V A, V B) Terms(V x, V y) => (V.Exp(lp.T(y)) * lp.Delta(x, y), V.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public V Gradient(V x, V y) => _scale * (V.Exp(lp.S(x)) - V.Exp(lp.T(y)));
    }

    /// <summary>β = 1, KL(S‖T): term −p_s·δ; gradient scale · p_s · (−δ − kl).</summary>
    private readonly struct ReverseKl<V>(LogProbs<V> lp, float gradScale, float kl) : IRowSums<V>, IRowGradient<V>
        where V : unmanaged, IVec<V>
    {
        private readonly V _scale = V.Splat(gradScale), _kl = V.Splat(kl);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (V A, V B) Terms(V x, V y) => (-(V.Exp(lp.S(x)) * lp.Delta(x, y)), V.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public V Gradient(V x, V y) => _scale * V.Exp(lp.S(x)) * (-lp.Delta(x, y) - _kl);
    }

    /// <summary>
    /// 0 &lt; β &lt; 1. With λ = m − s = ln((1−β) + β·e^δ), computed stably as max(a, b) + ln(1 + e^−|a−b|) for
    /// a = ln(1−β), b = ln β + δ: terms β·p_t·(δ − λ) − (1−β)·p_s·λ (the loss) and −p_s·λ (KL(S‖M));
    /// gradient scale · (1−β) · p_s · (−λ − KL(S‖M)).
    /// </summary>
    private readonly struct MixtureJsd<V>(LogProbs<V> lp, float beta, float gradScale, float klSm) : IRowSums<V>, IRowGradient<V>
        where V : unmanaged, IVec<V>
    {
        private readonly V _beta = V.Splat(beta), _oneMinusBeta = V.Splat(1f - beta);
        private readonly V _logOneMinusBeta = V.Splat(MathF.Log(1f - beta)), _logBeta = V.Splat(MathF.Log(beta));
        private readonly V _gradFactor = V.Splat(gradScale * (1f - beta)), _klSm = V.Splat(klSm), _one = V.Splat(1f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private V Lambda(V delta)
        {
            var b = _logBeta + delta;
            return V.Max(_logOneMinusBeta, b) + V.Log(_one + V.Exp(-V.Abs(_logOneMinusBeta - b)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (V A, V B) Terms(V x, V y)
        {
            var delta = lp.Delta(x, y);
            var lambda = Lambda(delta);
            var psLambda = V.Exp(lp.S(x)) * lambda;
            return (_beta * V.Exp(lp.T(y)) * (delta - lambda) - _oneMinusBeta * psLambda, -psLambda);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public V Gradient(V x, V y) => _gradFactor * V.Exp(lp.S(x)) * (-Lambda(lp.Delta(x, y)) - _klSm);
    }
}
