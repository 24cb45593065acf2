// elementwise.cu — fill, residual add, axpy, scale, bias add with its backward, and the sum of squares (grad norm):
// memory-bound loops in f32 math over f32 or bf16 storage. Kernel names end in the dtypes of their tensors, outputs
// first (axpy_f32_bf16: y f32, x bf16).
//
// Element-wise kernels run grid-stride over packs of 8 consecutive elements, moving each pack with 16-byte accesses
// (gkd_load8 / gkd_store8) when every pointer is 16-byte aligned; the n mod 8 tail, or everything when a pointer is
// not aligned, goes one element per thread. Launch: 256 threads per block, ceil(ceil(n / 8) / 256) blocks, at most
// 4096 (PackedGrid). Reductions (bias backward, sum of squares) are deterministic: fixed partitions chosen from the
// sizes alone, per-partition partials summed in a fixed order, no float atomics.
#include "common.cuh"

// ---- Fill -----------------------------------------------------------------------------------------------------------

struct alignas(16) ew_u32x4
{
    uint32 v[4];
};

// dst (n) 32-bit elements (f32, i32) = bits
extern "C" __global__ void fill_b32(uint32* dst, uint32 bits, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(dst) ? n >> 2 : 0;
    ew_u32x4 pack = {{bits, bits, bits, bits}};
    for (int64 p = start; p < packs; p += stride) reinterpret_cast<ew_u32x4*>(dst)[p] = pack;
    for (int64 i = (packs << 2) + start; i < n; i += stride) dst[i] = bits;
}

// dst (n) 16-bit elements (bf16, f16) = the low 16 bits of bits
extern "C" __global__ void fill_b16(uint16* dst, uint32 bits, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(dst) ? n >> 3 : 0;
    uint32 pair = (bits & 0xffffu) * 0x10001u;
    gkd_bf16x8 pack = {{pair, pair, pair, pair}};
    for (int64 p = start; p < packs; p += stride) reinterpret_cast<gkd_bf16x8*>(dst)[p] = pack;
    for (int64 i = (packs << 3) + start; i < n; i += stride) dst[i] = (uint16)bits;
}

// ---- Residual add: y = a + b (y may alias a or b; its backward is two axpys) -------------------------------------

