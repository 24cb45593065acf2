// Causal grouped-query attention with left padding — forward and backward (flash-attention style, f32 math), the decode
// step over the KV cache, and the cache write: the kernels behind CudaBackend.AttentionForward, AttentionBackward,
// AttentionDecode and KvCacheWrite (CPU reference: src/Gkd.Native.Cpu/Attention.cs).
//
// Layouts: q, o, dout, dq (B, T, NH, HS); k, v, dk, dv (B, T, NKV, HS); lse, delta (B, NH, T) f32; start (B) i32, each
// row's first real position; caches (B, NKV, Tmax, HS). Query head h reads kv head h / (NH / NKV). Query t of row b
// attends keys start_b ≤ s ≤ t with softmax(q·k · scale); pad queries (t < start_b) get o = 0, lse = 0 and pass no
// gradient; a start outside [0, T] fails the launch (GKD_ASSERT). Activations are f32 or bf16 (A; one extern "C"
// wrapper per dtype), all math is f32. No float atomics: every output element has one owner, summing in a fixed order,
// so results are bit-identical run to run.
//
// The three tiled kernels share one shape. 128 threads (4 warps); a block owns a tile of BR rows (queries, or keys in
// the dk/dv kernel; BR ∈ {4, 8, 16, 32}, chosen by the launcher from HS and the shared-memory budget) and streams the
// other side in tiles of 32, one per lane. Tiles sit in dynamic shared memory as f32, each row zero-padded to HS4 (HS
// rounded up to 4) columns:
//   dots      warp w takes rows [w·BR/4, (w+1)·BR/4) (register-blocked, ≤ 8), lane j streamed element j: row tiles are
//             read by broadcast (row stride HS4); lane tiles with row stride HSP = HS4, or HS4 + 4 when HS4/4 is even,
//             so that the 128-bit reads of 8 consecutive lanes fall in distinct banks;
//   products  the BR × HS4 accumulator is cut into 4×4 cells, thread t owning cells t and t + 128 (BR · HS4 ≤ 4096),
//             each summing over the ≤ 32 streamed elements with two 128-bit reads per 16 FMAs.
#include "common.cuh"

#define ATT_THREADS 128
#define ATT_WARPS 4
#define ATT_TILE 32              // streamed elements per tile: one per lane
#define ATT_MAX_ROWS 8           // rows per warp: BR ≤ 32
#define ATT_MAX_CELLS 2          // 4×4 accumulator cells per thread: BR · HS4 ≤ 4096

#define DEC_WARPS 4              // decode: a 32-key chunk per warp
#define DEC_SPLIT 128            // decode: keys per block (DEC_WARPS chunks)
#define DEC_MAX_HEADS 8          // decode: query heads per block, all of one kv head
#define DEC_COLS 64              // decode: key columns staged per pass
#define DEC_KSTRIDE 68           // decode: row stride of a staged key chunk (68/4 odd: conflict-free 128-bit reads)

struct __align__(16) att_f4
{
    float x, y, z, w;
};

__device__ __forceinline__ float att_load(const float* p) { return *p; }
__device__ __forceinline__ float att_load(const bf16* p) { return gkd_bf16_to_f32(*p); }
__device__ __forceinline__ void att_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void att_store(bf16* p, float v) { *p = gkd_f32_to_bf16(v); }

// Four floats of a shared tile at p (16-byte aligned: every tile offset and row stride is a multiple of 4 floats).
__device__ __forceinline__ att_f4 att_at(const float* p) { return *reinterpret_cast<const att_f4*>(p); }

__device__ __forceinline__ int att_hs4(int hs) { return (hs + 3) & ~3; }
__device__ __forceinline__ int att_hsp(int hs) { return (att_hs4(hs) >> 2) & 1 ? att_hs4(hs) : att_hs4(hs) + 4; }

// The tile contract between the launcher and the tiled kernels: 128 threads, BR a multiple of 4 up to 32, and at most
// two 4×4 cells per thread (BR · HS4 ≤ 4096).
__device__ __forceinline__ void att_check_tiles(int BR, int hs4)
{
    GKD_ASSERT(blockDim.x == ATT_THREADS && BR > 0 && BR % ATT_WARPS == 0 && BR <= ATT_WARPS * ATT_MAX_ROWS &&
               BR * hs4 <= 16 * ATT_MAX_CELLS * ATT_THREADS);
}

// dst (rows, stride) f32 = times [t0, t0 + rows) of one head whose time t starts at src + t · row_stride; columns ≥ hs
// and times outside [lo, hi) are zero. Every thread of the block takes part.
template <typename A>
__device__ __forceinline__ void att_stage(float* dst, int rows, int stride, const A* src, int64 row_stride, int t0,
    int lo, int hi, int hs)
{
    for (int e = (int)threadIdx.x; e < rows * stride; e += (int)blockDim.x) {
        const int r = e / stride, c = e - r * stride, t = t0 + r;
        dst[e] = c < hs && t >= lo && t < hi ? att_load(src + (int64)t * row_stride + c) : 0.0f;
    }
}

