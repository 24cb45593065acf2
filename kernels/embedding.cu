// embedding.cu — row gather y = table[ids] and its backward, the deterministic scatter-add dtable[ids] += dy.
// f32 math over f32 or bf16 storage; kernel names end in the dtypes of their tensors, output first. Every id must lie
// in [0, V): GKD_ASSERT traps otherwise (the emulation reports the failed condition; on the GPU the launch faults).
#include "common.cuh"

// ---- Forward: y (N, C) = table (V, C)[ids (N)] ----------------------------------------------------------------------
// Grid-stride over rows, one block per row at a time (launch: 128 threads, min(N, 4096) blocks); the block's threads
// copy the row in packs of 8 columns (16-byte accesses) when C is a multiple of 8 and both pointers are aligned,
// else one column each.

// dst (8) = src (8), converted; 16-byte accesses (dst and src aligned)
template <typename TY, typename TT>
__device__ __forceinline__ void emb_copy8(TY* dst, const TT* src)
{
    float v[8];
    gkd_load8(v, src);
    gkd_store8(dst, v);
}

// The same dtype moves raw, as whole 16-byte-aligned structs (CUDA's float4 / uint4 copy idiom, which NVRTC emits as
// 16-byte accesses; clang-14's PTX check lowers it as a memcpy in 8-byte pieces).
__device__ __forceinline__ void emb_copy8(float* dst, const float* src)
{
    reinterpret_cast<gkd_f32x4*>(dst)[0] = reinterpret_cast<const gkd_f32x4*>(src)[0];
    reinterpret_cast<gkd_f32x4*>(dst)[1] = reinterpret_cast<const gkd_f32x4*>(src)[1];
}

__device__ __forceinline__ void emb_copy8(bf16* dst, const bf16* src)
{
    *reinterpret_cast<gkd_bf16x8*>(dst) = *reinterpret_cast<const gkd_bf16x8*>(src);
}

template <typename TY, typename TT>
__device__ __forceinline__ void embedding_forward(TY* __restrict__ y, const int32* __restrict__ ids, const TT* __restrict__ table, int64 n, int32 cols, int64 vocab)
{
    bool packed = (cols & 7) == 0 && gkd_aligned16(y) && gkd_aligned16(table);
    int32 t = (int32)threadIdx.x, threads = (int32)blockDim.x;
    for (int64 r = blockIdx.x; r < n; r += gridDim.x) {
        int32 id = ids[r];
        GKD_ASSERT(id >= 0 && id < vocab);
        const TT* src = table + (int64)id * cols;
        TY* dst = y + r * cols;
        if (packed) {
            for (int32 c = t << 3; c < cols; c += threads << 3) emb_copy8(dst + c, src + c);
        } else {
            for (int32 c = t; c < cols; c += threads) gkd_store(dst + c, gkd_load(src + c));
        }
    }
}

// y (n, cols) = table (vocab, cols)[ids (n)]
extern "C" __global__ void embedding_fwd_f32_f32(float* y, const int32* ids, const float* table, int64 n, int32 cols, int64 vocab)
{
    embedding_forward(y, ids, table, n, cols, vocab);
}
extern "C" __global__ void embedding_fwd_f32_bf16(float* y, const int32* ids, const bf16* table, int64 n, int32 cols, int64 vocab)
{
    embedding_forward(y, ids, table, n, cols, vocab);
}
extern "C" __global__ void embedding_fwd_bf16_f32(bf16* y, const int32* ids, const float* table, int64 n, int32 cols, int64 vocab)
{
    embedding_forward(y, ids, table, n, cols, vocab);
}
extern "C" __global__ void embedding_fwd_bf16_bf16(bf16* y, const int32* ids, const bf16* table, int64 n, int32 cols, int64 vocab)
{
    embedding_forward(y, ids, table, n, cols, vocab);
}

// ---- Backward: dtable (V, C) += Σ dy[m] over the positions m with ids[m] = v, in ascending m ----------------------
// Sort-free and atomic-free. Grid-stride over positions, one block of 256 threads per position at a time (launch:
// min(N, 4096) blocks). Position pos owns its id's row when it is the id's first occurrence; the owner alone updates
// that row, so no two blocks write the same row. The block scans ids in tiles of 256 (one id per thread, one ballot
// per warp into shared memory) and walks the hits in ascending position: a hit before pos means pos is not the owner
// (the block moves on, never having read the row); otherwise each hit's dy row is added to the row's running f32
// value, which starts from dtable's value at the first hit (pos itself) — for f32 the same additions in the same order as the serial loop dtable[ids[m]] += dy[m], and for
// bf16 one rounding at the end. Each thread owns 8 columns of a 2048-column chunk: 8 consecutive ones moved with
// 16-byte accesses when C is a multiple of 8 and both pointers are aligned, else every 256th. Cost: O(N²/256) id
// reads per launch besides the dy and dtable rows, small beside the GEMMs around it for the N of one step.

#define EMB_BWD_THREADS 256
#define EMB_BWD_CHUNK (EMB_BWD_THREADS * 8)

