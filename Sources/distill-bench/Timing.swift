import ArgumentParser
import Foundation
import Tensors

/// The thread count every benchmark takes (`--threads`), applied before it measures.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the engine and BLAS (default: all cores).")
    var threads: Int?

    /// Sets the thread count and prints it, the BLAS core and how it was chosen as comment
    /// lines: figures from different machines compare honestly only with these beside them.
    func apply() {
        if let threads { Parallelism.setThreadCount(threads) }
        let blas = BLASBackend.report
        print("# threads \(Parallelism.threadCount)")
        print("# blas \(blas.library) core \(blas.core) (best here: \(blas.bestCore ?? "none known")); chosen by \(blas.origin.rawValue): \(blas.reason)")
        print("# processor \(blas.processor)")
    }
}

/// The median seconds per call of `body`, over `blocks` timed blocks of `iterations`
/// calls each, after two warm-up calls (the same protocol as benchmarks/torch_workloads.py).
func medianSeconds(iterations: Int, blocks: Int = 5, _ body: () -> Void) -> Double {
    body()
    body()
    var times: [Double] = []
    for _ in 0..<blocks {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations))
    }
    return times.sorted()[times.count / 2]
}

/// Prints `name value unit` with the value rounded sensibly.
func report(_ name: String, _ value: Double, _ unit: String) {
    print("\(name) \(String(format: value >= 100 ? "%.1f" : "%.3f", value)) \(unit)")
}

/// Median seconds per call of `first` and of `second`, timed in alternating blocks so
/// that both see the same machine noise (for ratios such as engine vs raw BLAS). A pause
/// before each block lets threads that the other one woke (OpenBLAS's spin) go idle.
func pairedMedianSeconds(iterations: Int, blocks: Int = 7, pause: Double = 0.2, _ first: () -> Void, _ second: () -> Void) -> (Double, Double) {
    first(); second()
    var times: ([Double], [Double]) = ([], [])
    func time(_ body: () -> Void) -> Double {
        Thread.sleep(forTimeInterval: pause)
        body()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
    }
    for _ in 0..<blocks {
        times.0.append(time(first))
        times.1.append(time(second))
    }
    return (times.0.sorted()[blocks / 2], times.1.sorted()[blocks / 2])
}