// s[r] = Σ_c rows[(row0 + r) · hs4 + c] · lane_row[c] for r < nrows: the warp's rows (broadcast) against this lane's row.
__device__ __forceinline__ void att_dots(float* s, const float* rows, int row0, int nrows, const float* lane_row, int hs4)
{
#pragma unroll
    for (int r = 0; r < ATT_MAX_ROWS; ++r) s[r] = 0.0f;
    for (int c = 0; c < hs4; c += 4) {
        const att_f4 b = att_at(lane_row + c);
#pragma unroll
        for (int r = 0; r < ATT_MAX_ROWS; ++r) {
            if (r < nrows) {
                const att_f4 a = att_at(rows + (row0 + r) * hs4 + c);
                s[r] = fmaf(a.x, b.x, s[r]);
                s[r] = fmaf(a.y, b.y, s[r]);
                s[r] = fmaf(a.z, b.z, s[r]);
                s[r] = fmaf(a.w, b.w, s[r]);
            }
        }
    }
}

// acc (4 rows × 4 cols) += Σ_{j < n} w[j · w_stride …+3] ⊗ x[j · x_stride …+3]: one cell's sum over streamed elements.
__device__ __forceinline__ void att_cell(float* acc, const float* w, int w_stride, const float* x, int x_stride, int n)
{
    for (int j = 0; j < n; ++j) {
        const att_f4 a = att_at(w + j * w_stride), b = att_at(x + j * x_stride);
        const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
        for (int r = 0; r < 4; ++r) {
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[r * 4 + c] = fmaf(av[r], bv[c], acc[r * 4 + c]);
        }
    }
}

// ---- Forward -------------------------------------------------------------------------------------------------------

// o (B, T, NH, HS) and lse (B, NH, T) of query tile blockIdx.x (BR queries from blockIdx.x · BR), head blockIdx.y, row
// blockIdx.z: online softmax over key tiles of 32 from start_b. Dynamic shared memory (floats): queries (BR, HS4), keys
// (32, HSP), values (32, HS4), probabilities transposed (32, BR + 4), rescale factors (BR), denominators (BR).
template <typename A>
__device__ __forceinline__ void attention_forward(A* o, float* lse, const A* q, const A* k, const A* v, const int* start,
    int T, int NH, int NKV, int HS, float scale, int BR)
{
    DYNAMIC_SHARED(float, smem);
    const int hs4 = att_hs4(HS), hsp = att_hsp(HS), brp = BR + 4, rows = BR / ATT_WARPS;
    att_check_tiles(BR, hs4);
    float* qs = smem;                    // (BR, HS4)
    float* ks = qs + BR * hs4;           // (32, HSP)
    float* vs = ks + ATT_TILE * hsp;     // (32, HS4)
    float* pt = vs + ATT_TILE * hs4;     // (32, BR + 4): pt[j][i] = p of query i, key j
    float* alpha_s = pt + ATT_TILE * brp; // (BR)
    float* l_s = alpha_s + BR;           // (BR)

    const int b = (int)blockIdx.z, h = (int)blockIdx.y, q0 = (int)blockIdx.x * BR;
    const int g = h / (NH / NKV), st = start[b];
    GKD_ASSERT(st >= 0 && st <= T);
    const int warp = (int)gkd_warp_id(), lane = (int)gkd_lane_id(), row0 = warp * rows;
    const int64 q_stride = (int64)NH * HS, k_stride = (int64)NKV * HS;
    const A* qh = q + (int64)b * T * q_stride + (int64)h * HS; // time t at qh + t · q_stride
    const A* kh = k + (int64)b * T * k_stride + (int64)g * HS;
    const A* vh = v + (int64)b * T * k_stride + (int64)g * HS;
    att_stage(qs, BR, hs4, qh, q_stride, q0, st, T, HS);

    float m[ATT_MAX_ROWS], l[ATT_MAX_ROWS], s[ATT_MAX_ROWS];
    float acc[ATT_MAX_CELLS][16];
#pragma unroll
    for (int r = 0; r < ATT_MAX_ROWS; ++r) {
        m[r] = -GKD_INFINITY;
        l[r] = 0.0f;
    }
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
#pragma unroll
        for (int e = 0; e < 16; ++e) acc[kk][e] = 0.0f;
    }
    const int quads = hs4 >> 2, cells = (BR >> 2) * quads;
    const int kend = min(T, q0 + BR);
    for (int k0 = st; k0 < kend; k0 += ATT_TILE) {
        __syncthreads(); // the previous tile's readers are done
        att_stage(ks, ATT_TILE, hsp, kh, k_stride, k0, st, kend, HS);
        att_stage(vs, ATT_TILE, hs4, vh, k_stride, k0, st, kend, HS);
        __syncthreads();
        att_dots(s, qs, row0, rows, ks + lane * hsp, hs4);
        const int key = k0 + lane;
#pragma unroll
        for (int r = 0; r < ATT_MAX_ROWS; ++r) {
            if (r < rows) {
                const int t = q0 + row0 + r;
                const bool real = t >= st && t < T; // uniform over the warp
                const float sv = real && key <= t ? s[r] * scale : -GKD_INFINITY;
                const float m_new = fmaxf(m[r], gkd_warp_max(sv)); // finite for real rows: key st ≤ t is in the first tile
                const float p = real ? expf(sv - m_new) : 0.0f;
                const float alpha = real ? expf(m[r] - m_new) : 1.0f;
                l[r] = l[r] * alpha + gkd_warp_sum(p);
                m[r] = m_new;
                pt[lane * brp + row0 + r] = p;
                if (lane == 0) alpha_s[row0 + r] = alpha;
            }
        }
        __syncthreads();
        const int nk = min(ATT_TILE, kend - k0);
#pragma unroll
        for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
            const int id = (int)threadIdx.x + kk * ATT_THREADS;
            if (id < cells) {
                const int rq = id / quads, cq = id - rq * quads;
#pragma unroll
                for (int e = 0; e < 16; ++e) acc[kk][e] *= alpha_s[4 * rq + (e >> 2)];
                att_cell(acc[kk], pt + 4 * rq, brp, vs + 4 * cq, hs4, nk);
            }
        }
    }
