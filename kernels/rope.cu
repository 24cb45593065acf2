// Rotary position embedding (non-interleaved, rotate_half), forward and backward: the kernels behind
// CudaBackend.RopeForward and RopeBackward (CPU reference: src/Gkd.Native.Cpu/Rope.cs). Activations f32 or bf16 (A);
// one extern "C" wrapper per dtype.
//
// The angles follow transformers' f32 arithmetic exactly as the CPU does: inv_freq (HS/2) is computed on the host
// (1 / (f32) theta^((f32) 2i / HS)) and uploaded; here a = (float)pos · inv_freq_i is one f32 product, and cos a, sin a
// come from the precise cosf / sinf (within 2 ulp of the CPU's correctly rounded values; never __cosf / __sinf, whose
// error grows with |a|). Each rotation product is rounded on its own before the sum, as in transformers'
// q·cos + rotate_half(q)·sin: rope_product spells it fmaf(a, b, 0.0f), which NVRTC cannot contract with the
// following add (a plain a·b − c·d may become one fma).
//
// Launch: a block per token row n (grid N), blockDim a multiple of 32 up to 256; the block first puts the row's HS/2
// (cos, sin) pairs into dynamic shared memory (HS floats), then rotates every head's pairs.
#include "common.cuh"

__device__ __forceinline__ float rope_load(const float* p) { return *p; }
__device__ __forceinline__ float rope_load(const bf16* p) { return gkd_bf16_to_f32(*p); }
__device__ __forceinline__ void rope_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void rope_store(bf16* p, float v) { *p = gkd_f32_to_bf16(v); }

// a·b rounded to f32 on its own (the fma's exact product plus +0 rounds once; +0, unlike −0, keeps it an fma).
__device__ __forceinline__ float rope_product(float a, float b) { return fmaf(a, b, 0.0f); }

// cs (2, HS/2) in shared memory = cos, then sin, of (float)positions[n] · inv_freq (HS/2); ends with a barrier.
__device__ __forceinline__ void rope_angles(float* cs, const int* positions, const float* inv_freq, int half)
{
    const float pos = (float)positions[blockIdx.x];
    for (int i = (int)threadIdx.x; i < half; i += (int)blockDim.x) {
        const float a = pos * inv_freq[i];
        cs[i] = cosf(a);
        cs[half + i] = sinf(a);
    }
    __syncthreads();
}

// y (N, H·HS) = R(a) x per head: y[i] = x[i]·cos − x[i+HS/2]·sin, y[i+HS/2] = x[i+HS/2]·cos + x[i]·sin (=).
// y may alias x: each pair is read and written by one thread.
template <typename A>
__device__ __forceinline__ void rope_forward(A* y, const A* x, const int* positions, const float* inv_freq, int width,
    int head_dim)
{
    DYNAMIC_SHARED(float, cs); // (2, HS/2)
    const int half = head_dim >> 1;
    rope_angles(cs, positions, inv_freq, half);
    const int64 row = (int64)blockIdx.x * width;
    for (int p = (int)threadIdx.x; p < (width >> 1); p += (int)blockDim.x) {
        const int head = p / half, i = p - head * half;
        const int64 e = row + (int64)head * head_dim + i;
        const float a = rope_load(x + e), b = rope_load(x + e + half), c = cs[i], s = cs[half + i];
        rope_store(y + e, rope_product(a, c) - rope_product(b, s));
        rope_store(y + e + half, rope_product(b, c) + rope_product(a, s));
    }
}

// dx (N, H·HS) += R(−a) dy per head: dx[i] += dy[i]·cos + dy[i+HS/2]·sin, dx[i+HS/2] += dy[i+HS/2]·cos − dy[i]·sin (+=).
template <typename A>
__device__ __forceinline__ void rope_backward(A* dx, const A* dy, const int* positions, const float* inv_freq, int width,
    int head_dim)
{
    DYNAMIC_SHARED(float, cs); // (2, HS/2)
    const int half = head_dim >> 1;
    rope_angles(cs, positions, inv_freq, half);
    const int64 row = (int64)blockIdx.x * width;
    for (int p = (int)threadIdx.x; p < (width >> 1); p += (int)blockDim.x) {
        const int head = p / half, i = p - head * half;
        const int64 e = row + (int64)head * head_dim + i;
        const float a = rope_load(dy + e), b = rope_load(dy + e + half), c = cs[i], s = cs[half + i];
        rope_store(dx + e, rope_load(dx + e) + (rope_product(a, c) + rope_product(b, s)));
        rope_store(dx + e + half, rope_load(dx + e + half) + (rope_product(b, c) - rope_product(a, s)));
    }
}

// ---- extern "C" entry points: rope_<op>_<activations> -------------------------------------------------------------

// y (N, width), x (N, width), positions (N) i32, inv_freq (HS/2); width = H·HS
extern "C" __global__ void rope_forward_f32(float* y, const float* x, const int* positions, const float* inv_freq,
    int width, int head_dim)
{
    rope_forward(y, x, positions, inv_freq, width, head_dim);
}

extern "C" __global__ void rope_forward_bf16(bf16* y, const bf16* x, const int* positions, const float* inv_freq,
    int width, int head_dim)
{
    rope_forward(y, x, positions, inv_freq, width, head_dim);
}

// dx (N, width), dy (N, width), positions (N) i32, inv_freq (HS/2)
extern "C" __global__ void rope_backward_f32(float* dx, const float* dy, const int* positions, const float* inv_freq,
    int width, int head_dim)
{
    rope_backward(dx, dy, positions, inv_freq, width, head_dim);
}

extern "C" __global__ void rope_backward_bf16(bf16* dx, const bf16* dy, const int* positions, const float* inv_freq,
    int width, int head_dim)
{
    rope_backward(dx, dy, positions, inv_freq, width, head_dim);
}
