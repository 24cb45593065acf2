// distill_loss.cu — the generalized Jensen-Shannon divergence between student and teacher logit rows: fused
// log-softmax of both models, the logsumexp mixture, the row loss and dL/d(student logits), forward and backward in
// one kernel. Semantics and closed forms are those of the CPU reference (src/Gkd.Native.Cpu/DistillLoss.cs): with
// s, t the log-softmaxes, p_s, p_t their probabilities and δ = t − s,
//   β = 0: loss = Σ p_t·δ,                              grad = p_s − p_t
//   β = 1: loss = −Σ p_s·δ = KL(S‖T),                   grad = p_s·(−δ − KL(S‖T))
//   else:  λ = m − s = ln((1−β) + β·e^δ), K = KL(S‖M) = −Σ p_s·λ,
//          loss = Σ β·p_t·(δ − λ) − (1−β)·p_s·λ,        grad = (1−β)·p_s·(−λ − K)
// each gradient times gradScale, written (=) over dStudent, which may alias the student logits.
//
// One block per row; f32 math on f32 or bf16 logits, read as 16-byte vectors. The passes over a row:
//   1 (forward):  both models' max and Σ exp, online per thread (and, for β = 1 with a gradient, A = Σ e^(x−max)·(x−y),
//                 which gives KL(S‖T) = cd + A/Σ without another pass);
//   2 (backward): the loss, and K for the mixture; for β = 0 and β = 1 the gradient is written in this pass;
//   3 (forward):  the mixture's gradient, which needs K — only 0 < β < 1 with a gradient takes this pass.
// So each input row is read twice (three times for the mixture's gradient) and dStudent written once. Alternating the
// direction lets a pass start on the part of the row the previous one read last, which may still sit in L2. Every
// sum is a per-thread sum in a fixed element order followed by the fixed-order block reduction: deterministic.
#include "common.cuh"

// ---- 16-byte vectors of logits -----------------------------------------------------------------------------------

struct __align__(16) LogitVector
{
    uint32 w[4];
};

// Conversions between a logit dtype and f32, for single elements and for the kLanes logits of a LogitVector.
template <typename T> struct Logit;

template <> struct Logit<float>
{
    static constexpr int kLanes = 4;
    static __device__ __forceinline__ float load(const float* p) { return *p; }
    static __device__ __forceinline__ void store(float* p, float v) { *p = v; }
    static __device__ __forceinline__ void unpack(float* out, const LogitVector& v)
    {
        for (int k = 0; k < 4; ++k) out[k] = __uint_as_float(v.w[k]);
    }
    static __device__ __forceinline__ LogitVector pack(const float* in)
    {
        LogitVector v;
        for (int k = 0; k < 4; ++k) v.w[k] = __float_as_uint(in[k]);
        return v;
    }
};

// bf16 lanes: element 2k is the low half of word k (little-endian).
template <> struct Logit<bf16>
{
    static constexpr int kLanes = 8;
    static __device__ __forceinline__ float load(const bf16* p) { return gkd_bf16_to_f32(*p); }
    static __device__ __forceinline__ void store(bf16* p, float v) { *p = gkd_f32_to_bf16(v); }
    static __device__ __forceinline__ void unpack(float* out, const LogitVector& v)
    {
        for (int k = 0; k < 4; ++k) {
            out[2 * k] = __uint_as_float(v.w[k] << 16);
            out[2 * k + 1] = __uint_as_float(v.w[k] & 0xffff0000u);
        }
    }
    static __device__ __forceinline__ LogitVector pack(const float* in)
    {
        LogitVector v;
        for (int k = 0; k < 4; ++k)
            v.w[k] = (uint32)gkd_f32_to_bf16(in[2 * k]) | ((uint32)gkd_f32_to_bf16(in[2 * k + 1]) << 16);
        return v;
    }
};

