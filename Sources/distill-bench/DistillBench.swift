import ArgumentParser

/// Benchmarks of the engine and of the distillation workloads. Prints one line per
/// figure, `name value unit`; never run as a test.
@main
struct DistillBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-bench",
        abstract: "Measure Distillery's engine and workloads.",
        subcommands: [EngineBenchmark.self, ModelBenchmark.self, WorkloadBenchmark.self])
}
