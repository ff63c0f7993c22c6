import Foundation
import Tensors

/// An SVG line chart of named series of points: robustness's accuracy against ε, a
/// generator's sample distance against training steps. Each series is a polyline with a dot
/// at each point and a line of the legend on the right.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) { (self.label, self.points) = (label, points) }
    }

    public var title: String
    /// The x axis's caption, under its ticks.
    public var xLabel: String
    /// The y axis's range; nil for the points' own, from zero when none is negative.
    public var yRange: ClosedRange<Double>?
    /// How a y tick reads: `%` of a fraction, a plain number by default.
    public var yTick: @Sendable (Double) -> String
    public var series: [Series]

    public init(title: String, xLabel: String, yRange: ClosedRange<Double>? = nil, yTick: @escaping @Sendable (Double) -> String = { String(format: "%.3g", $0) },
                series: [Series]) {
        (self.title, self.xLabel, self.yRange, self.yTick, self.series) = (title, xLabel, yRange, yTick, series)
    }

    /// Ticks reading as percentages, for a y range of fractions.
    public static let percentTicks: @Sendable (Double) -> String = { "\(Int(($0 * 100).rounded()))%" }

    /// The chart's SVG text, `width` × `height` pixels.
    public func svg(width: Double = 560, height: Double = 360) -> String {
        let (left, right, top, bottom) = (60.0, 150.0, 36.0, 48.0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let (lowX, highX) = (points.map(\.x).min() ?? 0, points.map(\.x).max() ?? 1)
        let xSpan = max(highX - lowX, 1e-9)
        let range = yRange ?? {
            let (low, high) = (points.map(\.y).min() ?? 0, points.map(\.y).max() ?? 1)
            return min(low, 0)...max(high * 1.05, min(low, 0) + 1e-9)
        }()
        let ySpan = max(range.upperBound - range.lowerBound, 1e-12)
        func x(_ value: Double) -> Double { left + (value - lowX) / xSpan * plotWidth }
        func y(_ value: Double) -> Double { top + (range.upperBound - value) / ySpan * plotHeight }
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(left)\" y=\"20\" font-size=\"14\">\(title.escapingXMLMarkup)</text>",
        ]
        for index in 0...4 {
            let value = range.lowerBound + ySpan * Double(index) / 4
            svg.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y(value), left + plotWidth, y(value)))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 6, y(value) + 4, yTick(value).escapingXMLMarkup))
        }
        for index in 0...4 {
            let value = lowX + xSpan * Double(index) / 4
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3g</text>", x(value), top + plotHeight + 18, value))
        }
        svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", left + plotWidth / 2, height - 8, xLabel.escapingXMLMarkup))
        svg.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>", left, top, plotWidth, plotHeight))
        for (index, line) in series.enumerated() {
            let color = colors[index % colors.count]
            let shown = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let path = shown.map { String(format: "%.1f,%.1f", x($0.x), y($0.y)) }.joined(separator: " ")
            svg.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            for point in shown {
                svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x(point.x), y(point.y), color))
            }
            let legendY = top + 12 + Double(index) * 18
            svg.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"/>", left + plotWidth + 10, legendY - 4, left + plotWidth + 30, legendY - 4, color))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>", left + plotWidth + 34, legendY, line.label.escapingXMLMarkup))
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}