// The rows of one block (student x, teacher y, gradient d — null when not wanted — each (V)) cut into 16-byte
// vectors: vector q holds elements q·W − lead … q·W − lead + W − 1, those in [0, V). When the three rows sit at the
// same offset from a 16-byte boundary (always, for rows of arena allocations), whole vectors move with one load or
// store; otherwise, and for the partial vectors at the ends, element by element.
template <typename T> struct RowVectors
{
    static constexpr int W = Logit<T>::kLanes;

    T* d;
    const T* x;
    const T* y;
    int64 v;
    int64 lead;
    int64 count;
    bool aligned;

    __device__ __forceinline__ RowVectors(T* d_, const T* x_, const T* y_, int64 v_) : d(d_), x(x_), y(y_), v(v_)
    {
        uint64 ax = (uint64)x_ & 15u, ay = (uint64)y_ & 15u, ad = d_ ? (uint64)d_ & 15u : ax;
        aligned = ax == ay && ax == ad;
        lead = (int64)(ax / sizeof(T));
        count = (v + lead + W - 1) / W;
    }

    __device__ __forceinline__ int64 first(int64 q) const { return q * W - lead; }

    // Bit k set when slot k of vector q is an element of the row.
    __device__ __forceinline__ uint32 slots(int64 q) const
    {
        int64 e0 = first(q);
        uint32 mask = 0;
        for (int k = 0; k < W; ++k)
            if (e0 + k >= 0 && e0 + k < v) mask |= 1u << k;
        return mask;
    }

    __device__ __forceinline__ bool whole(int64 q) const { return aligned && first(q) >= 0 && first(q) + W <= v; }

    // xs, ys (W) = vector q of both rows in f32; slots outside the row hold -inf. Returns the slot mask.
    __device__ __forceinline__ uint32 load(float* xs, float* ys, int64 q) const
    {
        int64 e0 = first(q);
        if (whole(q)) {
            const LogitVector vx = *reinterpret_cast<const LogitVector*>(x + e0);
            const LogitVector vy = *reinterpret_cast<const LogitVector*>(y + e0);
            Logit<T>::unpack(xs, vx);
            Logit<T>::unpack(ys, vy);
            return (1u << W) - 1u;
        }
        uint32 mask = slots(q);
        for (int k = 0; k < W; ++k) {
            bool in = (mask >> k) & 1u;
            xs[k] = in ? Logit<T>::load(x + e0 + k) : -GKD_INFINITY;
            ys[k] = in ? Logit<T>::load(y + e0 + k) : -GKD_INFINITY;
        }
        return mask;
    }

    // d[vector q] = gs (W) at the slots in mask.
    __device__ __forceinline__ void store(int64 q, const float* gs, uint32 mask) const
    {
        int64 e0 = first(q);
        if (whole(q)) {
            *reinterpret_cast<LogitVector*>(d + e0) = Logit<T>::pack(gs);
            return;
        }
        for (int k = 0; k < W; ++k)
            if ((mask >> k) & 1u) Logit<T>::store(d + e0 + k, gs[k]);
    }

    // The i-th vector this thread visits, walking the row forward or backward in block-sized strides.
    __device__ __forceinline__ int64 visit(int64 i, bool backward) const { return backward ? count - 1 - i : i; }
};

// ---- Row statistics ----------------------------------------------------------------------------------------------

// A row's log-softmax constants: s = (x − ms) − cs, t = (y − mt) − ct, δ = t − s = (y − x) − cd, where
// cd = (mt − ms) + ln(Σt/Σs) is computed from the ratio of the sums so that δ keeps its accuracy.
struct LogProbs
{
    float ms, cs, mt, ct, cd;

    __device__ __forceinline__ float s(float x) const { return (x - ms) - cs; }
    __device__ __forceinline__ float t(float y) const { return (y - mt) - ct; }
    __device__ __forceinline__ float delta(float x, float y) const { return (y - x) - cd; }
};

// The per-element terms of each β regime: terms(x, y, a, b) adds the summed terms (a: the loss; b: the mixture's
// K = KL(S‖M)); gradient(x, y) is gradScale·∂loss/∂x once the row's sums are known.
struct ForwardKl
{
    LogProbs lp;
    float scale;

