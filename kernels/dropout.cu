// dropout.cu — inverted dropout with a counter-based mask: element i is kept iff gkd_philox_uniform(seed, i) ≥ p
// (Gkd.Native.Core.Random.Philox.Uniform, bit for bit) and kept elements are multiplied by scale = 1 / (1 − p), an
// f32 the launcher computes as the CPU backend does (+inf for p = 1, when nothing is kept). The backward recomputes
// the mask from the seed. f32 math over f32 or bf16 storage.
//
// Grid-stride over packs of 8 elements (two Philox blocks, 16-byte accesses when both pointers are aligned); the
// n mod 8 tail, or everything when a pointer is not aligned, one element per thread. Launch: PackedGrid (256
// threads per block, at most 4096 blocks).
#include "common.cuh"

// keep (8) = the mask of elements 8p … 8p+7: words of Philox blocks 2p and 2p+1 as uniforms, compared with p.
__device__ __forceinline__ void dropout_mask8(bool (&keep)[8], uint64 seed, int64 pack, float p)
{
    gkd_philox_block lo = gkd_philox_stream_block(seed, (uint64)pack << 1);
    gkd_philox_block hi = gkd_philox_stream_block(seed, ((uint64)pack << 1) | 1u);
    uint32 words[8] = {lo.x0, lo.x1, lo.x2, lo.x3, hi.x0, hi.x1, hi.x2, hi.x3};
#pragma unroll
    for (int k = 0; k < 8; ++k) keep[k] = gkd_philox_to_uniform(words[k]) >= p;
}

// v · scale when kept, else +0 — selected with a bit mask rather than a branch, so that compilers keep the pack's
// loads whole (a select invites them to sink the load into the kept branch, one element at a time).
__device__ __forceinline__ float dropout_value(float v, bool keep, float scale)
{
    return __uint_as_float(__float_as_uint(v * scale) & (0u - (uint32)keep));
}

// y (n) = (or += when Accumulate) x (n) · keep / (1 − p); y may alias x.
template <bool Accumulate, typename T>
__device__ __forceinline__ void dropout_apply(T* y, const T* x, float p, float scale, uint64 seed, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(y) && gkd_aligned16(x) ? n >> 3 : 0;
    for (int64 q = start; q < packs; q += stride) {
        bool keep[8];
        dropout_mask8(keep, seed, q, p);
        float v[8];
        gkd_load8(v, x + (q << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = dropout_value(v[k], keep[k], scale);
        if (Accumulate) {
            float acc[8];
            gkd_load8(acc, y + (q << 3));
#pragma unroll
            for (int k = 0; k < 8; ++k) v[k] = acc[k] + v[k];
        }
        gkd_store8(y + (q << 3), v);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) {
        float v = dropout_value(gkd_load(x + i), gkd_philox_uniform(seed, (uint64)i) >= p, scale);
        gkd_store(y + i, Accumulate ? gkd_load(y + i) + v : v);
    }
}

// y (n) = x (n) · keep / (1 − p)
extern "C" __global__ void dropout_f32(float* y, const float* x, float p, float scale, uint64 seed, int64 n)
{
    dropout_apply<false>(y, x, p, scale, seed, n);
}
extern "C" __global__ void dropout_bf16(bf16* y, const bf16* x, float p, float scale, uint64 seed, int64 n)
{
    dropout_apply<false>(y, x, p, scale, seed, n);
}

// dx (n) += dy (n) · keep / (1 − p), with the forward's mask
extern "C" __global__ void dropout_backward_f32(float* dx, const float* dy, float p, float scale, uint64 seed, int64 n)
{
    dropout_apply<true>(dx, dy, p, scale, seed, n);
}
extern "C" __global__ void dropout_backward_bf16(bf16* dx, const bf16* dy, float p, float scale, uint64 seed, int64 n)
{
    dropout_apply<true>(dx, dy, p, scale, seed, n);
}
