using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu.Gemm;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// cuBLAS's place under emulation: the CPU SGEMM on f32 copies. bf16 a is widened into a temporary; b goes to the
/// SGEMM as stored (it reads bf16); a bf16 c is widened (when beta ≠ 0), computed in f32 and rounded back to nearest
/// even — bf16 inputs, f32 accumulation, as GemmEx with CUBLAS_COMPUTE_32F.
/// </summary>
internal sealed unsafe class EmulatedGemm : IDeviceGemm
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        DevicePtr a, DType aType, int lda, DevicePtr b, DType bType, int ldb,
        float beta, DevicePtr c, DType cType, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CublasGemmCall.CheckTypes(aType, bType, cType); // refuse exactly what cuBLAS refuses
        CheckOperand("a", aType, lda, transA ? m : k);
        CheckOperand("b", bType, ldb, transB ? k : n);
        CheckOperand("c", cType, ldc, n);
        if (m == 0 || n == 0) return;

        float* aF32 = null, cF32 = null;
        try
        {
            int aLd = lda, cLd = ldc;
            var aPtr = (float*)a.Address;
            if (aType == DType.BF16)
            {
                int rows = transA ? k : m, cols = transA ? m : k;
                aF32 = Widen((ushort*)a.Address, rows, cols, lda);
                aPtr = aF32;
                aLd = Math.Max(cols, 1); // a leading dimension is at least 1, even for an empty K
            }
            var cPtr = (float*)c.Address;
            if (cType == DType.BF16)
            {
                cF32 = beta == 0f ? (float*)NativeMemory.Alloc((nuint)m * (nuint)n, sizeof(float)) : Widen((ushort*)c.Address, m, n, ldc);
                cPtr = cF32;
                cLd = n;
            }
            Sgemm.Multiply(transA, transB, m, n, k, alpha, aPtr, aLd, (void*)b.Address, bType, ldb, beta, cPtr, cLd,
                Environment.ProcessorCount);
            if (cType == DType.BF16)
            {
                var cBf16 = (ushort*)c.Address;
                for (var i = 0; i < m; i++)
                    for (var j = 0; j < n; j++)
                        cBf16[(long)i * ldc + j] = BFloat16Bits.FromSingle(cF32[(long)i * n + j]);
            }
        }
        finally
        {
            NativeMemory.Free(aF32);
            NativeMemory.Free(cF32);
        }
    }

    private static void CheckOperand(string name, DType type, int ld, int cols)
    {
        if (type is not (DType.F32 or DType.BF16))
            throw new NotSupportedException($"GEMM operand {name} is {type}; the device GEMM takes F32 or BF16");
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(name, ld, $"leading dimension of {name} must be at least {Math.Max(1, cols)}");
    }

    // A packed f32 copy (rows, cols) of a bf16 matrix with row stride ld.
    private static float* Widen(ushort* source, int rows, int cols, int ld)
    {
        var result = (float*)NativeMemory.Alloc((nuint)rows * (nuint)Math.Max(cols, 1), sizeof(float));
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                result[(long)i * cols + j] = BFloat16Bits.ToSingle(source[(long)i * ld + j]);
        return result;
    }
}