    __device__ __forceinline__ void terms(float x, float y, float& a, float&) const { a += expf(lp.t(y)) * lp.delta(x, y); }
    __device__ __forceinline__ float gradient(float x, float y) const { return scale * (expf(lp.s(x)) - expf(lp.t(y))); }
};

struct ReverseKl
{
    LogProbs lp;
    float scale;
    float kl;   // KL(S‖T) of the row

    __device__ __forceinline__ void terms(float x, float y, float& a, float&) const { a -= expf(lp.s(x)) * lp.delta(x, y); }
    __device__ __forceinline__ float gradient(float x, float y) const { return scale * expf(lp.s(x)) * (-lp.delta(x, y) - kl); }
};

// λ = max(a, b) + ln(1 + e^−|a−b|) with a = ln(1−β), b = ln β + δ, as the CPU reference computes it.
struct MixtureJsd
{
    LogProbs lp;
    float beta, log_beta, log_one_minus_beta;
    float factor;   // gradScale·(1−β)
    float k_sm;     // KL(S‖M) of the row

    __device__ __forceinline__ float lambda(float delta) const
    {
        float b = log_beta + delta;
        return fmaxf(log_one_minus_beta, b) + logf(1.0f + expf(-fabsf(log_one_minus_beta - b)));
    }
    __device__ __forceinline__ void terms(float x, float y, float& a, float& b) const
    {
        float delta = lp.delta(x, y), l = lambda(delta), ps_lambda = expf(lp.s(x)) * l;
        a += beta * expf(lp.t(y)) * (delta - l) - (1.0f - beta) * ps_lambda;
        b -= ps_lambda;
    }
    __device__ __forceinline__ float gradient(float x, float y) const
    {
        return factor * expf(lp.s(x)) * (-lambda(lp.delta(x, y)) - k_sm);
    }
};

struct TermSums
{
    float a, b;
};

// One pass over the row: this thread's sums of terms (when kSum) and, when kWrite, the gradient written over d — each
// vector's logits are read before its gradient is stored, so d may alias x.
template <bool kSum, bool kWrite, typename T, typename Terms>
__device__ __forceinline__ TermSums walk_row(const RowVectors<T>& row, const Terms& terms, bool backward)
{
    constexpr int W = RowVectors<T>::W;
    TermSums sums = {0.0f, 0.0f};
    for (int64 i = threadIdx.x; i < row.count; i += blockDim.x) {
        int64 q = row.visit(i, backward);
        float xs[W], ys[W], gs[W];
        uint32 mask = row.load(xs, ys, q);
        for (int k = 0; k < W; ++k) {
            if (!((mask >> k) & 1u)) continue;
            if (kSum) terms.terms(xs[k], ys[k], sums.a, sums.b);
            if (kWrite) gs[k] = terms.gradient(xs[k], ys[k]);
        }
        if (kWrite) row.store(q, gs, mask);
    }
    return sums;
}

// s·e^(m − to): an online sum kept relative to max m, moved to max to ≥ m (an empty sum, m = -inf, stays 0).
__device__ __forceinline__ float rescale(float s, float m, float to) { return m == -GKD_INFINITY ? 0.0f : s * expf(m - to); }

// ---- The kernel --------------------------------------------------------------------------------------------------