#pragma unroll
    for (int r = 0; r < ATT_MAX_ROWS; ++r) {
        const int t = q0 + row0 + r;
        if (r < rows && lane == 0) {
            l_s[row0 + r] = l[r];
            if (t < T) lse[((int64)b * NH + h) * T + t] = t >= st ? m[r] + logf(l[r]) : 0.0f;
        }
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
        const int id = (int)threadIdx.x + kk * ATT_THREADS;
        if (id < cells) {
            const int rq = id / quads, cq = id - rq * quads;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int t = q0 + 4 * rq + i;
                A* oi = o + ((int64)b * T + t) * q_stride + (int64)h * HS; // (HS)
#pragma unroll
                for (int c = 0; c < 4; ++c)
                    if (t < T && 4 * cq + c < HS)
                        att_store(oi + 4 * cq + c, t >= st ? acc[kk][i * 4 + c] / l_s[4 * rq + i] : 0.0f);
            }
        }
    }
}

// ---- Backward ------------------------------------------------------------------------------------------------------

// delta (B, NH, T) = Σ_c dout·o per query (=): warp w of block n takes row 4n + w of the (B·T·NH, HS) view.
template <typename A>
__device__ __forceinline__ void attention_delta(float* delta, const A* dout, const A* o, int T, int NH, int HS, int64 rows)
{
    const int64 row = (int64)blockIdx.x * ATT_WARPS + gkd_warp_id();
    if (row >= rows) return; // the whole warp
    const int lane = (int)gkd_lane_id();
    float s = 0.0f;
    for (int c = lane; c < HS; c += GKD_WARP_SIZE) s = fmaf(att_load(dout + row * HS + c), att_load(o + row * HS + c), s);
    s = gkd_warp_sum(s);
    if (lane != 0) return;
    const int h = (int)(row % NH);
    const int64 bt = row / NH;
    const int t = (int)(bt % T), b = (int)(bt / T);
    delta[((int64)b * NH + h) * T + t] = s;
}

