// gkd_emulation.h — the CUDA execution model on the CPU, for g++ (-DGKD_EMULATION -include gkd_emulation.h).
//
// A kernel file compiles as C++ against this header: the CUDA keywords become C++ (`__shared__` is
// `static thread_local`, one copy per OS thread, and each OS thread runs one block at a time), the built-in
// variables read the current emulated thread, and __syncthreads / warp operations / __trap call into
// gkd_emulation.cpp. There every thread of a block is a coroutine on its own stack (GKD_EMU_STACK_KIB, default 64);
// the block's threads run on one OS thread, switching only at __syncthreads (a real barrier over the block's
// non-exited threads) and at warp operations (the non-exited lanes of a warp meet, exchange their values and go on
// together). The blocks of a grid run in parallel on GKD_EMU_THREADS OS threads (default: every core), so atomics
// are real atomics. A trap, a warp operation with a mask missing a live lane, or a deadlock fails the launch with a
// message (gkd_emu_last_error) instead of killing the process.
//
// The C# side launches through `int gkd_emu_launch_<kernel>(gx, gy, gz, bx, by, bz, dynamicSharedBytes, args)`,
// generated per kernel with GKD_EMU_TRAMPOLINE(kernel); args is cuLaunchKernel's kernelParams (args[i] points at
// parameter i's value). It returns 0, or -1 with the message in gkd_emu_last_error().
#ifndef GKD_EMULATION_H
#define GKD_EMULATION_H

#include <cmath>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __shared__ static thread_local
#define __constant__ const
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

namespace gkd_emu {

struct Index3
{
    unsigned int x, y, z;
};

// The running block's blockIdx, blockDim and gridDim.
struct BlockIndices
{
    Index3 index, dim, grid;
};

extern thread_local const Index3* t_thread_idx;
extern thread_local BlockIndices t_block;

enum class WarpOp { Idx, Xor, Down, Up, Ballot, Any, All, Sync };

// Lanes meet: every non-exited lane of the warp must arrive with a mask that names it and all other live lanes.
unsigned int warp_collective(WarpOp op, unsigned int mask, unsigned int value, unsigned int arg);
void syncthreads();
void* dynamic_shared();
[[noreturn]] void trap(const char* what, const char* file, int line);

inline const Index3& block_idx() { return t_block.index; }
inline const Index3& block_dim() { return t_block.dim; }
inline const Index3& grid_dim() { return t_block.grid; }

template <typename T>
inline unsigned int to_bits(T v)
{
    static_assert(sizeof(T) == 4, "warp operations move 32-bit values");
    unsigned int u;
    std::memcpy(&u, &v, 4);
    return u;
}

template <typename T>
inline T from_bits(unsigned int u)
{
    T v;
    std::memcpy(&v, &u, 4);
    return v;
}

template <typename T>
inline T shuffle(WarpOp op, unsigned int mask, T v, unsigned int arg)
{
    return from_bits<T>(warp_collective(op, mask, to_bits(v), arg));
}

template <typename T, typename F>
inline T atomic_update(T* p, F f)
{
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(p, &old, f(old), true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}

// Launches `invoke(ctx)` as every thread of every block; 0 on success, -1 with the message in gkd_emu_last_error().
int launch(void (*invoke)(const void*), const void* ctx, unsigned int gx, unsigned int gy, unsigned int gz,
    unsigned int bx, unsigned int by, unsigned int bz, int dynamic_shared_bytes);

template <typename... A>
struct KernelCall
{
    void (*kernel)(A...);
    std::tuple<std::decay_t<A>...> params;

    template <std::size_t... I>
    void run(std::index_sequence<I...>) const
    {
        kernel(std::get<I>(params)...);
    }

    static void invoke(const void* self)
    {
        static_cast<const KernelCall*>(self)->run(std::index_sequence_for<A...>{});
    }
};

template <typename... A, std::size_t... I>
inline KernelCall<A...> unpack(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    return KernelCall<A...>{kernel, std::tuple<std::decay_t<A>...>(*static_cast<std::decay_t<A>*>(args[I])...)};
}

template <typename... A>
inline int launch_kernel(void (*kernel)(A...), unsigned int gx, unsigned int gy, unsigned int gz,
    unsigned int bx, unsigned int by, unsigned int bz, int dynamic_shared_bytes, void** args)
{
    const KernelCall<A...> call = unpack(kernel, args, std::index_sequence_for<A...>{});
    return launch(&KernelCall<A...>::invoke, &call, gx, gy, gz, bx, by, bz, dynamic_shared_bytes);
}

} // namespace gkd_emu

#define GKD_EMU_TRAMPOLINE(kernel)                                                                                    \
    extern "C" __attribute__((visibility("default"))) int gkd_emu_launch_##kernel(unsigned int gx, unsigned int gy,   \
        unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, int dynamic_shared_bytes, void** args)    \
    {                                                                                                                 \
        return ::gkd_emu::launch_kernel(&kernel, gx, gy, gz, bx, by, bz, dynamic_shared_bytes, args);                 \
    }

