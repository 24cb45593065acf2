using BenchmarkDotNet.Running;
using Gkd.Native.Bench;

// Plain timing modes, each printing RUN/RESULT lines for its driver (details in each mode's class):
//   sgemm [--threads N] [--runs N] [--shapes 512,1024,2048,lmhead]   GFLOP/s table (bench/sgemm.sh)
//   eval, generate, step [--root DIR] [--threads N] [--runs N] [--sync 1] [--dump FILE] …   (bench/cpu.sh)
// Anything else goes to BenchmarkDotNet (e.g. `--filter '*Sgemm*'`).
if (args.Length > 0)
{
    switch (args[0])
    {
        case "sgemm": return SgemmTiming.Run(args[1..]);
        case "eval": return EvalTiming.Run(args[1..]);
        case "step": return StepTiming.Run(args[1..]);
        case "generate": return GenerateTiming.Run(args[1..]);
    }
}
BenchmarkSwitcher.FromAssembly(typeof(SgemmBenchmarks).Assembly).Run(args);
return 0;