// dq (B, T, NH, HS) += scale · Σ_j ds_ij k_j with ds_ij = p_ij (dout_i · v_j − delta_i), p_ij = e^(scale·q_i·k_j − lse_i),
// for query tile blockIdx.x (BR queries), head blockIdx.y, row blockIdx.z (+=). Dynamic shared memory (floats): queries
// and output gradients (BR, HS4) each, keys and values (32, HSP) each, ds transposed (32, BR + 4), lse and delta (BR)
// each.
template <typename A>
__device__ __forceinline__ void attention_backward_dq(A* dq, const A* dout, const A* q, const A* k, const A* v,
    const float* lse, const float* delta, const int* start, int T, int NH, int NKV, int HS, float scale, int BR)
{
    DYNAMIC_SHARED(float, smem);
    const int hs4 = att_hs4(HS), hsp = att_hsp(HS), brp = BR + 4, rows = BR / ATT_WARPS;
    att_check_tiles(BR, hs4);
    float* qs = smem;                    // (BR, HS4)
    float* dos = qs + BR * hs4;          // (BR, HS4)
    float* ks = dos + BR * hs4;          // (32, HSP)
    float* vs = ks + ATT_TILE * hsp;     // (32, HSP)
    float* dst = vs + ATT_TILE * hsp;    // (32, BR + 4): dst[j][i] = ds of query i, key j
    float* lse_s = dst + ATT_TILE * brp; // (BR)
    float* delta_s = lse_s + BR;         // (BR)

    const int b = (int)blockIdx.z, h = (int)blockIdx.y, q0 = (int)blockIdx.x * BR;
    const int g = h / (NH / NKV), st = start[b];
    GKD_ASSERT(st >= 0 && st <= T);
    if (q0 + BR <= st) return; // only pad queries: no gradient
    const int warp = (int)gkd_warp_id(), lane = (int)gkd_lane_id(), row0 = warp * rows;
    const int64 q_stride = (int64)NH * HS, k_stride = (int64)NKV * HS;
    const int64 head = (int64)b * T * q_stride + (int64)h * HS, kv_head = (int64)b * T * k_stride + (int64)g * HS;
    const float* lse_h = lse + ((int64)b * NH + h) * T;     // (T)
    const float* delta_h = delta + ((int64)b * NH + h) * T; // (T)
    att_stage(qs, BR, hs4, q + head, q_stride, q0, st, T, HS);
    att_stage(dos, BR, hs4, dout + head, q_stride, q0, st, T, HS);
    for (int e = (int)threadIdx.x; e < BR; e += (int)blockDim.x) {
        const int t = q0 + e;
        const bool real = t >= st && t < T;
        lse_s[e] = real ? lse_h[t] : 0.0f;
        delta_s[e] = real ? delta_h[t] : 0.0f;
    }

    float s[ATT_MAX_ROWS], dp[ATT_MAX_ROWS];
    float acc[ATT_MAX_CELLS][16];
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
#pragma unroll
        for (int e = 0; e < 16; ++e) acc[kk][e] = 0.0f;
    }
    const int quads = hs4 >> 2, cells = (BR >> 2) * quads;
    const int kend = min(T, q0 + BR);
    for (int k0 = st; k0 < kend; k0 += ATT_TILE) {
        __syncthreads(); // the previous tile's readers are done
        att_stage(ks, ATT_TILE, hsp, k + kv_head, k_stride, k0, st, kend, HS);
        att_stage(vs, ATT_TILE, hsp, v + kv_head, k_stride, k0, st, kend, HS);
        __syncthreads();
        att_dots(s, qs, row0, rows, ks + lane * hsp, hs4);
        att_dots(dp, dos, row0, rows, vs + lane * hsp, hs4);
        const int key = k0 + lane;
#pragma unroll
        for (int r = 0; r < ATT_MAX_ROWS; ++r) {
            if (r < rows) {
                const int i = row0 + r, t = q0 + i;
                const float p = t >= st && t < T && key <= t ? expf(s[r] * scale - lse_s[i]) : 0.0f;
                dst[lane * brp + i] = p * (dp[r] - delta_s[i]);
            }
        }
        __syncthreads();
        const int nk = min(ATT_TILE, kend - k0);
#pragma unroll
        for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
            const int id = (int)threadIdx.x + kk * ATT_THREADS;
            if (id < cells) {
                const int rq = id / quads, cq = id - rq * quads;
                att_cell(acc[kk], dst + 4 * rq, brp, ks + 4 * cq, hsp, nk);
            }
        }
    }
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
        const int id = (int)threadIdx.x + kk * ATT_THREADS;
        if (id < cells) {
            const int rq = id / quads, cq = id - rq * quads;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int t = q0 + 4 * rq + i;
                A* dqi = dq + head + (int64)t * q_stride; // (HS)
#pragma unroll
                for (int c = 0; c < 4; ++c)
                    if (t >= st && t < T && 4 * cq + c < HS)
                        att_store(dqi + 4 * cq + c, fmaf(scale, acc[kk][i * 4 + c], att_load(dqi + 4 * cq + c)));
            }
        }
    }
}

