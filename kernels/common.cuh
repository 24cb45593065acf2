// common.cuh — the one header every kernels/*.cu includes (`#include "common.cuh"`, no other includes).
//
// The same kernel text compiles under three compilers:
//   NVRTC        the GPU build; the runtime defines GKD_CUDA. CUDA's built-ins and math functions exist without
//                headers.
//   clang-14     the PTX check (-nocudainc, prelude.h force-included): only the built-in variables exist, so this
//                file supplies the CUDA device functions kernels use, mapped onto NVVM builtins.
//   g++          the CPU emulation (GKD_EMULATION defined, kernels/emulation/gkd_emulation.h force-included), which
//                supplies the same CUDA names over an emulated execution model.
//
// What kernels may use, on all three:
//   threadIdx, blockIdx, blockDim, gridDim, warpSize; __syncthreads(); __syncwarp(mask);
//   __shfl_sync / __shfl_xor_sync / __shfl_down_sync / __shfl_up_sync (mask, int|unsigned|float value, lane arg;
//   width is always 32); __ballot_sync, __any_sync, __all_sync; atomicAdd (float, int, unsigned, unsigned long
//   long), atomicMax / atomicMin (int, unsigned), atomicCAS (int, unsigned, unsigned long long), atomicExch (int,
//   unsigned, float); __threadfence(); __trap(); __float_as_uint, __uint_as_float, __float_as_int, __int_as_float;
//   expf exp2f logf log2f sqrtf rsqrtf tanhf erff sinf cosf powf fmaf floorf fabsf fmaxf fminf; min / max on int,
//   unsigned, long long;
//   and everything below: integer typedefs, bf16 conversion, grid-stride indices, typed (f32 / bf16) loads and
//   stores with 16-byte packs, lane/warp helpers, warp and block reductions, Philox, DYNAMIC_SHARED, GKD_ASSERT.
// Warp operations have full-mask semantics: every lane of the warp that has not exited takes part (pass
// 0xffffffff or gkd_warp_mask()); divergent partial masks, __activemask and shuffle widths below 32 are not
// supported. Declare static shared memory as `__shared__ T name[N];` inside the kernel or device function (never
// `static __shared__`, never `extern __shared__` — use DYNAMIC_SHARED). No uint3/dim3 locals, no printf.
// Architecture-specific code (Hopper's wgmma, TMA) goes behind `#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900`
// with a portable #else, which is what the sm_80 check and the emulation (no __CUDA_ARCH__) compile.
#ifndef GKD_COMMON_CUH
#define GKD_COMMON_CUH

#if defined(GKD_EMULATION)
#if !defined(GKD_EMULATION_H)
#error "the CPU emulation build force-includes kernels/emulation/gkd_emulation.h"
#endif
#elif defined(GKD_CUDA) || defined(__CUDACC_RTC__)
// NVRTC: CUDA's built-ins need no definitions here.
#elif defined(__clang__) && defined(__CUDA__)
#define GKD_CLANG_CHECK 1
#else
#error "common.cuh compiles under NVRTC (GKD_CUDA), clang-14's CUDA front end, or the emulation (GKD_EMULATION)"
#endif

typedef signed char int8;
typedef unsigned char uint8;
typedef short int16;
typedef unsigned short uint16;
typedef int int32;
typedef unsigned int uint32;
typedef long long int64;
typedef unsigned long long uint64;

// bf16 is stored raw: the upper half of an IEEE f32. Convert only through gkd_bf16_to_f32 / gkd_f32_to_bf16.
typedef unsigned short bf16;

#if defined(GKD_CLANG_CHECK)
// -nocudainc leaves only the built-in variables and __syncthreads; these are the CUDA device functions kernels use,
// as clang's own CUDA headers define them. Approximate math is fine here: this code is compiled, never run.
// Without a CUDA installation clang enables no PTX ISA features, so the *_sync builtins are unlocked per function
// with target("ptx70") (sm_80's PTX ISA; such functions cannot also be always_inline).
#define GKD_DEV __device__ __forceinline__
#define GKD_DEV_SYNC __device__ inline __attribute__((target("ptx70")))

GKD_DEV_SYNC void __syncwarp(unsigned mask = 0xffffffffu) { __nvvm_bar_warp_sync(mask); }

