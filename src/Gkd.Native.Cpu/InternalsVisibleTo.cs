using System.Runtime.CompilerServices;

// Tests force CpuBackend.UseVector512 to run the 512-bit kernels on machines without AVX-512.
[assembly: InternalsVisibleTo("Gkd.Native.Tests")]