// dk, dv (B, T, NKV, HS) += the gradients of key tile blockIdx.x (BR keys from start_b + blockIdx.x · BR), kv head
// blockIdx.y, row blockIdx.z (+=): over the group's query heads in ascending order and the query tiles of 32 from the
// tile's first key on, dv_j += Σ_i p_ij dout_i and dk_j += scale · Σ_i ds_ij q_i. Dynamic shared memory (floats): keys
// and values (BR, HS4) each, queries and output gradients (32, HSP) each, p and ds (32, BR + 4) each, lse and delta
// (32) each.
template <typename A>
__device__ __forceinline__ void attention_backward_dkdv(A* dk, A* dv, const A* dout, const A* q, const A* k, const A* v,
    const float* lse, const float* delta, const int* start, int T, int NH, int NKV, int HS, float scale, int BR)
{
    DYNAMIC_SHARED(float, smem);
    const int hs4 = att_hs4(HS), hsp = att_hsp(HS), brp = BR + 4, rows = BR / ATT_WARPS;
    att_check_tiles(BR, hs4);
    float* ks = smem;                    // (BR, HS4)
    float* vs = ks + BR * hs4;           // (BR, HS4)
    float* qs = vs + BR * hs4;           // (32, HSP)
    float* dos = qs + ATT_TILE * hsp;    // (32, HSP)
    float* ps = dos + ATT_TILE * hsp;    // (32, BR + 4): ps[i][j] = p of query i, key j
    float* dss = ps + ATT_TILE * brp;    // (32, BR + 4): ds likewise
    float* lse_s = dss + ATT_TILE * brp; // (32)
    float* delta_s = lse_s + ATT_TILE;   // (32)

    const int b = (int)blockIdx.z, g = (int)blockIdx.y, st = start[b];
    GKD_ASSERT(st >= 0 && st <= T);
    const int k0 = st + (int)blockIdx.x * BR;
    if (k0 >= T) return;
    const int group = NH / NKV;
    const int warp = (int)gkd_warp_id(), lane = (int)gkd_lane_id(), row0 = warp * rows;
    const int64 q_stride = (int64)NH * HS, k_stride = (int64)NKV * HS;
    const int64 kv_head = (int64)b * T * k_stride + (int64)g * HS;
    att_stage(ks, BR, hs4, k + kv_head, k_stride, k0, st, T, HS);
    att_stage(vs, BR, hs4, v + kv_head, k_stride, k0, st, T, HS);

    float s[ATT_MAX_ROWS], dp[ATT_MAX_ROWS];
    float dk_acc[ATT_MAX_CELLS][16], dv_acc[ATT_MAX_CELLS][16];
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
#pragma unroll
        for (int e = 0; e < 16; ++e) {
            dk_acc[kk][e] = 0.0f;
            dv_acc[kk][e] = 0.0f;
        }
    }
    const int quads = hs4 >> 2, cells = (BR >> 2) * quads;
    for (int h = g * group; h < (g + 1) * group; ++h) {
        const int64 head = (int64)b * T * q_stride + (int64)h * HS;
        const float* lse_h = lse + ((int64)b * NH + h) * T;     // (T)
        const float* delta_h = delta + ((int64)b * NH + h) * T; // (T)
        for (int q0 = k0; q0 < T; q0 += ATT_TILE) {
            __syncthreads(); // the previous tile's readers are done
            att_stage(qs, ATT_TILE, hsp, q + head, q_stride, q0, st, T, HS);
            att_stage(dos, ATT_TILE, hsp, dout + head, q_stride, q0, st, T, HS);
            for (int e = (int)threadIdx.x; e < ATT_TILE; e += (int)blockDim.x) {
                const int t = q0 + e;
                lse_s[e] = t < T ? lse_h[t] : 0.0f;
                delta_s[e] = t < T ? delta_h[t] : 0.0f;
            }
            __syncthreads();
            att_dots(s, ks, row0, rows, qs + lane * hsp, hs4);
            att_dots(dp, vs, row0, rows, dos + lane * hsp, hs4);
            const int t = q0 + lane;
#pragma unroll
            for (int r = 0; r < ATT_MAX_ROWS; ++r) {
                if (r < rows) {
                    const int j = row0 + r, key = k0 + j;
                    const float p = t < T && key <= t ? expf(s[r] * scale - lse_s[lane]) : 0.0f;
                    ps[lane * brp + j] = p;
                    dss[lane * brp + j] = p * (dp[r] - delta_s[lane]);
                }
            }
            __syncthreads();
            const int nq = min(ATT_TILE, T - q0);
#pragma unroll
            for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
                const int id = (int)threadIdx.x + kk * ATT_THREADS;
                if (id < cells) {
                    const int rq = id / quads, cq = id - rq * quads;
                    att_cell(dv_acc[kk], ps + 4 * rq, brp, dos + 4 * cq, hsp, nq);
                    att_cell(dk_acc[kk], dss + 4 * rq, brp, qs + 4 * cq, hsp, nq);
                }
            }
        }
    }
#pragma unroll
    for (int kk = 0; kk < ATT_MAX_CELLS; ++kk) {
        const int id = (int)threadIdx.x + kk * ATT_THREADS;
        if (id < cells) {
            const int rq = id / quads, cq = id - rq * quads;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int key = k0 + 4 * rq + i;
                A* dkj = dk + kv_head + (int64)key * k_stride; // (HS)
                A* dvj = dv + kv_head + (int64)key * k_stride; // (HS)
#pragma unroll
                for (int c = 0; c < 4; ++c) {
                    if (key < T && 4 * cq + c < HS) {
                        att_store(dkj + 4 * cq + c, fmaf(scale, dk_acc[kk][i * 4 + c], att_load(dkj + 4 * cq + c)));
                        att_store(dvj + 4 * cq + c, att_load(dvj + 4 * cq + c) + dv_acc[kk][i * 4 + c]);
                    }
                }
            }
        }
    }
}

// ---- Decode and the KV cache ---------------------------------------------------------------------------------------