GKD_DEV_SYNC int __shfl_sync(unsigned mask, int v, int src) { return __nvvm_shfl_sync_idx_i32(mask, v, src, 0x1f); }
GKD_DEV_SYNC float __shfl_sync(unsigned mask, float v, int src) { return __nvvm_shfl_sync_idx_f32(mask, v, src, 0x1f); }
GKD_DEV_SYNC unsigned __shfl_sync(unsigned mask, unsigned v, int src) { return (unsigned)__shfl_sync(mask, (int)v, src); }
GKD_DEV_SYNC int __shfl_xor_sync(unsigned mask, int v, int m) { return __nvvm_shfl_sync_bfly_i32(mask, v, m, 0x1f); }
GKD_DEV_SYNC float __shfl_xor_sync(unsigned mask, float v, int m) { return __nvvm_shfl_sync_bfly_f32(mask, v, m, 0x1f); }
GKD_DEV_SYNC unsigned __shfl_xor_sync(unsigned mask, unsigned v, int m) { return (unsigned)__shfl_xor_sync(mask, (int)v, m); }
GKD_DEV_SYNC int __shfl_down_sync(unsigned mask, int v, unsigned d) { return __nvvm_shfl_sync_down_i32(mask, v, d, 0x1f); }
GKD_DEV_SYNC float __shfl_down_sync(unsigned mask, float v, unsigned d) { return __nvvm_shfl_sync_down_f32(mask, v, d, 0x1f); }
GKD_DEV_SYNC unsigned __shfl_down_sync(unsigned mask, unsigned v, unsigned d) { return (unsigned)__shfl_down_sync(mask, (int)v, d); }
GKD_DEV_SYNC int __shfl_up_sync(unsigned mask, int v, unsigned d) { return __nvvm_shfl_sync_up_i32(mask, v, d, 0); }
GKD_DEV_SYNC float __shfl_up_sync(unsigned mask, float v, unsigned d) { return __nvvm_shfl_sync_up_f32(mask, v, d, 0); }
GKD_DEV_SYNC unsigned __shfl_up_sync(unsigned mask, unsigned v, unsigned d) { return (unsigned)__shfl_up_sync(mask, (int)v, d); }
GKD_DEV_SYNC unsigned __ballot_sync(unsigned mask, int pred) { return __nvvm_vote_ballot_sync(mask, pred); }
GKD_DEV_SYNC int __any_sync(unsigned mask, int pred) { return __nvvm_vote_any_sync(mask, pred); }
GKD_DEV_SYNC int __all_sync(unsigned mask, int pred) { return __nvvm_vote_all_sync(mask, pred); }

GKD_DEV float atomicAdd(float* p, float v) { return __nvvm_atom_add_gen_f(p, v); }
GKD_DEV int atomicAdd(int* p, int v) { return __nvvm_atom_add_gen_i(p, v); }
GKD_DEV unsigned atomicAdd(unsigned* p, unsigned v) { return (unsigned)__nvvm_atom_add_gen_i((int*)p, (int)v); }
GKD_DEV unsigned long long atomicAdd(unsigned long long* p, unsigned long long v)
{
    return (unsigned long long)__nvvm_atom_add_gen_ll((long long*)p, (long long)v);
}
GKD_DEV int atomicMax(int* p, int v) { return __nvvm_atom_max_gen_i(p, v); }
GKD_DEV unsigned atomicMax(unsigned* p, unsigned v) { return __nvvm_atom_max_gen_ui(p, v); }
GKD_DEV int atomicMin(int* p, int v) { return __nvvm_atom_min_gen_i(p, v); }
GKD_DEV unsigned atomicMin(unsigned* p, unsigned v) { return __nvvm_atom_min_gen_ui(p, v); }
GKD_DEV int atomicCAS(int* p, int cmp, int v) { return __nvvm_atom_cas_gen_i(p, cmp, v); }
GKD_DEV unsigned atomicCAS(unsigned* p, unsigned cmp, unsigned v)
{
    return (unsigned)__nvvm_atom_cas_gen_i((int*)p, (int)cmp, (int)v);
}
GKD_DEV unsigned long long atomicCAS(unsigned long long* p, unsigned long long cmp, unsigned long long v)
{
    return (unsigned long long)__nvvm_atom_cas_gen_ll((long long*)p, (long long)cmp, (long long)v);
}
GKD_DEV int atomicExch(int* p, int v) { return __nvvm_atom_xchg_gen_i(p, v); }
GKD_DEV unsigned atomicExch(unsigned* p, unsigned v) { return (unsigned)__nvvm_atom_xchg_gen_i((int*)p, (int)v); }
GKD_DEV float atomicExch(float* p, float v)
{
    return __nvvm_bitcast_i2f(__nvvm_atom_xchg_gen_i((int*)p, __nvvm_bitcast_f2i(v)));
}
GKD_DEV void __threadfence() { __nvvm_membar_gl(); }
GKD_DEV void __trap() { __asm__ __volatile__("trap;"); }

