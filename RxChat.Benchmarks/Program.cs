using BenchmarkDotNet.Running;

// Benchmarks of RxChat's hot paths. Run in Release, from the repository root:
//
//   dotnet run -c Release --project RxChat.Benchmarks -- --filter '*'
//   dotnet run -c Release --project RxChat.Benchmarks -- --filter '*FanOut*' --job short
//
// Results go to BenchmarkDotNet.Artifacts/. Whole servers are compared by bench/compare.sh instead.
BenchmarkSwitcher.FromAssembly(typeof(RxChat.Benchmarks.FanOutBenchmarks).Assembly).Run(args);
