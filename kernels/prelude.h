// prelude.h — force-included (clang-14 -include kernels/prelude.h) for the PTX check only: clang runs with
// -nocudainc, so nothing defines the CUDA keywords; NVRTC and the CPU emulation never see this file.
// The check compiles each kernels/*.cu to PTX for sm_80 (build.ps1 kernels, and the KernelCompile tests):
//   clang-14 --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 -S -x cuda -include kernels/prelude.h
//            -o out.ptx file.cu
// It proves syntax and device codegen; the PTX that runs comes from NVRTC (common.cuh maps the math to NVVM
// builtins here, to libdevice under NVRTC).
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define __align__(n) __attribute__((aligned(n)))

#include <__clang_cuda_builtin_vars.h>