// loss (N) f32 = the row losses; dstudent (N, V), when not null, = grad_scale·∂loss/∂student (may alias student);
// student, teacher (N, V). One block per row (grid N), any multiple of 32 threads up to 1024 (the kernels' launch bound).
template <typename T>
__device__ __forceinline__ void distill_loss(float* loss, T* dstudent, const T* student, const T* teacher, int64 v, float beta,
    float grad_scale)
{
    constexpr int W = RowVectors<T>::W;
    const int64 n = blockIdx.x;
    const RowVectors<T> row(dstudent ? dstudent + n * v : nullptr, student + n * v, teacher + n * v, v);
    const bool forward_kl = beta == 0.0f, reverse_kl = beta == 1.0f, gradient = dstudent != nullptr;

    // Pass 1: online maxima and sums of exp (ms, ss student; mt, st teacher; A for the reverse KL's gradient).
    float ms = -GKD_INFINITY, mt = -GKD_INFINITY, ss = 0.0f, st = 0.0f, sa = 0.0f;
    for (int64 q = threadIdx.x; q < row.count; q += blockDim.x) {
        float xs[W], ys[W];
        uint32 mask = row.load(xs, ys, q);
        float vx = xs[0], vy = ys[0];
        for (int k = 1; k < W; ++k) {
            vx = fmaxf(vx, xs[k]);
            vy = fmaxf(vy, ys[k]);
        }
        float nx = fmaxf(ms, vx), ny = fmaxf(mt, vy);
        if (nx != -GKD_INFINITY) {
            float scale = expf(ms - nx), sum = 0.0f, moment = 0.0f;
            for (int k = 0; k < W; ++k) {
                float e = expf(xs[k] - nx);
                sum += e;
                if (reverse_kl && gradient && ((mask >> k) & 1u)) moment += e * (xs[k] - ys[k]);
            }
            ss = ss * scale + sum;
            sa = sa * scale + moment;
            ms = nx;
        }
        if (ny != -GKD_INFINITY) {
            float sum = 0.0f;
            for (int k = 0; k < W; ++k) sum += expf(ys[k] - ny);
            st = st * expf(mt - ny) + sum;
            mt = ny;
        }
    }
    const float row_ms = gkd_block_max(ms), row_mt = gkd_block_max(mt);
    const float zs = gkd_block_sum(rescale(ss, ms, row_ms)), zt = gkd_block_sum(rescale(st, mt, row_mt));
    const LogProbs lp = {row_ms, logf(zs), row_mt, logf(zt), (row_mt - row_ms) + logf(zt / zs)};

    // Passes 2 and 3.
    float row_loss;
    if (forward_kl) {
        const ForwardKl terms = {lp, grad_scale};
        TermSums sums = gradient ? walk_row<true, true>(row, terms, true) : walk_row<true, false>(row, terms, true);
        row_loss = gkd_block_sum(sums.a);
    } else if (reverse_kl) {
        float kl = gradient ? lp.cd + gkd_block_sum(rescale(sa, ms, row_ms)) / zs : 0.0f;
        const ReverseKl terms = {lp, grad_scale, kl};
        TermSums sums = gradient ? walk_row<true, true>(row, terms, true) : walk_row<true, false>(row, terms, true);
        row_loss = gkd_block_sum(sums.a);
    } else {
        MixtureJsd terms = {lp, beta, logf(beta), logf(1.0f - beta), grad_scale * (1.0f - beta), 0.0f};
        TermSums sums = walk_row<true, false>(row, terms, true);
        row_loss = gkd_block_sum(sums.a);
        if (gradient) {
            terms.k_sm = gkd_block_sum(sums.b);
            walk_row<false, true>(row, terms, false);
        }
    }
    if (threadIdx.x == 0) loss[n] = row_loss;
}

// loss (N) f32; dstudent (N, V) f32 or null; student, teacher (N, V) f32; v = V.
extern "C" __global__ void __launch_bounds__(1024)
distill_loss_f32(float* loss, float* dstudent, const float* student, const float* teacher, int64 v, float beta,
    float grad_scale)
{
    distill_loss<float>(loss, dstudent, student, teacher, v, beta, grad_scale);
}

// loss (N) f32; dstudent (N, V) bf16 or null; student, teacher (N, V) bf16; v = V.
extern "C" __global__ void __launch_bounds__(1024)
distill_loss_bf16(float* loss, bf16* dstudent, const bf16* student, const bf16* teacher, int64 v, float beta,
    float grad_scale)
{
    distill_loss<bf16>(loss, dstudent, student, teacher, v, beta, grad_scale);
}