// One decode query per row over cache slots start_b ≤ s < length. Block (split blockIdx.x, kv head and head chunk
// blockIdx.y = g · chunks + c, row blockIdx.z) takes keys [128 · split, 128 · split + 128), warp w the 32 from
// 128 · split + 32w, for query heads g · G + 8c … (at most 8 of kv head g's group of G = NH / NKV): each warp stages its
// keys 64 columns at a time (coalesced) for lane-per-key dot products, runs its softmax, and adds its values with lanes
// over columns (every K and V row is read once); the block then combines its warps in order. With one split it writes
// o (B, NH·HS); else its unnormalised output, max and denominator into partials (B·NH, splits, HS + 2) f32 for
// attention_decode_combine. Dynamic shared memory (floats): queries (hb, HS4) with hb = min(G, 8), staged keys
// (4, 32, 68) — reused for the warps' outputs (4, hb, HS4) — probabilities (4, hb, 32), maxima and denominators (4, hb)
// each.
template <typename A>
__device__ __forceinline__ void attention_decode(A* o, float* partials, const A* q, const A* k_cache, const A* v_cache,
    const int* start, int length, int t_max, int NH, int NKV, int HS, float scale, int splits)
{
    DYNAMIC_SHARED(float, smem);
    const int hs4 = att_hs4(HS), group = NH / NKV, chunks = (group + DEC_MAX_HEADS - 1) / DEC_MAX_HEADS;
    const int hb = min(group, DEC_MAX_HEADS);
    GKD_ASSERT(blockDim.x == DEC_WARPS * 32 && HS <= 8 * 32);
    float* qs = smem;                               // (hb, HS4)
    float* kst = qs + hb * hs4;                     // (4, 32, 68); later (4, hb, HS4)
    float* pw = kst + DEC_WARPS * 32 * DEC_KSTRIDE; // (4, hb, 32)
    float* mw = pw + DEC_WARPS * hb * 32;           // (4, hb)
    float* lw = mw + DEC_WARPS * hb;                // (4, hb)

    const int split = (int)blockIdx.x, g = (int)blockIdx.y / chunks, chunk = (int)blockIdx.y % chunks;
    const int b = (int)blockIdx.z, st = start[b];
    GKD_ASSERT(st >= 0);
    const int h0 = g * group + chunk * DEC_MAX_HEADS, nh = min(DEC_MAX_HEADS, group - chunk * DEC_MAX_HEADS);
    const int warp = (int)gkd_warp_id(), lane = (int)gkd_lane_id();
    for (int e = (int)threadIdx.x; e < nh * hs4; e += (int)blockDim.x) {
        const int r = e / hs4, c = e - r * hs4;
        qs[e] = c < HS ? att_load(q + ((int64)b * NH + h0 + r) * HS + c) : 0.0f;
    }
    __syncthreads();

    const int64 cache_head = ((int64)b * NKV + g) * t_max * HS;
    const A* kh = k_cache + cache_head; // (Tmax, HS)
    const A* vh = v_cache + cache_head; // (Tmax, HS)
    const int s0 = split * DEC_SPLIT + warp * 32, lo = max(s0, st), hi = min(s0 + 32, length);
    float m[DEC_MAX_HEADS], l[DEC_MAX_HEADS], s[DEC_MAX_HEADS], acc[DEC_MAX_HEADS][8]; // acc: columns lane + 32i
#pragma unroll
    for (int r = 0; r < DEC_MAX_HEADS; ++r) {
        m[r] = -GKD_INFINITY;
        l[r] = 0.0f;
        s[r] = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) acc[r][i] = 0.0f;
    }
    if (lo < hi) { // uniform over the warp
        float* kw = kst + warp * 32 * DEC_KSTRIDE; // (32, 68): this warp's keys, 64 columns at a time
        for (int cb = 0; cb < hs4; cb += DEC_COLS) {
            for (int e = lane; e < 32 * DEC_COLS; e += GKD_WARP_SIZE) {
                const int j = e / DEC_COLS, c = e - j * DEC_COLS, key = s0 + j, col = cb + c;
                kw[j * DEC_KSTRIDE + c] = key >= lo && key < hi && col < HS ? att_load(kh + (int64)key * HS + col) : 0.0f;
            }
            __syncwarp();
            const int ncols = min(DEC_COLS, hs4 - cb);
            for (int c = 0; c < ncols; c += 4) {
                const att_f4 kv = att_at(kw + lane * DEC_KSTRIDE + c);
#pragma unroll
                for (int r = 0; r < DEC_MAX_HEADS; ++r) {
                    if (r < nh) {
                        const att_f4 qv = att_at(qs + r * hs4 + cb + c);
                        s[r] = fmaf(qv.x, kv.x, s[r]);
                        s[r] = fmaf(qv.y, kv.y, s[r]);
                        s[r] = fmaf(qv.z, kv.z, s[r]);
                        s[r] = fmaf(qv.w, kv.w, s[r]);
                    }
                }
            }
            __syncwarp();
        }
        const int key = s0 + lane;
        const bool valid = key >= lo && key < hi;
#pragma unroll
        for (int r = 0; r < DEC_MAX_HEADS; ++r) {
            if (r < nh) {
                const float sv = valid ? s[r] * scale : -GKD_INFINITY;
                m[r] = gkd_warp_max(sv); // finite: the chunk has a valid key
                const float p = expf(sv - m[r]);
                l[r] = gkd_warp_sum(p);
                pw[(warp * hb + r) * 32 + lane] = p;
            }
        }
        __syncwarp();
        for (int j = lo - s0; j < hi - s0; ++j) {
            const A* vj = vh + (int64)(s0 + j) * HS; // (HS)
            float vv[8];
#pragma unroll
            for (int i = 0; i < 8; ++i) vv[i] = lane + 32 * i < HS ? att_load(vj + lane + 32 * i) : 0.0f;
#pragma unroll
            for (int r = 0; r < DEC_MAX_HEADS; ++r) {
                if (r < nh) {
                    const float p = pw[(warp * hb + r) * 32 + j];
#pragma unroll
                    for (int i = 0; i < 8; ++i) acc[r][i] = fmaf(p, vv[i], acc[r][i]);
                }
            }
        }
    }
    __syncthreads(); // every warp is done with its staged keys
    float* ow = kst; // (4, hb, HS4)
