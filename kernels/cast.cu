// f32 <-> bf16 element-wise casts over n elements (grid-stride loop, any grid), rounding to nearest even with NaN
// kept a quiet NaN — bit-exact with Gkd.Native.Core.Tensors.BFloat16Bits.
#include "common.cuh"

// out (n) bf16 = in (n) f32
extern "C" __global__ void cast_f32_to_bf16(bf16* __restrict__ out, const float* __restrict__ in, int64 n)
{
    int64 stride = (int64)blockDim.x * gridDim.x;
    for (int64 i = (int64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = gkd_f32_to_bf16(in[i]);
}

// out (n) f32 = in (n) bf16
extern "C" __global__ void cast_bf16_to_f32(float* __restrict__ out, const bf16* __restrict__ in, int64 n)
{
    int64 stride = (int64)blockDim.x * gridDim.x;
    for (int64 i = (int64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = gkd_bf16_to_f32(in[i]);
}
