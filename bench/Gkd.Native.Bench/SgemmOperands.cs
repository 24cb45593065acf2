using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu.Gemm;

namespace Gkd.Native.Bench;

/// <summary>Native, 64-byte aligned A, B and C for one <see cref="SgemmShape"/>, filled with fixed-seed U(-1, 1).</summary>
public sealed unsafe class SgemmOperands : IDisposable
{
    private readonly float* _a;
    private readonly void* _b;
    private readonly float* _c;

    public SgemmOperands(SgemmShape shape)
    {
        Shape = shape;
        var rng = new Random(1234);
        var aCount = (long)shape.M * shape.K;
        var bCount = (long)shape.K * shape.N;
        _a = (float*)NativeMemory.AlignedAlloc((nuint)(aCount * 4), 64);
        _b = NativeMemory.AlignedAlloc((nuint)(bCount * shape.BType.Size()), 64);
        _c = (float*)NativeMemory.AlignedAlloc((nuint)((long)shape.M * shape.N * 4), 64);
        for (long i = 0; i < aCount; i++) _a[i] = (rng.NextSingle() * 2) - 1;
        for (long i = 0; i < bCount; i++)
        {
            var v = (rng.NextSingle() * 2) - 1;
            switch (shape.BType)
            {
                case DType.F32: ((float*)_b)[i] = v; break;
                case DType.BF16: ((ushort*)_b)[i] = BFloat16Bits.FromSingle(v); break;
                default: ((Half*)_b)[i] = (Half)v; break;
            }
        }
    }

    public SgemmShape Shape { get; }

    /// <summary>C = A · op(B) (β = 0).</summary>
    public void Multiply(int threads, SgemmKernel kernel = SgemmKernel.Auto)
    {
        var s = Shape;
        Sgemm.Multiply(false, s.TransB, s.M, s.N, s.K, 1f, _a, s.K, _b, s.BType, s.TransB ? s.K : s.N, 0f, _c, s.N,
            threads, kernel);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }
}