#pragma unroll
    for (int r = 0; r < DEC_MAX_HEADS; ++r) {
        if (r < nh) {
            if (lane == 0) {
                mw[warp * hb + r] = m[r];
                lw[warp * hb + r] = l[r];
            }
#pragma unroll
            for (int i = 0; i < 8; ++i)
                if (lane + 32 * i < HS) ow[(warp * hb + r) * hs4 + lane + 32 * i] = acc[r][i];
        }
    }
    __syncthreads();
    for (int e = (int)threadIdx.x; e < nh * HS; e += (int)blockDim.x) {
        const int r = e / HS, c = e - r * HS;
        float mx = -GKD_INFINITY;
        for (int w = 0; w < DEC_WARPS; ++w) mx = fmaxf(mx, mw[w * hb + r]);
        float den = 0.0f, num = 0.0f;
        for (int w = 0; w < DEC_WARPS; ++w) {
            const float f = mx == -GKD_INFINITY ? 0.0f : expf(mw[w * hb + r] - mx);
            den = fmaf(lw[w * hb + r], f, den);
            num = fmaf(ow[(w * hb + r) * hs4 + c], f, num);
        }
        const int64 row = (int64)b * NH + h0 + r;
        if (splits == 1) {
            att_store(o + row * HS + c, mx == -GKD_INFINITY ? 0.0f : num / den);
        } else {
            float* pr = partials + (row * splits + split) * (HS + 2); // (HS + 2)
            pr[c] = num;
            if (c == 0) {
                pr[HS] = mx;
                pr[HS + 1] = den;
            }
        }
    }
}

// o (B, NH·HS) row blockIdx.x = Σ_s e^(m_s − M) o_s / Σ_s e^(m_s − M) l_s over the splits s in order, M = max_s m_s, from
// partials (B·NH, splits, HS + 2) [o_s, m_s, l_s]; 0 when the row had no key. Threads over columns.
template <typename A>
__device__ __forceinline__ void attention_decode_combine(A* o, const float* partials, int HS, int splits)
{
    const int64 row = blockIdx.x;
    const float* pr = partials + row * splits * (HS + 2); // (splits, HS + 2)
    float mx = -GKD_INFINITY;
    for (int s = 0; s < splits; ++s) mx = fmaxf(mx, pr[s * (HS + 2) + HS]);
    for (int c = (int)threadIdx.x; c < HS; c += (int)blockDim.x) {
        float den = 0.0f, num = 0.0f;
        for (int s = 0; s < splits; ++s) {
            const float f = mx == -GKD_INFINITY ? 0.0f : expf(pr[s * (HS + 2) + HS] - mx);
            den = fmaf(pr[s * (HS + 2) + HS + 1], f, den);
            num = fmaf(pr[s * (HS + 2) + c], f, num);
        }
        att_store(o + row * HS + c, mx == -GKD_INFINITY ? 0.0f : num / den);
    }
}

// k_cache, v_cache (B, NKV, Tmax, HS) slots [pos, pos + T) = k, v (B·T, NKV·HS) (=): a grid-stride loop over the
// n = B·T·NKV·HS elements of k and v.
template <typename A>
__device__ __forceinline__ void kv_cache_write(A* k_cache, A* v_cache, const A* k, const A* v, int pos, int T, int NKV,
    int HS, int t_max, int64 n)
{
    const int64 stride = (int64)blockDim.x * gridDim.x;
    for (int64 e = (int64)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += stride) {
        const int c = (int)(e % HS);
        const int64 bt_g = e / HS;
        const int g = (int)(bt_g % NKV);
        const int64 bt = bt_g / NKV;
        const int t = (int)(bt % T);
        const int64 b = bt / T;
        const int64 slot = ((b * NKV + g) * t_max + pos + t) * HS + c;
        k_cache[slot] = k[e];
        v_cache[slot] = v[e];
    }
}

// ---- extern "C" entry points: <kernel>_<activations> ---------------------------------------------------------------

// o (B, T, NH, HS), lse (B, NH, T), q (B, T, NH, HS), k, v (B, T, NKV, HS), start (B); grid (⌈T/BR⌉, NH, B), 128 threads
extern "C" __global__ void attention_forward_f32(float* o, float* lse, const float* q, const float* k, const float* v,
    const int* start, int T, int NH, int NKV, int HS, float scale, int BR)
{
    attention_forward(o, lse, q, k, v, start, T, NH, NKV, HS, scale, BR);
}

