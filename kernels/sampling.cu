// sampling.cu — one token per row of logits, as transformers samples (see IBackend.Sample): temperature, then top-k
// (keep logits ≥ the k-th largest), then top-p (keep the most likely tokens until their probability reaches top_p, at
// least one), then the first token in vocabulary order whose cumulative kept probability exceeds u·(total kept),
// u = Philox uniform number (seed, offset + row). Temperature 0 is greedy: the lowest index among the maxima.
//
// One block per row; logits f32 or bf16, read as 16-byte vectors, f32 math. The kept set is always {x ≥ τ} for a
// threshold τ on the logits, compared as order-preserving 32-bit keys:
//   top-k  τ = the largest key with count(key ≥ τ) ≥ k;
//   top-p  τ = the largest key with mass(key ≥ τ) ≥ top_p·(kept mass), the mass of the top-k survivors
//          (a token is kept exactly when the mass of the tokens strictly above it is below top_p, ties kept together).
// Both are found digit by digit from the top, 4 bits a pass (16 candidate thresholds counted at once): 8 passes over
// f32 rows, 4 over bf16 rows, whose keys vary only in their upper 16 bits. With neither filter (the sampling of
// on-policy distillation) no search runs. The draw then takes one pass: the row is cut into one contiguous chunk per
// warp; each warp sums its chunk's weights e^((x − max)/T) online; the block scans the chunk totals in vocabulary
// order, and only the warp whose chunk holds u·total walks it again, 32 vectors at a time with a warp prefix scan.
// All sums run in a fixed order: the same inputs draw the same tokens.
#include "common.cuh"

// ---- 16-byte vectors of logits -----------------------------------------------------------------------------------

struct __align__(16) LogitVector
{
    uint32 w[4];
};

// Conversion of a logit dtype to f32, for single elements and for the kLanes logits of a LogitVector.
template <typename T> struct Logit;

template <> struct Logit<float>
{
    static constexpr int kLanes = 4;
    static constexpr int kKeyBits = 32;   // significant bits of an order key
    static __device__ __forceinline__ float load(const float* p) { return *p; }
    static __device__ __forceinline__ void unpack(float* out, const LogitVector& v)
    {
        for (int k = 0; k < 4; ++k) out[k] = __uint_as_float(v.w[k]);
    }
};

// bf16 lanes: element 2k is the low half of word k (little-endian). A bf16 widened to f32 has a key whose low 16 bits
// are all 0 or all 1, so thresholds need only the upper 16.
template <> struct Logit<bf16>
{
    static constexpr int kLanes = 8;
    static constexpr int kKeyBits = 16;
    static __device__ __forceinline__ float load(const bf16* p) { return gkd_bf16_to_f32(*p); }
    static __device__ __forceinline__ void unpack(float* out, const LogitVector& v)
    {
        for (int k = 0; k < 4; ++k) {
            out[2 * k] = __uint_as_float(v.w[k] << 16);
            out[2 * k + 1] = __uint_as_float(v.w[k] & 0xffff0000u);
        }
    }
};

// One row x (V) cut into 16-byte vectors: vector q holds elements q·W − lead … q·W − lead + W − 1, those in [0, V);
// whole vectors move with one load, the partial ones at the ends element by element.
template <typename T> struct RowVectors
{
    static constexpr int W = Logit<T>::kLanes;

    const T* x;
    int64 v;
    int64 lead;
    int64 count;

    __device__ __forceinline__ RowVectors(const T* x_, int64 v_) : x(x_), v(v_)
    {
        lead = (int64)(((uint64)x_ & 15u) / sizeof(T));
        count = (v + lead + W - 1) / W;
    }

    __device__ __forceinline__ int64 first(int64 q) const { return q * W - lead; }

    // xs (W) = vector q in f32; slots outside the row hold -inf. Returns the mask of slots inside the row.
    __device__ __forceinline__ uint32 load(float* xs, int64 q) const
    {
        int64 e0 = first(q);
        if (e0 >= 0 && e0 + W <= v) {
            const LogitVector vx = *reinterpret_cast<const LogitVector*>(x + e0);
            Logit<T>::unpack(xs, vx);
            return (1u << W) - 1u;
        }
        uint32 mask = 0;
        for (int k = 0; k < W; ++k) {
            bool in = e0 + k >= 0 && e0 + k < v;
            xs[k] = in ? Logit<T>::load(x + e0 + k) : -GKD_INFINITY;
            if (in) mask |= 1u << k;
        }
        return mask;
    }
};