// The index of x's lowest set bit (x ≠ 0).
__device__ __forceinline__ int32 emb_lowest_bit(uint32 x)
{
    int32 b = 0;
    if ((x & 0xffffu) == 0u) { b += 16; x >>= 16; }
    if ((x & 0xffu) == 0u) { b += 8; x >>= 8; }
    if ((x & 0xfu) == 0u) { b += 4; x >>= 4; }
    if ((x & 0x3u) == 0u) { b += 2; x >>= 2; }
    if ((x & 0x1u) == 0u) b += 1;
    return b;
}

// acc (8) = (assign) or += row's 8 columns of this thread in the chunk at c0 (columns past cols are left alone).
template <typename T>
__device__ __forceinline__ void emb_gather_columns(float (&acc)[8], const T* row, int32 c0, int32 cols, bool packed, bool assign)
{
    int32 t = (int32)threadIdx.x;
    if (packed) {
        int32 c = c0 + (t << 3);
        if (c >= cols) return;
        float v[8];
        gkd_load8(v, row + c);
#pragma unroll
        for (int k = 0; k < 8; ++k) acc[k] = assign ? v[k] : acc[k] + v[k];
        return;
    }
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int32 c = c0 + t + k * EMB_BWD_THREADS;
        if (c < cols) acc[k] = assign ? gkd_load(row + c) : acc[k] + gkd_load(row + c);
    }
}

// row's 8 columns of this thread in the chunk at c0 = acc (8)
template <typename T>
__device__ __forceinline__ void emb_store_columns(T* row, const float (&acc)[8], int32 c0, int32 cols, bool packed)
{
    int32 t = (int32)threadIdx.x;
    if (packed) {
        int32 c = c0 + (t << 3);
        if (c < cols) gkd_store8(row + c, acc);
        return;
    }
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int32 c = c0 + t + k * EMB_BWD_THREADS;
        if (c < cols) gkd_store(row + c, acc[k]);
    }
}

template <typename TD, typename TY>
__device__ __forceinline__ void embedding_backward(TD* __restrict__ dtable, const TY* __restrict__ dy, const int32* __restrict__ ids, int64 n, int32 cols, int64 vocab)
{
    __shared__ uint32 hits[EMB_BWD_THREADS / 32]; // (warps) ballot of ids[m] = id over the current tile
    GKD_ASSERT(blockDim.x == EMB_BWD_THREADS);
    bool packed = (cols & 7) == 0 && gkd_aligned16(dtable) && gkd_aligned16(dy);
    for (int64 pos = blockIdx.x; pos < n; pos += gridDim.x) {
        int32 id = ids[pos];
        GKD_ASSERT(id >= 0 && id < vocab);
        TD* row = dtable + (int64)id * cols;
        bool owner = true; // the same in every thread: decided from shared memory only
        for (int32 c0 = 0; c0 < cols && owner; c0 += EMB_BWD_CHUNK) {
            float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            for (int64 m0 = 0; m0 < n && owner; m0 += EMB_BWD_THREADS) {
                int64 m = m0 + threadIdx.x;
                uint32 ballot = __ballot_sync(0xffffffffu, m < n && ids[m] == id);
                if (gkd_lane_id() == 0u) hits[gkd_warp_id()] = ballot;
                __syncthreads();
                for (int32 w = 0; w < EMB_BWD_THREADS / 32 && owner; ++w) {
                    for (uint32 bits = hits[w]; bits != 0u; bits &= bits - 1u) {
                        int64 hit = m0 + 32 * w + emb_lowest_bit(bits);
                        if (hit < pos) {
                            owner = false;
                            break;
                        }
                        if (hit == pos) emb_gather_columns(acc, row, c0, cols, packed, true); // the first hit
                        emb_gather_columns(acc, dy + hit * cols, c0, cols, packed, false);
                    }
                }
                __syncthreads(); // every thread has read hits before the next tile's ballot overwrites it
            }
            if (owner) emb_store_columns(row, acc, c0, cols, packed);
        }
    }
}

// dtable (vocab, cols) += scatter of dy (n, cols) by ids (n)
extern "C" __global__ void embedding_bwd_f32_f32(float* dtable, const float* dy, const int32* ids, int64 n, int32 cols, int64 vocab)
{
    embedding_backward(dtable, dy, ids, n, cols, vocab);
}
extern "C" __global__ void embedding_bwd_f32_bf16(float* dtable, const bf16* dy, const int32* ids, int64 n, int32 cols, int64 vocab)
{
    embedding_backward(dtable, dy, ids, n, cols, vocab);
}
extern "C" __global__ void embedding_bwd_bf16_f32(bf16* dtable, const float* dy, const int32* ids, int64 n, int32 cols, int64 vocab)
{
    embedding_backward(dtable, dy, ids, n, cols, vocab);
}
extern "C" __global__ void embedding_bwd_bf16_bf16(bf16* dtable, const bf16* dy, const int32* ids, int64 n, int32 cols, int64 vocab)
{
    embedding_backward(dtable, dy, ids, n, cols, vocab);
}
