using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

/// <summary>
/// Argument checks for the CUDA backend's ops, made on the host before a launch; each message names the op and the
/// offending tensors' shapes and dtypes.
/// </summary>
internal static class OpCheck
{
    public static void That(bool condition, string op, string message)
    {
        if (!condition) throw new ArgumentException($"cuda {op}: {message}");
    }

    /// <summary>t is stored in a dtype the kernels compute on: f32 or bf16.</summary>
    public static void KernelFloat(string op, string name, Tensor t) =>
        That(t.DType is DType.F32 or DType.BF16, op, $"{name} must be f32 or bf16, got {Describe(t)}");

    public static void F32(string op, string name, Tensor t) =>
        That(t.DType == DType.F32, op, $"{name} must be f32, got {Describe(t)}");

    public static void I32(string op, string name, Tensor t) =>
        That(t.DType == DType.I32, op, $"{name} must be i32, got {Describe(t)}");

    public static void SameDType(string op, string aName, Tensor a, string bName, Tensor b) =>
        That(a.DType == b.DType, op, $"{aName} {Describe(a)} and {bName} {Describe(b)} differ in dtype");

    /// <summary>Both tensors have the same 2-D (Rows, Cols) view.</summary>
    public static void SameView(string op, string aName, Tensor a, string bName, Tensor b) =>
        That(a.Shape.Rows == b.Shape.Rows && a.Shape.Cols == b.Shape.Cols, op,
            $"{aName} {Describe(a)} and {bName} {Describe(b)} differ in their (rows, cols) view");

    public static void Numel(string op, string name, Tensor t, long numel) =>
        That(t.Numel == numel, op, $"{name} {Describe(t)} must hold {numel} elements");

    public static string Describe(Tensor t) => $"{t.Shape} {t.DType}";
}