GKD_DEV unsigned __float_as_uint(float x) { return (unsigned)__nvvm_bitcast_f2i(x); }
GKD_DEV float __uint_as_float(unsigned x) { return __nvvm_bitcast_i2f((int)x); }
GKD_DEV int __float_as_int(float x) { return __nvvm_bitcast_f2i(x); }
GKD_DEV float __int_as_float(int x) { return __nvvm_bitcast_i2f(x); }

GKD_DEV float exp2f(float x) { return __nvvm_ex2_approx_f(x); }
GKD_DEV float expf(float x) { return __nvvm_ex2_approx_f(x * 1.44269504088896341f); }
GKD_DEV float log2f(float x) { return __nvvm_lg2_approx_f(x); }
GKD_DEV float logf(float x) { return __nvvm_lg2_approx_f(x) * 0.693147180559945309f; }
GKD_DEV float sqrtf(float x) { return __nvvm_sqrt_rn_f(x); }
GKD_DEV float rsqrtf(float x) { return __nvvm_rsqrt_approx_f(x); }
GKD_DEV float fabsf(float x) { return __nvvm_fabs_f(x); }
GKD_DEV float fmaxf(float a, float b) { return __nvvm_fmax_f(a, b); }
GKD_DEV float fminf(float a, float b) { return __nvvm_fmin_f(a, b); }
GKD_DEV float fmaf(float a, float b, float c) { return __nvvm_fma_rn_f(a, b, c); }
GKD_DEV float floorf(float x) { return __nvvm_floor_f(x); }
GKD_DEV float sinf(float x) { return __nvvm_sin_approx_f(x); }
GKD_DEV float cosf(float x) { return __nvvm_cos_approx_f(x); }
GKD_DEV float powf(float x, float y) { return __nvvm_ex2_approx_f(y * __nvvm_lg2_approx_f(x)); }
GKD_DEV float tanhf(float x) { return 1.0f - 2.0f / (expf(2.0f * x) + 1.0f); }
GKD_DEV float erff(float x)
{
    // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
    float a = fabsf(x), t = 1.0f / (1.0f + 0.3275911f * a);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float r = 1.0f - poly * expf(-a * a);
    return x < 0.0f ? -r : r;
}

GKD_DEV int min(int a, int b) { return a < b ? a : b; }
GKD_DEV int max(int a, int b) { return a > b ? a : b; }
GKD_DEV unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
GKD_DEV unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
GKD_DEV long long min(long long a, long long b) { return a < b ? a : b; }
GKD_DEV long long max(long long a, long long b) { return a > b ? a : b; }
#undef GKD_DEV
#undef GKD_DEV_SYNC
#endif

#define GKD_WARP_SIZE 32
#define GKD_INFINITY __int_as_float(0x7f800000)
#define GKD_FLT_MAX 3.402823466e+38f

// ---- Dynamic shared memory and assertions ------------------------------------------------------------------------

// DYNAMIC_SHARED(float, buf); declares `float* buf` over the launch's dynamic shared memory (16-byte aligned).
// Every use in a kernel aliases the same bytes, as `extern __shared__` does.
#if defined(GKD_EMULATION)
#define DYNAMIC_SHARED(type, name) type* name = reinterpret_cast<type*>(::gkd_emu::dynamic_shared())
#else
#define DYNAMIC_SHARED(type, name)                                                                                    \
    extern __shared__ __attribute__((aligned(16))) unsigned char gkd_dynamic_shared_bytes[];                          \
    type* name = reinterpret_cast<type*>(gkd_dynamic_shared_bytes)
#endif

// GKD_ASSERT(cond): traps when cond is false — the launch fails (under emulation with the condition, file, block and
// thread in the error; on the GPU as an illegal-instruction fault at the next synchronisation).
#if defined(GKD_EMULATION)
#define GKD_ASSERT(cond)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) ::gkd_emu::trap("GKD_ASSERT(" #cond ") failed", __FILE__, __LINE__);                            \
    } while (0)
#else
#define GKD_ASSERT(cond)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) __trap();                                                                                        \
    } while (0)
#endif

// ---- Float classification ----------------------------------------------------------------------------------------

__device__ __forceinline__ bool gkd_isnan(float x) { return (__float_as_uint(x) & 0x7fffffffu) > 0x7f800000u; }
__device__ __forceinline__ bool gkd_isinf(float x) { return (__float_as_uint(x) & 0x7fffffffu) == 0x7f800000u; }

