using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Reference;

/// <summary>
/// Every CPU op, forward and backward, against PyTorch's float32 results (tests/Reference/make_golden.py). Backward
/// goldens are plain gradients of sum(y·dy), so gradients start from zeros and the ops accumulate into them.
/// </summary>
public sealed class OpGoldenTests
{
    private readonly IBackend _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void DisposeBackend() => _cpu.Dispose();

    private Tensor In(GoldenFile g, string name) => g.Load(_cpu, name);

    private Tensor Like(GoldenFile g, string name, DType dtype = DType.F32) => _cpu.Zeros(g.ShapeOf(name), dtype);

    private static void Check(GoldenFile g, Tensor actual, string name, string op) =>
        Close.Assert(actual.ToFloatArray(), g.F32(name), Close.F32, $"{op}.{name}");

    [Test]
    public void Embedding()
    {
        using var g = new GoldenFile("ops", "embedding.safetensors");
        using var ids = In(g, "ids");
        using var table = In(g, "table");
        using var y = Like(g, "y");
        using var dy = In(g, "dy");
        using var dtable = Like(g, "dtable");
        _cpu.EmbeddingForward(y, ids, table);
        _cpu.EmbeddingBackward(dtable, dy, ids);
        Check(g, y, "y", "embedding");
        Check(g, dtable, "dtable", "embedding");
    }

    [Test]
    public void RmsNorm()
    {
        using var g = new GoldenFile("ops", "rmsnorm.safetensors");
        using var x = In(g, "x");
        using var w = In(g, "w");
        using var dy = In(g, "dy");
        using var y = Like(g, "y");
        using var rstd = Like(g, "rstd");
        using var dx = Like(g, "dx");
        using var dw = Like(g, "dw");
        _cpu.RmsNormForward(y, rstd, x, w, (float)g.Meta("eps"));
        _cpu.RmsNormBackward(dx, dw, dy, x, w, rstd);
        Check(g, y, "y", "rmsnorm");
        Check(g, rstd, "rstd", "rmsnorm");
        Check(g, dx, "dx", "rmsnorm");
        Check(g, dw, "dw", "rmsnorm");
    }

    [Test]
    public void Linear()
    {
        using var g = new GoldenFile("ops", "linear.safetensors");
        using var x = In(g, "x");
        using var w = In(g, "w");
        using var b = In(g, "b");
        using var dy = In(g, "dy");
        using var y = Like(g, "y");
        using var dx = Like(g, "dx");
        using var dw = Like(g, "dw");
        using var db = Like(g, "db");
        _cpu.Matmul(y, x, w, false, true, 1f, 0f);
        _cpu.AddBias(y, b);
        _cpu.Matmul(dx, dy, w, false, false, 1f, 1f);
        _cpu.Matmul(dw, dy, x, true, false, 1f, 1f);
        _cpu.AddBiasBackward(db, dy);
        Check(g, y, "y", "linear");
        Check(g, dx, "dx", "linear");
        Check(g, dw, "dw", "linear");
        Check(g, db, "db", "linear");
    }

    [TestCase("rope.safetensors")]
    [TestCase("rope_long.safetensors")]
    public void Rope(string file)
    {
        using var g = new GoldenFile("ops", file);
        using var x = In(g, "x");
        using var pos = In(g, "positions");
        using var dy = In(g, "dy");
        using var y = Like(g, "y");
        using var dx = Like(g, "dx");
        var (hs, theta) = ((int)g.Meta("HS"), (float)g.Meta("theta"));
        _cpu.RopeForward(y, x, pos, hs, theta);
        _cpu.RopeBackward(dx, dy, pos, hs, theta);
        Check(g, y, "y", file);
        Check(g, dx, "dx", file);
    }

    [TestCase("attention_g1.safetensors")]
    [TestCase("attention_g2.safetensors")]
    [TestCase("attention_g4.safetensors")]
    public void Attention(string file)
    {
        using var g = new GoldenFile("ops", file);
        using var q = In(g, "q");
        using var k = In(g, "k");
        using var v = In(g, "v");
        using var start = In(g, "start");
        using var dout = In(g, "dout");
        using var o = Like(g, "o");
        using var lse = Like(g, "lse");
        using var dq = Like(g, "dq");
        using var dk = Like(g, "dk");
        using var dv = Like(g, "dv");
        var hs = (int)g.Meta("HS");
        _cpu.AttentionForward(o, lse, q, k, v, start, hs);
        _cpu.AttentionBackward(dq, dk, dv, dout, q, k, v, o, lse, start, hs);
        Check(g, o, "o", file);
        Check(g, lse, "lse", file);
        Check(g, dq, "dq", file);
        Check(g, dk, "dk", file);
        Check(g, dv, "dv", file);
    }

    [Test]
    public void SwiGlu()
    {
        using var g = new GoldenFile("ops", "swiglu.safetensors");
        using var gate = In(g, "gate");
        using var up = In(g, "up");
        using var dy = In(g, "dy");
        using var y = Like(g, "y");
        using var dgate = Like(g, "dgate");
        using var dup = Like(g, "dup");
        _cpu.SwiGluForward(y, gate, up);
        _cpu.SwiGluBackward(dgate, dup, dy, gate, up);
        Check(g, y, "y", "swiglu");
        Check(g, dgate, "dgate", "swiglu");
        Check(g, dup, "dup", "swiglu");
    }

    [TestCase("0")]
    [TestCase("0.1")]
    [TestCase("0.5")]
    [TestCase("0.9")]
    [TestCase("1")]
    public void DistillLoss(string beta)
    {
        using var g = new GoldenFile("ops", "distill.safetensors");
        using var s = In(g, "student");
        using var t = In(g, "teacher");
        var rows = s.Shape[0];
        using var loss = _cpu.Zeros(new Shape(rows), DType.F32);
        using var ds = _cpu.Zeros(s.Shape, DType.F32);
        _cpu.DistillLoss(loss, ds, s, t, float.Parse(beta, System.Globalization.CultureInfo.InvariantCulture), 1f / rows);
        Check(g, loss, $"loss_rows.beta{beta}", "distill");
        Check(g, ds, $"dstudent.beta{beta}", "distill");
    }

    [TestCase(0f)]
    [TestCase(1f)]
    public void DistillLossCheckValue(float beta)
    {
        using var g = new GoldenFile("ops", "distill.safetensors");
        using var s = In(g, "check.student");
        using var t = In(g, "check.teacher");
        using var loss = _cpu.Zeros(new Shape(1), DType.F32);
        _cpu.DistillLoss(loss, null, s, t, beta, 1f);
        Assert.That(loss.ToFloatArray()[0], Is.EqualTo(0.8 * Math.Log(9)).Within(1e-3).Percent, "0.8·ln 9");
    }
}
