import ArgumentParser
import Tensors

/// Benchmarks of the engine and of the distillation workloads. Prints one line per
/// figure, `name value unit`; never run as a test.
@main
struct DistillBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-bench",
        abstract: "Measure Distillery's engine and workloads.",
        subcommands: [EngineBenchmark.self, ModelBenchmark.self, WorkloadBenchmark.self])

    /// Moves BLAS onto the best core for this processor (which may re-execute the process)
    /// before the command line is read.
    static func main() {
        BLASBackend.selectCore()
        main(nil)
    }
}
