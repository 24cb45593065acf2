// Test-only kernels that exercise the CUDA execution model as kernels/common.cuh exposes it: barriers, shared and
// dynamic shared memory, warp shuffles and votes (partial warps, exited lanes), atomics, odd 2-D/3-D shapes, traps,
// Philox, math. Run under the CPU emulation by EmulationProbeTests and compiled to PTX by the clang check.
#include "common.cuh"

// out (blocks, n): after each of `rounds` barriers every thread adds its right neighbour's value.
extern "C" __global__ void probe_barrier_neighbour(int* out, int rounds)
{
    __shared__ int values[1024];
    uint32 t = gkd_thread_rank(), n = gkd_block_threads();
    int acc = 0;
    for (int r = 0; r < rounds; ++r) {
        values[t] = (int)t * (r + 1) + (int)blockIdx.x;
        __syncthreads();
        acc += values[(t + 1) % n];
        __syncthreads();
    }
    out[blockIdx.x * n + t] = acc;
}

// out (blocks) = sum of in (blocks, n) per block by a shared-memory tree; n a power of two.
extern "C" __global__ void probe_tree_reduce(float* out, const float* in)
{
    __shared__ float partial[1024];
    uint32 t = threadIdx.x, n = blockDim.x;
    partial[t] = in[blockIdx.x * n + t];
    __syncthreads();
    for (uint32 s = n / 2; s > 0; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = partial[0];
}

// xor_out (threads) = warp sum by a butterfly (every lane); down_out (warps) = warp sum by shfl_down (lane 0).
extern "C" __global__ void probe_warp_reduce(float* xor_out, float* down_out, const float* in)
{
    uint32 gid = blockIdx.x * blockDim.x + threadIdx.x;
    float v = in[gid], w = v;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    for (uint32 offset = 16; offset > 0; offset >>= 1) w += __shfl_down_sync(0xffffffffu, w, offset);
    xor_out[gid] = v;
    if (gkd_lane_id() == 0) down_out[gid / 32] = w;
}

// sums (blocks, 2), maxes (blocks) over in (blocks, threads): gkd_block_sum twice (storage reuse), gkd_block_max,
// checked in every thread.
extern "C" __global__ void probe_block_reduce(float* sums, float* maxes, int* disagreements, const float* in)
{
    uint32 n = gkd_block_threads(), t = gkd_thread_rank();
    float v = in[blockIdx.x * n + t];
    float s1 = gkd_block_sum(v);
    float s2 = gkd_block_sum(2.0f * v);
    float m = gkd_block_max(v);
    if (t == 0) {
        sums[2 * blockIdx.x] = s1;
        sums[2 * blockIdx.x + 1] = s2;
        maxes[blockIdx.x] = m;
    }
    __syncthreads();
    if (s1 != sums[2 * blockIdx.x] || s2 != sums[2 * blockIdx.x + 1] || m != maxes[blockIdx.x])
        atomicAdd(disagreements, 1);
}

// out (threads, 4): shfl_up by 3, shfl_down by 5, shfl from lane (7·lane) mod 32, shfl_xor 9 of in, with the
// warp's exact mask (the last warp may be partial).
extern "C" __global__ void probe_shuffles(int* out, const int* in)
{
    uint32 t = gkd_thread_rank(), mask = gkd_warp_mask();
    int v = in[t];
    out[4 * t + 0] = __shfl_up_sync(mask, v, 3u);
    out[4 * t + 1] = __shfl_down_sync(mask, v, 5u);
    out[4 * t + 2] = __shfl_sync(mask, v, (int)((gkd_lane_id() * 7u) & 31u));
    out[4 * t + 3] = __shfl_xor_sync(mask, v, 9);
}

// Threads with rank >= live exit at once; the rest vote, pass a barrier and vote again.
// out (threads, 5): ballot(rank % 3 == 0), any(rank % 37 == 0), all(rank % 2 == 0), all(true), ballot after the
// barrier of (rank % 4 == 1).
extern "C" __global__ void probe_votes(uint32* out, int live)
{
    uint32 t = gkd_thread_rank();
    if ((int)t >= live) return;
    out[5 * t + 0] = __ballot_sync(0xffffffffu, t % 3 == 0);
    out[5 * t + 1] = (uint32)__any_sync(0xffffffffu, t % 37 == 0);
    out[5 * t + 2] = (uint32)__all_sync(0xffffffffu, t % 2 == 0);
    out[5 * t + 3] = (uint32)__all_sync(0xffffffffu, 1);
    __syncthreads();
    __syncwarp();
    out[5 * t + 4] = __ballot_sync(0xffffffffu, t % 4 == 1);
}

// Every thread of the grid adds to the counters.
// ints: [0] += 1, [1] += rank, [2] max= (gid·7919) mod 10007, [3] min= (gid·13) mod 10009 + 5; f32 [0] += 1;
// u64 [0] += gid; cas [0] += 1 through an atomicCAS loop; exch: thread gid 0 swaps in 42.
extern "C" __global__ void probe_atomics(int* ints, float* floats, uint64* u64, uint32* cas, float* exch)
{
    uint32 rank = gkd_thread_rank();
    uint64 gid = (uint64)blockIdx.x * gkd_block_threads() + rank;
    atomicAdd(&ints[0], 1);
    atomicAdd(&ints[1], (int)rank);
    atomicMax(&ints[2], (int)(gid * 7919u % 10007u));
    atomicMin(&ints[3], (int)(gid * 13u % 10009u) + 5);
    atomicAdd(&floats[0], 1.0f);
    atomicAdd(u64, gid);
    uint32 old = cas[0], assumed;
    do {
        assumed = old;
        old = atomicCAS(cas, assumed, assumed + 1u);
    } while (old != assumed);
    if (gid == 0) atomicExch(exch, 42.0f);
}

// out (blocks, n): the block fills n ints of dynamic shared memory, then reads them back reversed; a float view of
// the same bytes shows the aliasing.
extern "C" __global__ void probe_dynamic_shared(int* out, float* first_as_float, int n)
{
    DYNAMIC_SHARED(int, buffer);
    for (int i = (int)threadIdx.x; i < n; i += (int)blockDim.x) buffer[i] = i * 3 + (int)blockIdx.x;
    __syncthreads();
    for (int i = (int)threadIdx.x; i < n; i += (int)blockDim.x) out[blockIdx.x * n + i] = buffer[n - 1 - i];
    DYNAMIC_SHARED(float, view);
    if (threadIdx.x == 0) first_as_float[blockIdx.x] = view[0];
}

// out (grid threads, 8): threadIdx, blockIdx, blockDim and gridDim (packed x·10⁶ + y·10³ + z) at the thread's
// global linear index.
extern "C" __global__ void probe_shapes(uint32* out)
{
    uint32 block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    uint32 gid = block * gkd_block_threads() + gkd_thread_rank();
    uint32* o = out + 8 * gid;
    o[0] = threadIdx.x;
    o[1] = threadIdx.y;
    o[2] = threadIdx.z;
    o[3] = blockIdx.x;
    o[4] = blockIdx.y;
    o[5] = blockIdx.z;
    o[6] = blockDim.x * 1000000u + blockDim.y * 1000u + blockDim.z;
    o[7] = gridDim.x * 1000000u + gridDim.y * 1000u + gridDim.z;
}

// out (n) = 2·in + 1 over a grid-stride loop.
extern "C" __global__ void probe_grid_stride(float* out, const float* in, int64 n)
{
    int64 stride = (int64)blockDim.x * gridDim.x;
    for (int64 i = (int64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = 2.0f * in[i] + 1.0f;
}

// Thread `bad` of block 1 fails an assertion; the others mark out and wait at a barrier.
extern "C" __global__ void probe_assert(int* out, int bad)
{
    int t = (int)gkd_thread_rank();
    if (blockIdx.x == 1 && t == bad) GKD_ASSERT(t != bad);
    out[blockIdx.x * gkd_block_threads() + t] = 1;
    __syncthreads();
}

extern "C" __global__ void probe_trap(int* out)
{
    if (threadIdx.x == 3) __trap();
    out[threadIdx.x] = 1;
}

// Lane 0 of warp 0 waits at the block barrier while its other lanes wait at __syncwarp: neither can complete.
extern "C" __global__ void probe_deadlock(int* out)
{
    if (threadIdx.x == 0) {
        __syncthreads();
    } else {
        __syncwarp();
    }
    out[threadIdx.x] = 1;
}

// A warp operation whose mask leaves out live lanes (divergent code), which the emulation refuses.
extern "C" __global__ void probe_partial_mask(int* out)
{
    if (gkd_lane_id() < 4) __syncwarp(0xfu);
    out[threadIdx.x] = 1;
}

// words (count, 4) = Philox4x32-10 of inputs (count, 6: c0 c1 c2 c3 k0 k1); uniforms (n) = stream `seed`.
extern "C" __global__ void probe_philox(uint32* words, float* uniforms, const uint32* inputs, int count, uint64 seed,
                                        int64 n)
{
    int64 gid = (int64)blockIdx.x * blockDim.x + threadIdx.x, stride = (int64)blockDim.x * gridDim.x;
    if (gid < count) {
        const uint32* in = inputs + 6 * gid;
        gkd_philox_block b = gkd_philox4x32_10(in[0], in[1], in[2], in[3], in[4], in[5]);
        words[4 * gid + 0] = b.x0;
        words[4 * gid + 1] = b.x1;
        words[4 * gid + 2] = b.x2;
        words[4 * gid + 3] = b.x3;
    }
    for (int64 i = gid; i < n; i += stride) uniforms[i] = gkd_philox_uniform(seed, (uint64)i);
}

// out (17, n): the math functions of common.cuh on in (n); bits (n, 4): float bits, isnan, isinf, bf16 round trip.
extern "C" __global__ void probe_math(float* out, uint32* bits, const float* in, int n)
{
    int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
    if (i >= n) return;
    float x = in[i], a = fabsf(x) + 0.125f;
    out[0 * n + i] = expf(x);
    out[1 * n + i] = exp2f(x);
    out[2 * n + i] = logf(a);
    out[3 * n + i] = log2f(a);
    out[4 * n + i] = sqrtf(a);
    out[5 * n + i] = rsqrtf(a);
    out[6 * n + i] = tanhf(x);
    out[7 * n + i] = erff(x);
    out[8 * n + i] = sinf(x);
    out[9 * n + i] = cosf(x);
    out[10 * n + i] = powf(a, 1.75f);
    out[11 * n + i] = fmaf(x, 1.5f, 0.25f);
    out[12 * n + i] = floorf(x);
    out[13 * n + i] = fmaxf(x, 0.25f);
    out[14 * n + i] = fminf(x, 0.25f);
    out[15 * n + i] = (float)(max(i, 7) - min(i, 7));
    out[16 * n + i] = __int_as_float(__float_as_int(x)) + __uint_as_float(0x3f800000u);
    bits[4 * i + 0] = __float_as_uint(x);
    bits[4 * i + 1] = gkd_isnan(x);
    bits[4 * i + 2] = gkd_isinf(x);
    bits[4 * i + 3] = gkd_f32_to_bf16(gkd_bf16_to_f32(gkd_f32_to_bf16(x)));
}

// Writes its scalar arguments back, checking KernelArgs' packing of each size and order.
extern "C" __global__ void probe_args(int64* out, float* fout, int a, uint32 b, int64 c, uint64 d, float e, int f)
{
    out[0] = a;
    out[1] = (int64)b;
    out[2] = c;
    out[3] = (int64)d;
    out[4] = f;
    fout[0] = e;
}
