using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda;

/// <summary>Device memory from the backend's arena, returned to it when the last tensor handle goes.</summary>
internal sealed class CudaStorage(CudaBackend backend, long byteLength)
    : TensorStorage(backend, byteLength)
{
    public DevicePtr Pointer { get; } = backend.Arena.Allocate(byteLength);

    protected override void Free() => backend.Arena.Free(Pointer);
}