// The order-preserving key of a float: key(a) < key(b) exactly when a < b, key(−0) = key(+0) (x + 0 is +0 for both);
// NaNs sort to the ends.
__device__ __forceinline__ uint32 order_key(float x)
{
    uint32 u = __float_as_uint(x + 0.0f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// ---- Greedy ------------------------------------------------------------------------------------------------------

// The better of two (value, index) candidates: the larger value, then the lower index.
__device__ __forceinline__ bool better(float v, int32 i, float best_v, int32 best_i)
{
    return v > best_v || (v == best_v && i < best_i);
}

// The index of the row's maximum, lowest on ties (every thread of the block receives it).
template <typename T>
__device__ __forceinline__ int32 row_argmax(const RowVectors<T>& row)
{
    constexpr int W = RowVectors<T>::W;
    __shared__ float best_values[32];
    __shared__ int32 best_indices[32];
    float best_v = -GKD_INFINITY;
    int32 best_i = 0x7fffffff;
    for (int64 q = threadIdx.x; q < row.count; q += blockDim.x) {
        float xs[W];
        uint32 mask = row.load(xs, q);
        for (int k = 0; k < W; ++k) {
            int32 e = (int32)(row.first(q) + k);
            if (((mask >> k) & 1u) && better(xs[k], e, best_v, best_i)) {
                best_v = xs[k];
                best_i = e;
            }
        }
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        float v = __shfl_xor_sync(0xffffffffu, best_v, offset);
        int32 i = __shfl_xor_sync(0xffffffffu, best_i, offset);
        if (better(v, i, best_v, best_i)) {
            best_v = v;
            best_i = i;
        }
    }
    if (gkd_lane_id() == 0) {
        best_values[gkd_warp_id()] = best_v;
        best_indices[gkd_warp_id()] = best_i;
    }
    __syncthreads();
    best_v = best_values[0];
    best_i = best_indices[0];
    for (uint32 w = 1; w < blockDim.x / 32; ++w)
        if (better(best_values[w], best_indices[w], best_v, best_i)) {
            best_v = best_values[w];
            best_i = best_indices[w];
        }
    return best_i;
}

// ---- Thresholds --------------------------------------------------------------------------------------------------

// One step of block_sum16's reduce-scatter: a lane keeps the lower or upper kHalf of its 2·kHalf entries (by its
// lane bit 2·kHalf), moved to the front, and adds its partner's copy of them.
template <int kHalf>
__device__ __forceinline__ void scatter_step(float* acc, uint32 lane)
{
    if (lane & (uint32)(2 * kHalf)) {
#pragma unroll
        for (int i = 0; i < kHalf; ++i) {
            float upper = acc[i + kHalf];
            acc[i + kHalf] = acc[i];
            acc[i] = upper;
        }
    }
#pragma unroll
    for (int i = 0; i < kHalf; ++i) acc[i] += __shfl_xor_sync(0xffffffffu, acc[i + kHalf], 2 * kHalf);
}

// acc (16): each entry summed over the block; every thread receives the totals. Within a warp a reduce-scatter
// (16 shuffles instead of 16 trees of 5) leaves entry j summed over the warp in lanes 2j and 2j+1; the warps' sums
// are then added in warp order. Deterministic for a given block shape.
__device__ __forceinline__ void block_sum16(float* acc)
{
    __shared__ float partials[32 * 16];
    __shared__ float totals[16];
    const uint32 lane = gkd_lane_id();
    scatter_step<8>(acc, lane);
    scatter_step<4>(acc, lane);
    scatter_step<2>(acc, lane);
    scatter_step<1>(acc, lane);
    acc[0] += __shfl_xor_sync(0xffffffffu, acc[0], 1);
    __syncthreads();
    if ((lane & 1u) == 0) partials[gkd_warp_id() * 16 + (lane >> 1)] = acc[0];
    __syncthreads();
    if (gkd_thread_rank() < 16) {
        float total = partials[gkd_thread_rank()];
        for (uint32 w = 1; w < blockDim.x / 32; ++w) total += partials[w * 16 + gkd_thread_rank()];
        totals[gkd_thread_rank()] = total;
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < 16; ++j) acc[j] = totals[j];
}

// The largest key τ with f(τ) ≥ target, where f(τ) sums over the row's elements with key ≥ max(τ, floor_key) the weight
// 1 (kMass false: a count, target = k) or e^((x − m)·inv_t) (kMass true: a mass, target = fraction of f(0), the whole
// mass above floor_key). Each pass fixes 4 more bits of τ by evaluating f at the 16 thresholds those bits can add.
template <bool kMass, typename T>
__device__ __forceinline__ uint32 threshold_key(const RowVectors<T>& row, uint32 floor_key, float m, float inv_t, float target)
{
    constexpr int W = RowVectors<T>::W;
    uint32 prefix = 0;
    for (int shift = 28; shift >= 32 - Logit<T>::kKeyBits; shift -= 4) {
        float acc[16];
        for (int j = 0; j < 16; ++j) acc[j] = 0.0f;
        for (int64 q = threadIdx.x; q < row.count; q += blockDim.x) {
            float xs[W];
            uint32 mask = row.load(xs, q);
#pragma unroll
            for (int k = 0; k < W; ++k) {
                uint32 key = order_key(xs[k]);
                if (!((mask >> k) & 1u) || key < floor_key) continue;
                float w = kMass ? expf((xs[k] - m) * inv_t) : 1.0f;
#pragma unroll
                for (int j = 0; j < 16; ++j) acc[j] += key >= (prefix | ((uint32)j << shift)) ? w : 0.0f;
            }
        }
        block_sum16(acc);
        // On the first pass acc[0] is f(0); the fraction becomes a mass, kept positive so at least one token stays.
        if (kMass && shift == 28) target = fmaxf(target * acc[0], 1.17549435e-38f);
        uint32 j = 0;   // f is non-increasing in the candidate, and so are its rounded sums
        for (int c = 1; c < 16; ++c)
            if (acc[c] >= target) j = (uint32)c;
        prefix |= j << shift;
    }
    return prefix;
}

// The row's maximum (every thread of the block receives it).
template <typename T>
__device__ __forceinline__ float row_max(const RowVectors<T>& row)
{
    constexpr int W = RowVectors<T>::W;
    float m = -GKD_INFINITY;
    for (int64 q = threadIdx.x; q < row.count; q += blockDim.x) {
        float xs[W];
        row.load(xs, q);
        for (int k = 0; k < W; ++k) m = fmaxf(m, xs[k]);
    }
    return gkd_block_max(m);
}

// ---- The draw ----------------------------------------------------------------------------------------------------

// s·e^((m − to)·inv_t): an online sum kept relative to max m, moved to max to ≥ m (an empty sum, m = -inf, stays 0).
__device__ __forceinline__ float rescale(float s, float m, float to, float inv_t)
{
    return m == -GKD_INFINITY ? 0.0f : s * expf((m - to) * inv_t);
}

// xs (W) in place: kept logits stay, the rest (outside the row, or key below floor_key) become -inf.
template <int W>
__device__ __forceinline__ void keep_only(float* xs, uint32 mask, uint32 floor_key)
{
    for (int k = 0; k < W; ++k)
        if (!((mask >> k) & 1u) || order_key(xs[k]) < floor_key) xs[k] = -GKD_INFINITY;
}

// The drawn token: the first kept element (key ≥ floor_key) whose cumulative weight e^((x − max)·inv_t) exceeds u·total.
// Warp w owns vectors [w·per, (w+1)·per) of the row. Called by every thread; the result is valid in one thread, which
// returns true.
template <typename T>
__device__ __forceinline__ bool draw(const RowVectors<T>& row, uint32 floor_key, float inv_t, float u, int32* token)
{
    constexpr int W = RowVectors<T>::W;
    __shared__ float chunk_max[32];
    __shared__ float chunk_sum[32];
    const uint32 lane = gkd_lane_id(), warp = gkd_warp_id(), warps = blockDim.x / 32;
    const int64 per = (row.count + warps - 1) / warps;
    const int64 begin = min((int64)warp * per, row.count), end = min(begin + per, row.count);

    // This warp's chunk: online max and sum of weights over its kept elements, lanes striding by vectors.
    float m = -GKD_INFINITY, s = 0.0f;
    for (int64 q = begin + lane; q < end; q += 32) {
        float xs[W];
        keep_only<W>(xs, row.load(xs, q), floor_key);
        float vm = xs[0];
        for (int k = 1; k < W; ++k) vm = fmaxf(vm, xs[k]);
        float nm = fmaxf(m, vm);
        if (nm == -GKD_INFINITY) continue;
        float sum = 0.0f;
        for (int k = 0; k < W; ++k) sum += expf((xs[k] - nm) * inv_t);
        s = rescale(s, m, nm, inv_t) + sum;
        m = nm;
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        float om = __shfl_xor_sync(0xffffffffu, m, offset), os = __shfl_xor_sync(0xffffffffu, s, offset);
        float nm = fmaxf(m, om);
        s = rescale(s, m, nm, inv_t) + rescale(os, om, nm, inv_t);
        m = nm;
    }
    if (lane == 0) {
        chunk_max[warp] = m;
        chunk_sum[warp] = s;
    }
    __syncthreads();

    // Chunk totals at the row's max, scanned in vocabulary order: the chunk holding u·total, or (when rounding puts
    // u·total at the very end) the last chunk with any weight.
    float top = chunk_max[0];
    for (uint32 w = 1; w < warps; ++w) top = fmaxf(top, chunk_max[w]);
    float total = 0.0f;
    for (uint32 w = 0; w < warps; ++w) total += rescale(chunk_sum[w], chunk_max[w], top, inv_t);
    const float target = u * total;
    float before = 0.0f;
    uint32 chosen = warps;
    for (uint32 w = 0; w < warps; ++w) {
        float t = rescale(chunk_sum[w], chunk_max[w], top, inv_t);
        if (t > 0.0f) chosen = w;
        if (before + t > target && t > 0.0f) break;
        before += t;
    }
    if (warp != chosen) return false;

    // The chosen warp walks its chunk 32 vectors at a time: lane sums, an inclusive warp scan, and the first lane
    // whose running sum passes the target walks its own vector. Should rounding carry the target past the chunk's
    // last element, the last element with weight is drawn.
    const float rest = target - before;
    float base = 0.0f;
    int32 last = -1;
    for (int64 q0 = begin; q0 < end; q0 += 32) {
        const int64 q = q0 + lane;
        float xs[W];
        uint32 mask = q < end ? row.load(xs, q) : 0u;
        keep_only<W>(xs, mask, floor_key);
        float sum = 0.0f;
        int32 lane_last = -1;
        for (int k = 0; k < W; ++k) {
            xs[k] = expf((xs[k] - top) * inv_t);
            sum += xs[k];
            if (xs[k] > 0.0f) lane_last = (int32)(row.first(q) + k);
        }
        float inclusive = sum;
        for (int offset = 1; offset < 32; offset <<= 1) {
            float other = __shfl_up_sync(0xffffffffu, inclusive, offset);
            if ((int)lane >= offset) inclusive += other;
        }
        uint32 crossing = __ballot_sync(0xffffffffu, base + inclusive > rest);
        if (crossing != 0) {
            // Only the lowest crossing lane goes on.
            if (((crossing >> lane) & 1u) == 0 || (crossing & ((1u << lane) - 1u)) != 0) return false;
            float running = base + (inclusive - sum);
            int32 pick = -1;
            for (int k = 0; k < W; ++k) {
                running += xs[k];
                if (pick < 0 && xs[k] > 0.0f && running > rest) pick = (int32)(row.first(q) + k);
            }
            *token = pick >= 0 ? pick : lane_last;
            return true;
        }
        base += __shfl_sync(0xffffffffu, inclusive, 31);
        for (int offset = 16; offset > 0; offset >>= 1)
            lane_last = max(lane_last, __shfl_xor_sync(0xffffffffu, lane_last, offset));
        if (lane_last >= 0) last = lane_last;
    }
    *token = last;
    return lane == 0;
}

// ---- The kernel --------------------------------------------------------------------------------------------------

// tokens (B) i32 = one draw per row of logits (B, V); temperature 0 is greedy; top_k 0 and top_p ≥ 1 are off. One
// block per row (grid B), any multiple of 32 threads up to 1024 (the kernels' launch bound).
template <typename T>
__device__ __forceinline__ void sample(int32* tokens, const T* logits, int64 v, float temperature, int32 top_k, float top_p,
    uint64 seed, uint64 offset)
{
    const int64 b = blockIdx.x;
    const RowVectors<T> row(logits + b * v, v);
    if (temperature == 0.0f) {
        int32 best = row_argmax(row);
        if (threadIdx.x == 0) tokens[b] = best;
        return;
    }
    const float inv_t = 1.0f / temperature;
    uint32 floor_key = 0;
    if (top_k > 0 && top_k < v) floor_key = threshold_key<false>(row, 0u, 0.0f, 1.0f, (float)top_k);
    if (top_p < 1.0f) floor_key = threshold_key<true>(row, floor_key, row_max(row), inv_t, top_p);
    int32 token;
    if (draw(row, floor_key, inv_t, gkd_philox_uniform(seed, offset + (uint64)b), &token)) tokens[b] = token;
}

// tokens (B) i32; logits (B, V) f32; v = V.
extern "C" __global__ void __launch_bounds__(1024)
sample_f32(int32* tokens, const float* logits, int64 v, float temperature, int32 top_k, float top_p, uint64 seed,
    uint64 offset)
{
    sample<float>(tokens, logits, v, temperature, top_k, top_p, seed, offset);
}

// tokens (B) i32; logits (B, V) bf16; v = V.
extern "C" __global__ void __launch_bounds__(1024)
sample_bf16(int32* tokens, const bf16* logits, int64 v, float temperature, int32 top_k, float top_p, uint64 seed,
    uint64 offset)
{
    sample<bf16>(tokens, logits, v, temperature, top_k, top_p, seed, offset);
}
