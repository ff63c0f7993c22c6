import Datasets
import Foundation
import NN

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
        let (left, right, top, bottom) = (60.0, 150.0, 36.0, 48.0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxEpsilon = max(series.flatMap { $0.points.map(\.epsilon) }.max() ?? 1, 1e-9)
        func x(_ epsilon: Double) -> Double { left + epsilon / maxEpsilon * plotWidth }
        func y(_ accuracy: Double) -> Double { top + (1 - accuracy) * plotHeight }
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(left)\" y=\"20\" font-size=\"14\">\(title.escapingXMLMarkup)</text>",
        ]
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y(tick), left + plotWidth, y(tick)))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>", left - 6, y(tick) + 4, Int(tick * 100)))
        }
        for index in 0...4 {
            let epsilon = maxEpsilon * Double(index) / 4
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3g</text>", x(epsilon), top + plotHeight + 18, epsilon))
        }
        svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">ε (%@)</text>", left + plotWidth / 2, height - 8, norm == "linf" ? "L∞" : "L2"))
        svg.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>", left, top, plotWidth, plotHeight))
        for (index, line) in series.enumerated() {
            let color = colors[index % colors.count]
            let path = line.points.map { String(format: "%.1f,%.1f", x($0.epsilon), y($0.accuracy)) }.joined(separator: " ")
            svg.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            for point in line.points {
                svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x(point.epsilon), y(point.accuracy), color))
            }
            let legendY = top + 12 + Double(index) * 18
            svg.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"/>", left + plotWidth + 10, legendY - 4, left + plotWidth + 30, legendY - 4, color))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>", left + plotWidth + 34, legendY, line.label.escapingXMLMarkup))
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}