// ---- bf16 <-> f32 (bit-exact with Gkd.Native.Core.Tensors.BFloat16Bits) ------------------------------------------

__device__ __forceinline__ float gkd_bf16_to_f32(bf16 b) { return __uint_as_float(((uint32)b) << 16); }

// Round to nearest even; NaN stays NaN with the quiet bit set; overflow rounds to ±inf.
__device__ __forceinline__ bf16 gkd_f32_to_bf16(float f)
{
    uint32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

// ---- Grid-stride loops and typed element access (f32 math over f32 or bf16 storage) ------------------------------
// A grid-stride loop over x: for (int64 i = gkd_grid_index(); i < n; i += gkd_grid_stride()).
// gkd_load / gkd_store convert one element. gkd_load8 / gkd_store8 move 8 consecutive elements with 16-byte
// accesses (two for f32, one for bf16); p must be 16-byte aligned, which holds for element 8k of a buffer whose
// start is (gkd_aligned16), in either dtype.

__device__ __forceinline__ int64 gkd_grid_index() { return (int64)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64 gkd_grid_stride() { return (int64)blockDim.x * gridDim.x; }

__device__ __forceinline__ float gkd_load(const float* p) { return *p; }
__device__ __forceinline__ float gkd_load(const bf16* p) { return gkd_bf16_to_f32(*p); }
__device__ __forceinline__ void gkd_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void gkd_store(bf16* p, float v) { *p = gkd_f32_to_bf16(v); }

struct alignas(16) gkd_f32x4
{
    float v[4];
};

// 8 bf16 as four little-endian 32-bit words (element 2k in the low half of word k), so the copy is one 16-byte
// access under every compiler (a struct of eight 16-bit fields may be split).
struct alignas(16) gkd_bf16x8
{
    uint32 w[4];
};

__device__ __forceinline__ bool gkd_aligned16(const void* p) { return ((uint64)p & 15u) == 0u; }

// v (8) = p[0 … 8)
__device__ __forceinline__ void gkd_load8(float (&v)[8], const float* p)
{
    gkd_f32x4 lo = reinterpret_cast<const gkd_f32x4*>(p)[0], hi = reinterpret_cast<const gkd_f32x4*>(p)[1];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        v[k] = lo.v[k];
        v[k + 4] = hi.v[k];
    }
}

__device__ __forceinline__ void gkd_load8(float (&v)[8], const bf16* p)
{
    gkd_bf16x8 b = *reinterpret_cast<const gkd_bf16x8*>(p);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        v[2 * k] = __uint_as_float(b.w[k] << 16);
        v[2 * k + 1] = __uint_as_float(b.w[k] & 0xffff0000u);
    }
}

// p[0 … 8) = v (8)
__device__ __forceinline__ void gkd_store8(float* p, const float (&v)[8])
{
    gkd_f32x4 lo, hi;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        lo.v[k] = v[k];
        hi.v[k] = v[k + 4];
    }
    reinterpret_cast<gkd_f32x4*>(p)[0] = lo;
    reinterpret_cast<gkd_f32x4*>(p)[1] = hi;
}

__device__ __forceinline__ void gkd_store8(bf16* p, const float (&v)[8])
{
    gkd_bf16x8 b;
#pragma unroll
    for (int k = 0; k < 4; ++k) b.w[k] = (uint32)gkd_f32_to_bf16(v[2 * k]) | ((uint32)gkd_f32_to_bf16(v[2 * k + 1]) << 16);
    *reinterpret_cast<gkd_bf16x8*>(p) = b;
}

// ---- Thread, lane and warp indices -------------------------------------------------------------------------------

__device__ __forceinline__ uint32 gkd_block_threads() { return blockDim.x * blockDim.y * blockDim.z; }

