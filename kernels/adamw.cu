// adamw.cu — one AdamW step as torch.optim.AdamW (and the CPU backend) does it, all f32:
//   param *= decay; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; param −= stepSize · m / (√v / bc2Sqrt + eps)
// with decay = 1 − lr·weightDecay, stepSize = lr / (1 − β1^step) and bc2Sqrt = √(1 − β2^step) computed once on the
// host in f32, exactly as the CPU backend does, so the per-element operations are the same in the same order.
//
// Grid-stride over packs of 8 elements (16-byte accesses when all four pointers are aligned); the n mod 8 tail, or
// everything when a pointer is not aligned, one element per thread. Launch: PackedGrid (256 threads per block, at
// most 4096 blocks).
#include "common.cuh"

// p, m, v (in: the old state; out: updated) for gradient g
__device__ __forceinline__ void adamw_update(float& p, float& m, float& v, float g, float beta1, float beta2, float eps,
    float stepSize, float decay, float bc2Sqrt)
{
    p *= decay;
    m = beta1 * m + (1.0f - beta1) * g;
    v = beta2 * v + (1.0f - beta2) * g * g;
    p -= stepSize * m / (sqrtf(v) / bc2Sqrt + eps);
}

// param, m, v (n) updated in place from grad (n)
extern "C" __global__ void adamw_f32(float* param, float* m, float* v, const float* grad, float beta1, float beta2,
    float eps, float stepSize, float decay, float bc2Sqrt, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    bool aligned = gkd_aligned16(param) && gkd_aligned16(m) && gkd_aligned16(v) && gkd_aligned16(grad);
    int64 packs = aligned ? n >> 3 : 0;
    for (int64 q = start; q < packs; q += stride) {
        int64 i = q << 3;
        float vp[8], vm[8], vv[8], vg[8];
        gkd_load8(vp, param + i);
        gkd_load8(vm, m + i);
        gkd_load8(vv, v + i);
        gkd_load8(vg, grad + i);
#pragma unroll
        for (int k = 0; k < 8; ++k) adamw_update(vp[k], vm[k], vv[k], vg[k], beta1, beta2, eps, stepSize, decay, bc2Sqrt);
        gkd_store8(param + i, vp);
        gkd_store8(m + i, vm);
        gkd_store8(v + i, vv);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride)
        adamw_update(param[i], m[i], v[i], grad[i], beta1, beta2, eps, stepSize, decay, bc2Sqrt);
}
