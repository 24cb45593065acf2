// swiglu.cu — the Qwen2 MLP gate: y = silu(gate) · up with silu(g) = g / (1 + e^−g), and its backward
// dgate += dy · up · σ(g)·(1 + g·(1 − σ(g))), dup += dy · g·σ(g) — the CPU backend's formulas, f32 math over f32 or
// bf16 storage.
//
// Grid-stride over packs of 8 elements (16-byte accesses when every pointer is aligned); the n mod 8 tail, or
// everything when a pointer is not aligned, one element per thread. Launch: PackedGrid (256 threads per block, at
// most 4096 blocks).
#include "common.cuh"

// ---- Forward: y (N, FF) = silu(gate) · up; y may alias gate or up ---------------------------------------------------

__device__ __forceinline__ float swiglu_value(float g, float u) { return g / (1.0f + expf(-g)) * u; }

template <typename T>
__device__ __forceinline__ void swiglu_forward(T* y, const T* gate, const T* up, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(y) && gkd_aligned16(gate) && gkd_aligned16(up) ? n >> 3 : 0;
    for (int64 p = start; p < packs; p += stride) {
        float g[8], u[8];
        gkd_load8(g, gate + (p << 3));
        gkd_load8(u, up + (p << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) g[k] = swiglu_value(g[k], u[k]);
        gkd_store8(y + (p << 3), g);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) gkd_store(y + i, swiglu_value(gkd_load(gate + i), gkd_load(up + i)));
}

// y (n) = silu(gate (n)) · up (n)
extern "C" __global__ void swiglu_fwd_f32(float* y, const float* gate, const float* up, int64 n) { swiglu_forward(y, gate, up, n); }
extern "C" __global__ void swiglu_fwd_bf16(bf16* y, const bf16* gate, const bf16* up, int64 n) { swiglu_forward(y, gate, up, n); }

// ---- Backward: dgate += dy · up · silu'(gate), dup += dy · silu(gate) (both +=) -----------------------------------

// dg, du (in: the old gradients; out: with this element's contribution added)
__device__ __forceinline__ void swiglu_grad(float& dg, float& du, float d, float g, float u)
{
    float sig = 1.0f / (1.0f + expf(-g));
    dg = dg + d * u * (sig * (1.0f + g * (1.0f - sig)));
    du = du + d * (g * sig);
}

template <typename T>
__device__ __forceinline__ void swiglu_backward(T* dgate, T* dup, const T* dy, const T* gate, const T* up, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    bool aligned = gkd_aligned16(dgate) && gkd_aligned16(dup) && gkd_aligned16(dy) && gkd_aligned16(gate) && gkd_aligned16(up);
    int64 packs = aligned ? n >> 3 : 0;
    for (int64 p = start; p < packs; p += stride) {
        int64 i = p << 3;
        float dg[8], du[8], d[8], g[8], u[8];
        gkd_load8(dg, dgate + i);
        gkd_load8(du, dup + i);
        gkd_load8(d, dy + i);
        gkd_load8(g, gate + i);
        gkd_load8(u, up + i);
#pragma unroll
        for (int k = 0; k < 8; ++k) swiglu_grad(dg[k], du[k], d[k], g[k], u[k]);
        gkd_store8(dgate + i, dg);
        gkd_store8(dup + i, du);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) {
        float dg = gkd_load(dgate + i), du = gkd_load(dup + i);
        swiglu_grad(dg, du, gkd_load(dy + i), gkd_load(gate + i), gkd_load(up + i));
        gkd_store(dgate + i, dg);
        gkd_store(dup + i, du);
    }
}

// dgate (n) += dy · up · silu'(gate); dup (n) += dy · silu(gate)
extern "C" __global__ void swiglu_bwd_f32(float* dgate, float* dup, const float* dy, const float* gate, const float* up, int64 n)
{
    swiglu_backward(dgate, dup, dy, gate, up, n);
}
extern "C" __global__ void swiglu_bwd_bf16(bf16* dgate, bf16* dup, const bf16* dy, const bf16* gate, const bf16* up, int64 n)
{
    swiglu_backward(dgate, dup, dy, gate, up, n);
}
