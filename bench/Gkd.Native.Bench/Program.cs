using BenchmarkDotNet.Running;
using Gkd.Native.Bench;

// `sgemm [--threads N] [--runs N] [--shapes 512,1024,2048,lmhead]`: the GFLOP/s table bench/sgemm.sh compares with
// the peer. Anything else goes to BenchmarkDotNet (e.g. `--filter '*Sgemm*'`).
if (args.Length > 0 && args[0] == "sgemm") return SgemmTiming.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(SgemmBenchmarks).Assembly).Run(args);
return 0;
