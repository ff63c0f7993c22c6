import Datasets
import Foundation
import NN
import Training

/// Robust accuracy as a function of the budget ε, for one or several models or attacks:
/// the curve every robustness paper plots, written as SVG.
public struct AccuracyCurve: Codable, Equatable, Sendable {
    public struct Series: Codable, Equatable, Sendable {
        public var label: String
        /// `(ε, accuracy)` points in increasing ε.
        public var points: [Point]
        public init(label: String, points: [Point]) { (self.label, self.points) = (label, points) }
    }

    public struct Point: Codable, Equatable, Sendable {
        public var epsilon: Double
        public var accuracy: Double
    }

    public var title: String
    public var norm: ThreatModel.Norm.RawValue
    public var series: [Series]

    public init(title: String, norm: ThreatModel.Norm, series: [Series]) {
        (self.title, self.norm, self.series) = (title, norm.rawValue, series)
    }

    /// Measures one series: `attack(ε)` at each ε on the first `limit` samples (ε = 0 is the
    /// clean accuracy).
    public static func measure<Data: Dataset>(
        _ model: Module, on data: Data, epsilons: [Float], label: String, limit: Int? = nil, seed: UInt64 = 0,
        attack: (Float) -> any Attack
    ) throws -> Series {
        Series(label: label, points: try epsilons.map { epsilon in
            let report = try evaluateRobustness(model, on: data, attacks: epsilon > 0 ? [attack(epsilon)] : [], limit: limit, seed: seed)
            return Point(epsilon: Double(epsilon), accuracy: epsilon > 0 ? report.attacks[0].accuracy : report.cleanAccuracy)
        })
    }

    /// The curves as an SVG line plot (accuracy 0–100% against ε).
    public func svg(width: Double = 560, height: Double = 360) -> String {
        LineChart(title: title, xLabel: "ε (\(norm == "linf" ? "L∞" : "L2"))", yRange: 0...1, yTick: LineChart.percentTicks,
                  series: series.map { LineChart.Series(label: $0.label, points: $0.points.map { ($0.epsilon, $0.accuracy) }) })
            .svg(width: width, height: height)
    }
}
