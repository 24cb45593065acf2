using System.Diagnostics;
using System.Globalization;
using Gkd.Native.Cpu.Gemm;

namespace Gkd.Native.Bench;

/// <summary>
/// The plain timing mode: per shape two warm-up calls, then the median of --runs timed calls, as a table and as
/// `RESULT name ms gflops` lines for bench/sgemm.sh.
/// </summary>
public static class SgemmTiming
{
    public static int Run(string[] args)
    {
        var threads = 2;
        var runs = 5;
        var kernel = SgemmKernel.Auto;
        var names = SgemmShape.Standard.Select(s => s.Name).ToList();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--kernel": kernel = Enum.Parse<SgemmKernel>(value, ignoreCase: true); break;
                case "--shapes": names = [.. value.Split(',')]; break;
                default: throw new ArgumentException($"unknown option {args[i]} (--threads, --runs, --kernel, --shapes)");
            }
            i++;
        }
        if (threads < 1 || runs < 1) throw new ArgumentException($"--threads {threads} and --runs {runs} must be ≥ 1");

        Console.WriteLine($"sgemm: {threads} threads, kernel {kernel}, median of {runs} runs after 2 warm-ups");
        Console.WriteLine($"{"shape",-36} {"median ms",10} {"GFLOP/s",9}");
        foreach (var name in names)
        {
            var shape = SgemmShape.Standard.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"unknown shape {name} ({string.Join(", ", SgemmShape.Standard.Select(s => s.Name))})");
            using var operands = new SgemmOperands(shape);
            for (var w = 0; w < 2; w++) operands.Multiply(threads, kernel);
            var times = new double[runs];
            for (var r = 0; r < runs; r++)
            {
                var sw = Stopwatch.StartNew();
                operands.Multiply(threads, kernel);
                times[r] = sw.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            var ms = times[runs / 2];
            var gflops = shape.Flops / (ms * 1e6);
            Console.WriteLine($"{shape,-36} {ms,10:F1} {gflops,9:F1}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {shape.Name} {ms:F2} {gflops:F1}"));
        }
        return 0;
    }
}
