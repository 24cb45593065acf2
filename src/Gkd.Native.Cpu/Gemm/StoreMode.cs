namespace Gkd.Native.Cpu.Gemm;

/// <summary>How a micro-kernel combines its accumulator tile acc = Σ_p a·b with C.</summary>
internal enum StoreMode
{
    /// <summary>C = α·acc (C is not read: it may hold NaN).</summary>
    Write,

    /// <summary>C = fma(β, C, α·acc): the first K block when β ≠ 0.</summary>
    Scale,

    /// <summary>C = C + α·acc: every later K block.</summary>
    Accumulate,
}
