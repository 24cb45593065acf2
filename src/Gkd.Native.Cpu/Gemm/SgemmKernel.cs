namespace Gkd.Native.Cpu.Gemm;

/// <summary>Which register-tile micro-kernel the packed SGEMM path runs.</summary>
public enum SgemmKernel
{
    /// <summary>Vector512 where the hardware accelerates it, else Vector256.</summary>
    Auto,

    /// <summary>The 6×16 AVX2/FMA tile.</summary>
    Vector256,

    /// <summary>The 12×32 AVX-512 tile; runs (slowly, in software) on machines without AVX-512.</summary>
    Vector512,
}