// The thread's linear index in its block (x fastest), which is what CUDA packs into warps.
__device__ __forceinline__ uint32 gkd_thread_rank()
{
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

__device__ __forceinline__ uint32 gkd_lane_id() { return gkd_thread_rank() & 31u; }
__device__ __forceinline__ uint32 gkd_warp_id() { return gkd_thread_rank() >> 5; }

// Lanes that exist in this thread's warp: 32, or fewer in a block's last, partial warp.
__device__ __forceinline__ uint32 gkd_warp_lanes()
{
    uint32 rest = gkd_block_threads() - (gkd_thread_rank() & ~31u);
    return rest < 32u ? rest : 32u;
}

// The mask naming every existing lane of this thread's warp.
__device__ __forceinline__ uint32 gkd_warp_mask()
{
    uint32 lanes = gkd_warp_lanes();
    return lanes == 32u ? 0xffffffffu : (1u << lanes) - 1u;
}

// ---- Warp and block reductions (every thread of the warp / block must call; all receive the result) -------------

__device__ __forceinline__ float gkd_warp_sum(float v)
{
    uint32 lanes = gkd_warp_lanes();
    if (lanes == 32u) {
        for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
        return v;
    }
    uint32 mask = gkd_warp_mask(), lane = gkd_lane_id();
    for (uint32 offset = 16; offset > 0; offset >>= 1) {
        float other = __shfl_down_sync(mask, v, offset);
        if (lane + offset < lanes) v += other;
    }
    return __shfl_sync(mask, v, 0);
}

__device__ __forceinline__ float gkd_warp_max(float v)
{
    uint32 lanes = gkd_warp_lanes();
    if (lanes == 32u) {
        for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
        return v;
    }
    uint32 mask = gkd_warp_mask(), lane = gkd_lane_id();
    for (uint32 offset = 16; offset > 0; offset >>= 1) {
        float other = __shfl_down_sync(mask, v, offset);
        if (lane + offset < lanes) v = fmaxf(v, other);
    }
    return __shfl_sync(mask, v, 0);
}

// Sum over the block: warp sums, one partial per warp in shared memory, then every thread adds the partials in warp
// order, so all threads hold the identical total (deterministic for a given block shape). Safe to call repeatedly:
// it syncs before reusing its storage.
__device__ __forceinline__ float gkd_block_sum(float v)
{
    __shared__ float gkd_block_sum_partials[32];
    v = gkd_warp_sum(v);
    __syncthreads();
    if (gkd_lane_id() == 0) gkd_block_sum_partials[gkd_warp_id()] = v;
    __syncthreads();
    uint32 warps = (gkd_block_threads() + 31u) >> 5;
    float total = gkd_block_sum_partials[0];
    for (uint32 w = 1; w < warps; ++w) total += gkd_block_sum_partials[w];
    return total;
}

__device__ __forceinline__ float gkd_block_max(float v)
{
    __shared__ float gkd_block_max_partials[32];
    v = gkd_warp_max(v);
    __syncthreads();
    if (gkd_lane_id() == 0) gkd_block_max_partials[gkd_warp_id()] = v;
    __syncthreads();
    uint32 warps = (gkd_block_threads() + 31u) >> 5;
    float total = gkd_block_max_partials[0];
    for (uint32 w = 1; w < warps; ++w) total = fmaxf(total, gkd_block_max_partials[w]);
    return total;
}

// ---- Philox4x32-10 (bit-identical to Gkd.Native.Core.Random.Philox) ---------------------------------------------

struct gkd_philox_block
{
    uint32 x0, x1, x2, x3;
};

// The four words of counter (c0, c1, c2, c3) under key (k0, k1): ten rounds, the key bumped after each.
__device__ __forceinline__ gkd_philox_block gkd_philox4x32_10(uint32 c0, uint32 c1, uint32 c2, uint32 c3, uint32 k0,
                                                             uint32 k1)
{
    for (int round = 0; round < 10; ++round) {
        uint64 p0 = (uint64)0xD2511F53u * c0;
        uint64 p1 = (uint64)0xCD9E8D57u * c2;
        uint32 n0 = (uint32)(p1 >> 32) ^ c1 ^ k0;
        uint32 n2 = (uint32)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32)p1;
        c3 = (uint32)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    gkd_philox_block r = {c0, c1, c2, c3};
    return r;
}

// The block holding elements 4q … 4q+3 of the stream for seed: key (seed lo, seed hi), counter (q lo, q hi, 0, 0).
__device__ __forceinline__ gkd_philox_block gkd_philox_stream_block(uint64 seed, uint64 q)
{
    return gkd_philox4x32_10((uint32)q, (uint32)(q >> 32), 0u, 0u, (uint32)seed, (uint32)(seed >> 32));
}

// A word as a uniform float in [0, 1): its top 24 bits times 2^-24 (exact in f32).
__device__ __forceinline__ float gkd_philox_to_uniform(uint32 word) { return (float)(word >> 8) * (1.0f / 16777216.0f); }

// Element `index` of the stream for `seed` as a uniform float in [0, 1).
__device__ __forceinline__ float gkd_philox_uniform(uint64 seed, uint64 index)
{
    gkd_philox_block b = gkd_philox_stream_block(seed, index >> 2);
    uint32 lane = (uint32)(index & 3u);
    uint32 word = lane == 0u ? b.x0 : lane == 1u ? b.x1 : lane == 2u ? b.x2 : b.x3;
    return gkd_philox_to_uniform(word);
}

#endif
