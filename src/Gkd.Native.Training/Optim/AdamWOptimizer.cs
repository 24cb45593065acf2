using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Optim;

/// <summary>torch.optim.AdamW (β 0.9/0.999, eps 1e-8 by default, decoupled weight decay), one backend op per parameter.</summary>
public sealed class AdamWOptimizer : IOptimizer, IDisposable
{
    private readonly (string Name, Tensor Param)[] _params;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    public AdamWOptimizer(IEnumerable<(string Name, Tensor Param)> parameters, double weightDecay = 0,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToArray();
        _m = _params.Select(p => p.Param.Backend.Zeros(p.Param.Shape, DType.F32)).ToArray();
        _v = _params.Select(p => p.Param.Backend.Zeros(p.Param.Shape, DType.F32)).ToArray();
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    public string Name => "adamw_torch";
    public double WeightDecay { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public int Steps { get; private set; }

    public void Step(double lr)
    {
        Steps++;
        for (var i = 0; i < _params.Length; i++)
        {
            var p = _params[i].Param;
            if (p.Grad is not { } g) continue;
            p.Backend.AdamW(p, _m[i], _v[i], g, (float)lr, (float)Beta1, (float)Beta2, (float)Eps, (float)WeightDecay, Steps);
        }
    }

    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        for (var i = 0; i < _params.Length; i++)
        {
            yield return ($"exp_avg/{_params[i].Name}", _m[i]);
            yield return ($"exp_avg_sq/{_params[i].Name}", _v[i]);
        }
    }

    public void Load(IReadOnlyDictionary<string, Tensor> state, int steps)
    {
        for (var i = 0; i < _params.Length; i++)
        {
            Restore(state, $"exp_avg/{_params[i].Name}", _m[i]);
            Restore(state, $"exp_avg_sq/{_params[i].Name}", _v[i]);
        }
        Steps = steps;
    }

    private static void Restore(IReadOnlyDictionary<string, Tensor> state, string key, Tensor into)
    {
        if (!state.TryGetValue(key, out var saved)) throw new InvalidDataException($"optimizer state lacks {key}");
        if (saved.Shape != into.Shape) throw new InvalidDataException($"optimizer state {key} is {saved.Shape}, the parameter is {into.Shape}");
        into.Backend.Copy(into, saved);
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