extern "C" __global__ void attention_forward_bf16(bf16* o, float* lse, const bf16* q, const bf16* k, const bf16* v,
    const int* start, int T, int NH, int NKV, int HS, float scale, int BR)
{
    attention_forward(o, lse, q, k, v, start, T, NH, NKV, HS, scale, BR);
}

// delta (B, NH, T), dout, o (B, T, NH, HS); rows = B·T·NH; grid ⌈rows/4⌉, 128 threads
extern "C" __global__ void attention_delta_f32(float* delta, const float* dout, const float* o, int T, int NH, int HS,
    int64 rows)
{
    attention_delta(delta, dout, o, T, NH, HS, rows);
}

extern "C" __global__ void attention_delta_bf16(float* delta, const bf16* dout, const bf16* o, int T, int NH, int HS,
    int64 rows)
{
    attention_delta(delta, dout, o, T, NH, HS, rows);
}

// dq, dout, q (B, T, NH, HS), k, v (B, T, NKV, HS), lse, delta (B, NH, T), start (B); grid (⌈T/BR⌉, NH, B), 128 threads
extern "C" __global__ void attention_backward_dq_f32(float* dq, const float* dout, const float* q, const float* k,
    const float* v, const float* lse, const float* delta, const int* start, int T, int NH, int NKV, int HS, float scale,
    int BR)
{
    attention_backward_dq(dq, dout, q, k, v, lse, delta, start, T, NH, NKV, HS, scale, BR);
}

extern "C" __global__ void attention_backward_dq_bf16(bf16* dq, const bf16* dout, const bf16* q, const bf16* k,
    const bf16* v, const float* lse, const float* delta, const int* start, int T, int NH, int NKV, int HS, float scale,
    int BR)
{
    attention_backward_dq(dq, dout, q, k, v, lse, delta, start, T, NH, NKV, HS, scale, BR);
}

// dk, dv (B, T, NKV, HS), dout, q (B, T, NH, HS), k, v (B, T, NKV, HS), lse, delta (B, NH, T), start (B);
// grid (⌈T/BR⌉, NKV, B), 128 threads
extern "C" __global__ void attention_backward_dkdv_f32(float* dk, float* dv, const float* dout, const float* q,
    const float* k, const float* v, const float* lse, const float* delta, const int* start, int T, int NH, int NKV,
    int HS, float scale, int BR)
{
    attention_backward_dkdv(dk, dv, dout, q, k, v, lse, delta, start, T, NH, NKV, HS, scale, BR);
}

extern "C" __global__ void attention_backward_dkdv_bf16(bf16* dk, bf16* dv, const bf16* dout, const bf16* q,
    const bf16* k, const bf16* v, const float* lse, const float* delta, const int* start, int T, int NH, int NKV,
    int HS, float scale, int BR)
{
    attention_backward_dkdv(dk, dv, dout, q, k, v, lse, delta, start, T, NH, NKV, HS, scale, BR);
}

// o (B, NH·HS), partials (B·NH, splits, HS + 2) or unused when splits = 1, q (B, NH·HS), k_cache, v_cache
// (B, NKV, Tmax, HS), start (B); grid (splits, NKV · ⌈G/8⌉, B), 128 threads
extern "C" __global__ void attention_decode_f32(float* o, float* partials, const float* q, const float* k_cache,
    const float* v_cache, const int* start, int length, int t_max, int NH, int NKV, int HS, float scale, int splits)
{
    attention_decode(o, partials, q, k_cache, v_cache, start, length, t_max, NH, NKV, HS, scale, splits);
}

extern "C" __global__ void attention_decode_bf16(bf16* o, float* partials, const bf16* q, const bf16* k_cache,
    const bf16* v_cache, const int* start, int length, int t_max, int NH, int NKV, int HS, float scale, int splits)
{
    attention_decode(o, partials, q, k_cache, v_cache, start, length, t_max, NH, NKV, HS, scale, splits);
}

// o (B, NH·HS), partials (B·NH, splits, HS + 2); grid B·NH, 128 threads
extern "C" __global__ void attention_decode_combine_f32(float* o, const float* partials, int HS, int splits)
{
    attention_decode_combine(o, partials, HS, splits);
}

extern "C" __global__ void attention_decode_combine_bf16(bf16* o, const float* partials, int HS, int splits)
{
    attention_decode_combine(o, partials, HS, splits);
}

// k_cache, v_cache (B, NKV, Tmax, HS), k, v (B·T, NKV·HS); n = B·T·NKV·HS; grid-stride
extern "C" __global__ void kv_cache_write_f32(float* k_cache, float* v_cache, const float* k, const float* v, int pos,
    int T, int NKV, int HS, int t_max, int64 n)
{
    kv_cache_write(k_cache, v_cache, k, v, pos, T, NKV, HS, t_max, n);
}

extern "C" __global__ void kv_cache_write_bf16(bf16* k_cache, bf16* v_cache, const bf16* k, const bf16* v, int pos,
    int T, int NKV, int HS, int t_max, int64 n)
{
    kv_cache_write(k_cache, v_cache, k, v, pos, T, NKV, HS, t_max, n);
}
