// RMSNorm (Qwen2RMSNorm), forward and backward, statistics in f32: the kernels behind CudaBackend.RmsNormForward and
// RmsNormBackward (CPU reference: src/Gkd.Native.Cpu/RmsNorm.cs). Activations x, y, dx, dy are f32 or bf16 (A), the
// weight w f32 or bf16 (W); one extern "C" wrapper per (A, W) pair, named rmsnorm_<op>_<A>_<W>.
//
// Forward: a row per warp (4 rows per 128-thread block) when the launcher passes per_warp = 1 (C ≤ 1024), else a row per
// 256-thread block.
// Backward: a row per warp. When dw is wanted, each block takes a fixed chunk of rows, its warps keep their own dw
// column sums in dynamic shared memory, and the block adds its warps' sums in warp order into its row of partials
// (G, C); rmsnorm_dw_reduce then adds the G rows in a fixed order into dw. The chunking depends on N alone, so dw has
// the same bits on every run and device; no float atomics.
#include "common.cuh"

__device__ __forceinline__ float rms_load(const float* p) { return *p; }
__device__ __forceinline__ float rms_load(const bf16* p) { return gkd_bf16_to_f32(*p); }
__device__ __forceinline__ void rms_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void rms_store(bf16* p, float v) { *p = gkd_f32_to_bf16(v); }

// y (N, C) = w · (x · rstd) with rstd (N) f32 = 1 / sqrt(Σ x² / C + eps); w (C). per_warp: 1 → warp w of block b takes
// row 4b + w (blockDim 128), 0 → block b takes row b (blockDim 256). y may alias x.
template <typename A, typename W>
__device__ __forceinline__ void rmsnorm_forward(A* y, float* rstd, const A* x, const W* w, float eps, int64 N, int C,
    int per_warp)
{
    int64 row;
    int first, step;
    if (per_warp) {
        row = (int64)blockIdx.x * (blockDim.x >> 5) + gkd_warp_id();
        first = (int)gkd_lane_id();
        step = GKD_WARP_SIZE;
    } else {
        row = blockIdx.x;
        first = (int)threadIdx.x;
        step = (int)blockDim.x;
    }
    if (row >= N) return; // a whole warp (per_warp) or block
    const A* xr = x + row * C; // (C)
    A* yr = y + row * C;       // (C)
    float ss = 0.0f;
    for (int j = first; j < C; j += step) {
        float v = rms_load(xr + j);
        ss = fmaf(v, v, ss);
    }
    ss = per_warp ? gkd_warp_sum(ss) : gkd_block_sum(ss);
    float r = 1.0f / sqrtf(ss / (float)C + eps);
    if (first == 0) rstd[row] = r;
    for (int j = first; j < C; j += step) rms_store(yr + j, rms_load(w + j) * (rms_load(xr + j) * r));
}

// dx (N, C) += w·dy·rstd − x · rstd³ · Σ(dy·w·x) / C (+=), a row per warp. Block b takes rows
// [b · rows_per_block, (b + 1) · rows_per_block), warp w every (blockDim / 32)-th of them from the w-th. With partials
// (G, C) f32 given (G = gridDim.x), also partials[b] = Σ over the block's rows of dy·x·rstd (=), summed per warp in
// dynamic shared memory (blockDim / 32, C) f32 and then over the warps in order.
template <typename A, typename W>
__device__ __forceinline__ void rmsnorm_backward(A* dx, float* partials, const A* dy, const A* x, const W* w,
    const float* rstd, int64 N, int C, int rows_per_block)
{
    DYNAMIC_SHARED(float, dw_warps); // (warps, C) when partials
    const int warps = (int)(blockDim.x >> 5), warp = (int)gkd_warp_id(), lane = (int)gkd_lane_id();
    float* acc = dw_warps + (int64)warp * C; // (C) this warp's dw sums
    if (partials)
        for (int j = lane; j < C; j += GKD_WARP_SIZE) acc[j] = 0.0f;
    const int64 first = (int64)blockIdx.x * rows_per_block;
    const int64 last = min(N, first + rows_per_block);
    for (int64 row = first + warp; row < last; row += warps) {
        const A* dyr = dy + row * C; // (C)
        const A* xr = x + row * C;   // (C)
        A* dxr = dx + row * C;       // (C)
        float dot = 0.0f;
        for (int j = lane; j < C; j += GKD_WARP_SIZE) dot = fmaf(rms_load(dyr + j) * rms_load(w + j), rms_load(xr + j), dot);
        dot = gkd_warp_sum(dot);
        const float r = rstd[row];
        const float k = r * r * r * dot / (float)C;
        for (int j = lane; j < C; j += GKD_WARP_SIZE) {
            const float g = rms_load(dyr + j), xv = rms_load(xr + j);
            rms_store(dxr + j, rms_load(dxr + j) + (rms_load(w + j) * g * r - xv * k));
            if (partials) acc[j] = fmaf(g * xv, r, acc[j]);
        }
    }
    if (!partials) return;
    __syncthreads();
    for (int j = (int)threadIdx.x; j < C; j += (int)blockDim.x) {
        float s = dw_warps[j];
        for (int v = 1; v < warps; ++v) s += dw_warps[(int64)v * C + j];
        partials[(int64)blockIdx.x * C + j] = s;
    }
}