template <typename T>
__device__ __forceinline__ void ew_add(T* y, const T* a, const T* b, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(y) && gkd_aligned16(a) && gkd_aligned16(b) ? n >> 3 : 0;
    for (int64 p = start; p < packs; p += stride) {
        float va[8], vb[8];
        gkd_load8(va, a + (p << 3));
        gkd_load8(vb, b + (p << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) va[k] += vb[k];
        gkd_store8(y + (p << 3), va);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) gkd_store(y + i, gkd_load(a + i) + gkd_load(b + i));
}

// y (n) = a (n) + b (n)
extern "C" __global__ void add_f32(float* y, const float* a, const float* b, int64 n) { ew_add(y, a, b, n); }
extern "C" __global__ void add_bf16(bf16* y, const bf16* a, const bf16* b, int64 n) { ew_add(y, a, b, n); }

// ---- Axpy: y += alpha · x, one rounding per element (fused multiply-add) -----------------------------------------

template <typename TY, typename TX>
__device__ __forceinline__ void ew_axpy(TY* y, const TX* x, float alpha, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(y) && gkd_aligned16(x) ? n >> 3 : 0;
    for (int64 p = start; p < packs; p += stride) {
        float vy[8], vx[8];
        gkd_load8(vy, y + (p << 3));
        gkd_load8(vx, x + (p << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) vy[k] = fmaf(alpha, vx[k], vy[k]);
        gkd_store8(y + (p << 3), vy);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) gkd_store(y + i, fmaf(alpha, gkd_load(x + i), gkd_load(y + i)));
}

// y (n) += alpha · x (n)
extern "C" __global__ void axpy_f32_f32(float* y, const float* x, float alpha, int64 n) { ew_axpy(y, x, alpha, n); }
extern "C" __global__ void axpy_f32_bf16(float* y, const bf16* x, float alpha, int64 n) { ew_axpy(y, x, alpha, n); }
extern "C" __global__ void axpy_bf16_f32(bf16* y, const float* x, float alpha, int64 n) { ew_axpy(y, x, alpha, n); }
extern "C" __global__ void axpy_bf16_bf16(bf16* y, const bf16* x, float alpha, int64 n) { ew_axpy(y, x, alpha, n); }

// ---- Scale: y *= alpha -----------------------------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ void ew_scale(T* y, float alpha, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(y) ? n >> 3 : 0;
    for (int64 p = start; p < packs; p += stride) {
        float v[8];
        gkd_load8(v, y + (p << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] *= alpha;
        gkd_store8(y + (p << 3), v);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) gkd_store(y + i, gkd_load(y + i) * alpha);
}

// y (n) *= alpha
extern "C" __global__ void scale_f32(float* y, float alpha, int64 n) { ew_scale(y, alpha, n); }
extern "C" __global__ void scale_bf16(bf16* y, float alpha, int64 n) { ew_scale(y, alpha, n); }

// ---- Bias: y (N, C) += bias (C) ------------------------------------------------------------------------------------
// Grid-stride over the rows·width units of y — packs of 8 columns when C is a multiple of 8 and both pointers are
// aligned, else single elements — with each thread's (row, unit) advanced by the fixed stride instead of divided
// out per step.

template <typename TY, typename TB>
__device__ __forceinline__ void ew_add_bias(TY* y, const TB* bias, int64 rows, int32 cols)
{
    bool packed = (cols & 7) == 0 && gkd_aligned16(y) && gkd_aligned16(bias);
    int32 width = packed ? cols >> 3 : cols; // units per row
    int64 units = rows * width, stride = gkd_grid_stride(), u = gkd_grid_index();
    if (u >= units) return;
    int64 row = u / width, strideRows = stride / width;
    int32 unit = (int32)(u - row * width), strideUnits = (int32)(stride - strideRows * width);
    for (; u < units; u += stride) {
        if (packed) {
            float vy[8], vb[8];
            TY* py = y + row * cols + ((int64)unit << 3);
            gkd_load8(vy, py);
            gkd_load8(vb, bias + ((int64)unit << 3));
#pragma unroll
            for (int k = 0; k < 8; ++k) vy[k] += vb[k];
            gkd_store8(py, vy);
        } else {
            TY* py = y + row * cols + unit;
            gkd_store(py, gkd_load(py) + gkd_load(bias + unit));
        }
        row += strideRows;
        unit += strideUnits;
        if (unit >= width) {
            unit -= width;
            ++row;
        }
    }
}

// y (rows, cols) += bias (cols)
extern "C" __global__ void add_bias_f32_f32(float* y, const float* bias, int64 rows, int32 cols) { ew_add_bias(y, bias, rows, cols); }
extern "C" __global__ void add_bias_f32_bf16(float* y, const bf16* bias, int64 rows, int32 cols) { ew_add_bias(y, bias, rows, cols); }
extern "C" __global__ void add_bias_bf16_f32(bf16* y, const float* bias, int64 rows, int32 cols) { ew_add_bias(y, bias, rows, cols); }
extern "C" __global__ void add_bias_bf16_bf16(bf16* y, const bf16* bias, int64 rows, int32 cols) { ew_add_bias(y, bias, rows, cols); }

// ---- Bias backward: dbias (C) += Σₙ dy (N, C), in two deterministic stages --------------------------------------
// Stage 1, grid (ceil(C / 256), chunks), 256 threads: block (x, y) sums rows [y·rowsPerChunk, (y+1)·rowsPerChunk)
// of its 256 columns in row order into partial (chunks, C) — one thread per column, so each row is read coalesced.
// Stage 2, grid-stride over C: dbias[c] += the chunks' partials of column c, in chunk order.

template <typename T>
__device__ __forceinline__ void ew_bias_grad_partial(float* partial, const T* dy, int64 rows, int32 cols, int64 rowsPerChunk)
{
    int32 c = (int32)(blockIdx.x * blockDim.x + threadIdx.x);
    if (c >= cols) return;
    int64 first = (int64)blockIdx.y * rowsPerChunk;
    int64 last = min(first + rowsPerChunk, rows);
    float acc = 0.0f;
    for (int64 r = first; r < last; ++r) acc += gkd_load(dy + r * cols + c);
    partial[(int64)blockIdx.y * cols + c] = acc;
}

// partial (gridDim.y, cols) = per-chunk column sums of dy (rows, cols)
extern "C" __global__ void bias_grad_partial_f32(float* partial, const float* dy, int64 rows, int32 cols, int64 rowsPerChunk)
{
    ew_bias_grad_partial(partial, dy, rows, cols, rowsPerChunk);
}
extern "C" __global__ void bias_grad_partial_bf16(float* partial, const bf16* dy, int64 rows, int32 cols, int64 rowsPerChunk)
{
    ew_bias_grad_partial(partial, dy, rows, cols, rowsPerChunk);
}

template <typename T>
__device__ __forceinline__ void ew_bias_grad_finish(T* dbias, const float* partial, int32 chunks, int32 cols)
{
    for (int64 c = gkd_grid_index(); c < cols; c += gkd_grid_stride()) {
        float acc = 0.0f;
        for (int32 k = 0; k < chunks; ++k) acc += partial[(int64)k * cols + c];
        gkd_store(dbias + c, gkd_load(dbias + c) + acc);
    }
}

// dbias (cols) += Σ_k partial (chunks, cols)[k]
extern "C" __global__ void bias_grad_finish_f32(float* dbias, const float* partial, int32 chunks, int32 cols)
{
    ew_bias_grad_finish(dbias, partial, chunks, cols);
}
extern "C" __global__ void bias_grad_finish_bf16(bf16* dbias, const float* partial, int32 chunks, int32 cols)
{
    ew_bias_grad_finish(dbias, partial, chunks, cols);
}

// ---- Sum of squares: result (1) = or += Σ x², in two deterministic stages ------------------------------------------
// Stage 1, the element-wise grid: each thread sums its packs' squares in f32 (fused multiply-add), each block its
// threads' sums (gkd_block_sum) into partial[blockIdx.x]. Stage 2, one block of 256 threads: thread t sums partials
// t, t + 256, … in order, then the block sum.

template <typename T>
__device__ __forceinline__ void ew_sum_squares_partial(float* partial, const T* x, int64 n)
{
    int64 start = gkd_grid_index(), stride = gkd_grid_stride();
    int64 packs = gkd_aligned16(x) ? n >> 3 : 0;
    float acc = 0.0f;
    for (int64 p = start; p < packs; p += stride) {
        float v[8];
        gkd_load8(v, x + (p << 3));
#pragma unroll
        for (int k = 0; k < 8; ++k) acc = fmaf(v[k], v[k], acc);
    }
    for (int64 i = (packs << 3) + start; i < n; i += stride) {
        float v = gkd_load(x + i);
        acc = fmaf(v, v, acc);
    }
    acc = gkd_block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// partial (gridDim.x) = per-block Σ x (n)²
extern "C" __global__ void sum_squares_partial_f32(float* partial, const float* x, int64 n) { ew_sum_squares_partial(partial, x, n); }
extern "C" __global__ void sum_squares_partial_bf16(float* partial, const bf16* x, int64 n) { ew_sum_squares_partial(partial, x, n); }

// result (1) = (accumulate ? result : 0) + Σ partial (count); one block
extern "C" __global__ void sum_squares_finish(float* result, const float* partial, int32 count, int32 accumulate)
{
    float acc = 0.0f;
    for (int32 k = (int32)threadIdx.x; k < count; k += (int32)blockDim.x) acc += partial[k];
    acc = gkd_block_sum(acc);
    if (threadIdx.x == 0) result[0] = (accumulate ? result[0] : 0.0f) + acc;
}