// ---- The CUDA built-ins kernels use ------------------------------------------------------------------------------

#define threadIdx (*::gkd_emu::t_thread_idx)
#define blockIdx (::gkd_emu::block_idx())
#define blockDim (::gkd_emu::block_dim())
#define gridDim (::gkd_emu::grid_dim())
#define __trap() ::gkd_emu::trap("__trap()", __FILE__, __LINE__)

constexpr int warpSize = 32;

inline void __syncthreads() { ::gkd_emu::syncthreads(); }
inline void __syncwarp(unsigned int mask = 0xffffffffu) { ::gkd_emu::warp_collective(::gkd_emu::WarpOp::Sync, mask, 0, 0); }

#define GKD_EMU_SHUFFLES(T)                                                                                           \
    inline T __shfl_sync(unsigned int mask, T v, int src)                                                             \
    {                                                                                                                 \
        return ::gkd_emu::shuffle(::gkd_emu::WarpOp::Idx, mask, v, (unsigned int)src);                               \
    }                                                                                                                 \
    inline T __shfl_xor_sync(unsigned int mask, T v, int lane_mask)                                                   \
    {                                                                                                                 \
        return ::gkd_emu::shuffle(::gkd_emu::WarpOp::Xor, mask, v, (unsigned int)lane_mask);                         \
    }                                                                                                                 \
    inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta)                                             \
    {                                                                                                                 \
        return ::gkd_emu::shuffle(::gkd_emu::WarpOp::Down, mask, v, delta);                                           \
    }                                                                                                                 \
    inline T __shfl_up_sync(unsigned int mask, T v, unsigned int delta)                                               \
    {                                                                                                                 \
        return ::gkd_emu::shuffle(::gkd_emu::WarpOp::Up, mask, v, delta);                                             \
    }
GKD_EMU_SHUFFLES(int)
GKD_EMU_SHUFFLES(unsigned int)
GKD_EMU_SHUFFLES(float)
#undef GKD_EMU_SHUFFLES

inline unsigned int __ballot_sync(unsigned int mask, int pred)
{
    return ::gkd_emu::warp_collective(::gkd_emu::WarpOp::Ballot, mask, pred != 0, 0);
}
inline int __any_sync(unsigned int mask, int pred)
{
    return (int)::gkd_emu::warp_collective(::gkd_emu::WarpOp::Any, mask, pred != 0, 0);
}
inline int __all_sync(unsigned int mask, int pred)
{
    return (int)::gkd_emu::warp_collective(::gkd_emu::WarpOp::All, mask, pred != 0, 0);
}

inline float atomicAdd(float* p, float v)
{
    unsigned int old = ::gkd_emu::atomic_update(reinterpret_cast<unsigned int*>(p), [v](unsigned int bits) {
        return ::gkd_emu::to_bits(::gkd_emu::from_bits<float>(bits) + v);
    });
    return ::gkd_emu::from_bits<float>(old);
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
inline int atomicMax(int* p, int v) { return ::gkd_emu::atomic_update(p, [v](int o) { return o > v ? o : v; }); }
inline unsigned int atomicMax(unsigned int* p, unsigned int v)
{
    return ::gkd_emu::atomic_update(p, [v](unsigned int o) { return o > v ? o : v; });
}
inline int atomicMin(int* p, int v) { return ::gkd_emu::atomic_update(p, [v](int o) { return o < v ? o : v; }); }
inline unsigned int atomicMin(unsigned int* p, unsigned int v)
{
    return ::gkd_emu::atomic_update(p, [v](unsigned int o) { return o < v ? o : v; });
}
inline int atomicCAS(int* p, int cmp, int v)
{
    __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return cmp;
}
inline unsigned int atomicCAS(unsigned int* p, unsigned int cmp, unsigned int v)
{
    __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return cmp;
}
inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long cmp, unsigned long long v)
{
    __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return cmp;
}
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
inline unsigned int atomicExch(unsigned int* p, unsigned int v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
inline float atomicExch(float* p, float v)
{
    return ::gkd_emu::from_bits<float>(
        __atomic_exchange_n(reinterpret_cast<unsigned int*>(p), ::gkd_emu::to_bits(v), __ATOMIC_RELAXED));
}
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

inline unsigned int __float_as_uint(float x) { return ::gkd_emu::to_bits(x); }
inline float __uint_as_float(unsigned int x) { return ::gkd_emu::from_bits<float>(x); }
inline int __float_as_int(float x) { return (int)::gkd_emu::to_bits(x); }
inline float __int_as_float(int x) { return ::gkd_emu::from_bits<float>((unsigned int)x); }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }

#endif