// dw (C) += Σ_g partials (G, C)[g] (+=). Block (32, 8): threadIdx.x a column of the block's 32, threadIdx.y sums rows
// y, y + 8, … in order; the 8 slices are then added in order.
template <typename D>
__device__ __forceinline__ void rmsnorm_dw_reduce(D* dw, const float* partials, int G, int C)
{
    __shared__ float slices[8][32];
    GKD_ASSERT(blockDim.x == 32 && blockDim.y == 8);
    const int c = (int)(blockIdx.x * 32 + threadIdx.x);
    float s = 0.0f;
    if (c < C)
        for (int g = (int)threadIdx.y; g < G; g += 8) s += partials[(int64)g * C + c];
    slices[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y != 0 || c >= C) return;
    float total = slices[0][threadIdx.x];
    for (int y = 1; y < 8; ++y) total += slices[y][threadIdx.x];
    rms_store(dw + c, rms_load(dw + c) + total);
}

// ---- extern "C" entry points: rmsnorm_<op>_<activations>_<weight> ----------------------------------------------------

// y (N, C), rstd (N), x (N, C), w (C)
extern "C" __global__ void rmsnorm_forward_f32_f32(float* y, float* rstd, const float* x, const float* w, float eps,
    int64 N, int C, int per_warp)
{
    rmsnorm_forward(y, rstd, x, w, eps, N, C, per_warp);
}

extern "C" __global__ void rmsnorm_forward_f32_bf16(float* y, float* rstd, const float* x, const bf16* w, float eps,
    int64 N, int C, int per_warp)
{
    rmsnorm_forward(y, rstd, x, w, eps, N, C, per_warp);
}

extern "C" __global__ void rmsnorm_forward_bf16_f32(bf16* y, float* rstd, const bf16* x, const float* w, float eps,
    int64 N, int C, int per_warp)
{
    rmsnorm_forward(y, rstd, x, w, eps, N, C, per_warp);
}

extern "C" __global__ void rmsnorm_forward_bf16_bf16(bf16* y, float* rstd, const bf16* x, const bf16* w, float eps,
    int64 N, int C, int per_warp)
{
    rmsnorm_forward(y, rstd, x, w, eps, N, C, per_warp);
}

// dx (N, C), partials (G, C) or null, dy (N, C), x (N, C), w (C), rstd (N)
extern "C" __global__ void rmsnorm_backward_f32_f32(float* dx, float* partials, const float* dy, const float* x,
    const float* w, const float* rstd, int64 N, int C, int rows_per_block)
{
    rmsnorm_backward(dx, partials, dy, x, w, rstd, N, C, rows_per_block);
}

extern "C" __global__ void rmsnorm_backward_f32_bf16(float* dx, float* partials, const float* dy, const float* x,
    const bf16* w, const float* rstd, int64 N, int C, int rows_per_block)
{
    rmsnorm_backward(dx, partials, dy, x, w, rstd, N, C, rows_per_block);
}

extern "C" __global__ void rmsnorm_backward_bf16_f32(bf16* dx, float* partials, const bf16* dy, const bf16* x,
    const float* w, const float* rstd, int64 N, int C, int rows_per_block)
{
    rmsnorm_backward(dx, partials, dy, x, w, rstd, N, C, rows_per_block);
}

extern "C" __global__ void rmsnorm_backward_bf16_bf16(bf16* dx, float* partials, const bf16* dy, const bf16* x,
    const bf16* w, const float* rstd, int64 N, int C, int rows_per_block)
{
    rmsnorm_backward(dx, partials, dy, x, w, rstd, N, C, rows_per_block);
}

// dw (C) in its own dtype, partials (G, C)
extern "C" __global__ void rmsnorm_dw_reduce_f32(float* dw, const float* partials, int G, int C)
{
    rmsnorm_dw_reduce(dw, partials, G, C);
}

extern "C" __global__ void rmsnorm_dw_reduce_bf16(bf16* dw, const float* partials, int G, int C)
{
    rmsnorm_dw_reduce(dw, partials, G, C);
}
