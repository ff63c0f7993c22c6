import Foundation

/// The median seconds per call of `body`, over `blocks` timed blocks of `iterations`
/// calls each, after two warm-up calls (the same protocol as ../shared/bench/torch_ref.py).
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
