import Datasets
import Foundation
import Tensors
import Training

/// DisBack's claim, measured (`distill study disback`, and the test of it): from the same
/// untrained generator, distilling backward along the recorded degradation path reaches
/// DMD's final quality in fewer generator steps than DMD. Per seed, DMD2's recipe from an
/// untrained generator with and without the path, each generator's SWD against 2,000
/// held-out points after every epoch of 32 steps.
public enum BacktrackingStudy {
    public struct Settings: Sendable {
        public var seeds: [UInt64] = [71, 72]
        public var epochs = 40
        /// DisBack's stage 1: 5 checkpoints 200 fine-tuning steps apart at 10⁻⁵, each the
        /// target of 2 epochs.
        public var path = GenerativeDemo.Backtracking(checkpoints: 5, stepsPerCheckpoint: 200, epochsPerTarget: 2, learningRate: 1e-5)
        public init() {}
    }

    /// One seed's two curves: the SWD after each epoch.
    public struct Result: Sendable {
        public let seed: UInt64
        public let matching: [Double], backtracking: [Double]

        /// DMD's final SWD: the mean of its last three epochs.
        public var final: Double { matching.suffix(3).reduce(0, +) / Double(min(3, matching.count)) }
        /// The first epoch (from 1) at which DMD reaches its final SWD.
        public var matchingReaches: Int { (matching.firstIndex { $0 <= final } ?? matching.count) + 1 }
        /// The same for DisBack; past the last epoch if never.
        public var backtrackingReaches: Int { (backtracking.firstIndex { $0 <= final } ?? backtracking.count) + 1 }
    }

    public static func run(_ settings: Settings = Settings(), progress: (String) -> Void = { _ in }) throws -> [Result] {
        let data = try GenerativeDemo.trainingData()
        var generator = RandomGenerator(seed: 16)
        let validation = try TensorDataset(inputs: GenerativeDemo.mixture.sample(count: 2000, using: &generator), labels: nil)
        progress("the flow teacher (3,200 steps)")
        let teacher = try GenerativeDemo.flowTeacher(data: data)
        return try settings.seeds.map { seed in
            func curve(_ path: GenerativeDemo.Backtracking?) throws -> [Double] {
                progress("seed \(seed): \(path == nil ? "DMD2" : "DisBack") from an untrained generator, \(settings.epochs) epochs")
                let (_, history) = try GenerativeDemo.distributionMatchingStudent(teacher: teacher, data: data, epochs: settings.epochs, seed: seed,
                                                                                  startsFromTeacher: false, backtracking: path, validation: validation)
                return history.map { $0.validation?["swd"] ?? .nan }
            }
            return Result(seed: seed, matching: try curve(nil), backtracking: try curve(settings.path))
        }
    }

    /// Per seed, DMD's final SWD and the epoch at which each method first reaches it.
    public static func table(_ results: [Result]) -> String {
        (["| seed | DMD's final SWD | DMD reaches it at epoch | DisBack reaches it at epoch |", "|---|---|---|---|"] + results.map {
            let never = $0.backtrackingReaches > $0.backtracking.count ? " (never)" : ""
            return String(format: "| %llu | %.4f | %d | %d%@ |", $0.seed, $0.final, $0.matchingReaches, $0.backtrackingReaches, never)
        }).joined(separator: "\n")
    }

    /// SWD against generator steps (32 an epoch), one line per method and seed.
    public static func chart(_ results: [Result], stepsPerEpoch: Int = 32) -> LineChart {
        LineChart(title: "DisBack vs DMD2 from an untrained generator (8 Gaussians)", xLabel: "generator steps",
                  series: results.flatMap { result in
                      [("DMD2", result.matching), ("DisBack", result.backtracking)].map { name, values in
                          LineChart.Series(label: "\(name), seed \(result.seed)",
                                           points: values.enumerated().map { (x: Double(($0.offset + 1) * stepsPerEpoch), y: $0.element) })
                      }
                  })
    }
}
