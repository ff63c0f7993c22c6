import CBLAS
import Dispatch
import Foundation

/// How many threads the engine splits work across, for its own loops and for BLAS.
public enum Parallelism {
    nonisolated(unsafe) private static var configuredThreads = 0
    private static let setUp: Void = {
        if configuredThreads == 0 { configuredThreads = ProcessInfo.processInfo.activeProcessorCount }
        openblas_set_num_threads(Int32(configuredThreads))
    }()

    /// The number of threads (default: the number of active cores).
    public static var threadCount: Int {
        _ = setUp
        return configuredThreads
    }

    /// Sets the thread count for the engine's loops and for OpenBLAS. Call once, before
    /// the first operation, as PyTorch's `set_num_threads`.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "setThreadCount: \(count) must be at least 1")
        configuredThreads = count
        openblas_set_num_threads(Int32(count))
    }

    /// Below this many elements a loop runs on the calling thread: splitting costs more
    /// than it saves.
    static let minimumElementsPerThread = 1 << 15

    /// Runs `body` over disjoint sub-ranges covering `0..<count`, on several threads when
    /// the count is large (for element loops outside this module, such as optimizer steps).
    public static func forEachChunk(of count: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, body)
    }
}

/// Runs `body` over disjoint sub-ranges covering `0..<count`, split across threads when
/// each thread gets at least `grain` units of work.
@inline(__always)
func parallelFor(_ count: Int, grain: Int = Parallelism.minimumElementsPerThread, _ body: (Range<Int>) -> Void) {
    parallelForChunks(count, grain: grain) { _, range in body(range) }
}

/// How many chunks `parallelForChunks` splits `count` units into.
@inline(__always)
func parallelChunkCount(_ count: Int, grain: Int) -> Int {
    max(1, min(Parallelism.threadCount, count / max(grain, 1)))
}

/// Runs `body(chunk, range)` for each of `parallelChunkCount(count, grain:)` disjoint
/// sub-ranges covering `0..<count`, in parallel: for loops that keep a partial result
/// per chunk.
@inline(__always)
func parallelForChunks(_ count: Int, grain: Int, _ body: (_ chunk: Int, Range<Int>) -> Void) {
    let chunks = parallelChunkCount(count, grain: grain)
    if chunks <= 1 {
        if count > 0 { body(0, 0..<count) }
        return
    }
    // Balanced bounds: no chunk is empty, so each one's partial result is defined.
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        body(chunk, (chunk * count / chunks)..<((chunk + 1) * count / chunks))
    }
}

/// Runs `body` with OpenBLAS on one thread, for products issued from several of the
/// engine's threads at once: BLAS's own workers would only compete with them for cores.
func withSingleThreadedBLAS<Result>(_ body: () -> Result) -> Result {
    let threads = Parallelism.threadCount
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(Int32(threads)) }
    return body()
}
