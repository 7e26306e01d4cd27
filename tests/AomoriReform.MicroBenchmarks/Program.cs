using AomoriReform.MicroBenchmarks;
using BenchmarkDotNet.Running;

// Micro-benchmarks of the pieces every action runs on the host's CPU (see the README's performance
// section): building the route machine and asking it what the caller may do, checking one action,
// signing a journal entry, and serialising an event for the outbox. The end-to-end benchmark
// (tests/AomoriReform.Benchmarks) measures what they add up to with the database, the bus and HTTP;
// the caller's resolution is a database read and is measured there.
//   dotnet run -c Release --project tests/AomoriReform.MicroBenchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(HotPaths).Assembly).Run(args);
