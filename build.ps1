#!/usr/bin/env pwsh
# Gkd.Native build entry point. Run as: dotnet pwsh ./build.ps1 [target] [extra arguments]
# (after `dotnet tool restore`). Targets:
#   build    Release build of the solution (default)
#   test     dotnet test Gkd.Native.sln; extra arguments go to dotnet test (e.g. --filter "FullyQualifiedName~Cli")
#   kernels  compile every kernels/*.cu to PTX with clang-14 (sm_80) into artifacts/ptx/, as a syntax/codegen check
#   publish  NativeAOT publish of the gkd CLI for linux-x64 into artifacts/gkd/ (falls back to a trimmed,
#            self-contained single file, and says so, when NativeAOT cannot be built here)
#   bench    dotnet run -c Release --project bench/Gkd.Native.Bench -- <extra arguments>
#   help     this text

$Target, $Rest = $args
if (-not $Target) { $Target = 'build' }
$Rest = @($Rest | Where-Object { $null -ne $_ })

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
trap { Write-Host "build.ps1: $_" -ForegroundColor Red; exit 1 }
Set-Location $PSScriptRoot

function Invoke-Checked([string] $Command, [string[]] $Arguments) {
    Write-Host "> $Command $($Arguments -join ' ')"
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command failed with exit code $LASTEXITCODE" }
}

function Invoke-Kernels {
    $sources = @(Get-ChildItem -Path kernels -Filter *.cu -File -ErrorAction SilentlyContinue | Sort-Object Name)
    if ($sources.Count -eq 0) {
        Write-Host 'kernels: kernels/ has no .cu files; nothing to compile.'
        return
    }
    if (-not (Get-Command clang-14 -ErrorAction SilentlyContinue)) { throw 'kernels: clang-14 is not on PATH' }
    $out = Join-Path artifacts ptx
    New-Item -ItemType Directory -Force -Path $out | Out-Null
    foreach ($cu in $sources) {
        $ptx = Join-Path $out "$($cu.BaseName).ptx"
        Invoke-Checked clang-14 @('--cuda-device-only', '-nocudainc', '-nocudalib', '--cuda-gpu-arch=sm_80', '-S',
            '-x', 'cuda', '-include', 'kernels/prelude.h', '-o', $ptx, $cu.FullName)
    }
    Write-Host "kernels: $($sources.Count) file(s) compiled to $out"
}

function Invoke-Publish {
    $project = 'src/Gkd.Native.Cli/Gkd.Native.Cli.csproj'
    $out = Join-Path artifacts gkd
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    $common = @('publish', $project, '-c', 'Release', '-r', 'linux-x64', '-o', $out)
    # NativeAOT links with a C toolchain; the SDK looks for `clang`, Debian ships it as clang-14.
    $linker = @('clang', 'clang-14') | Where-Object { Get-Command $_ -ErrorAction SilentlyContinue } | Select-Object -First 1
    $mode = $null
    if ($linker) {
        try {
            # NativeAOT fixes the instruction set at compile time; its default (SSE2) turns the Vector256 paths into
            # slow fallbacks (gkd demo --quick: 60 s instead of 2.4 s). x86-64-v3 = AVX2 + FMA, which GPU hosts have.
            Invoke-Checked dotnet ($common + @('-p:PublishAot=true', "-p:CppCompilerAndLinker=$linker", '-p:IlcInstructionSet=x86-64-v3'))
            $mode = "NativeAOT x86-64-v3 (linked with $linker)"
        }
        catch {
            Write-Warning "publish: NativeAOT failed ($_); falling back to a trimmed self-contained single file."
        }
    }
    else {
        Write-Warning 'publish: no clang to link NativeAOT with; falling back to a trimmed self-contained single file.'
    }
    if (-not $mode) {
        Invoke-Checked dotnet ($common + @('--self-contained', '-p:PublishTrimmed=true', '-p:PublishSingleFile=true'))
        $mode = 'trimmed self-contained single file (NOT NativeAOT)'
    }
    $binary = Get-Item (Join-Path $out gkd)
    Write-Host ('publish: {0} -> {1} ({2:N1} MiB, {3} bytes)' -f $mode, $binary.FullName, ($binary.Length / 1MB), $binary.Length)
}

switch ($Target) {
    'build' { Invoke-Checked dotnet (@('build', 'Gkd.Native.sln', '-c', 'Release') + $Rest) }
    'test' { Invoke-Checked dotnet (@('test', 'Gkd.Native.sln') + $Rest) }
    'kernels' { Invoke-Kernels }
    'publish' { Invoke-Publish }
    'bench' { Invoke-Checked dotnet (@('run', '-c', 'Release', '--project', 'bench/Gkd.Native.Bench', '--') + $Rest) }
    'help' { Get-Content $PSCommandPath | Select-Object -Skip 1 | Where-Object { $_ -like '#*' } | ForEach-Object { $_ -replace '^# ?', '' } }
    default { throw "unknown target '$Target'; one of: build, test, kernels, publish, bench, help" }
}
