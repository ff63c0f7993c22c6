import ArgumentParser
import Foundation
import Tensors
import Training

/// `distill chart POINTS.csv --output CHART.svg`: an SVG line chart of named series, as the
/// reproduction scripts draw their curves (FD against training steps), from a CSV file of
/// `series,x,y` lines after that header.
struct ChartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chart",
        abstract: "Draw an SVG line chart from a CSV file of points: a header line `series,x,y`, then one point a line (a series' name may hold commas).")

    @Argument(help: "The CSV file of points.")
    var points: String

    @Option(name: .shortAndLong, help: "The SVG file to write.")
    var output: String

    @Option(help: "The chart's title.")
    var title: String = ""

    @Option(help: "The x axis's caption.")
    var xLabel: String = "x"

    /// Larger files are refused before they are read: a chart of more points is unreadable.
    static let largestFile = 16 << 20

    func run() throws {
        let source = URL(fileURLWithPath: points)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: source.path))?[.size] as? Int else {
            throw CommandFailure("\(points): cannot be read")
        }
        guard size <= Self.largestFile else { throw CommandFailure("\(points): \(size) bytes; a chart's points fit in \(Self.largestFile >> 20) MiB") }
        guard let text = String(data: try Data(contentsOf: source), encoding: .utf8) else { throw CommandFailure("\(points): not UTF-8 text") }
        let series = try Self.series(csv: text, file: points)
        let destination = try writableFile(output, option: "output")
        let chart = LineChart(title: title, xLabel: xLabel, series: series)
        try AtomicFile.write(Data(chart.svg().utf8), to: destination)
        print("wrote \(output): \(series.count) series, \(series.map(\.points.count).reduce(0, +)) points")
    }

    /// The series of a CSV text, in the order of their first points; each line's last two
    /// fields are its x and y, and what precedes them its series' name.
    static func series(csv: String, file: String) throws -> [LineChart.Series] {
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "series,x,y" else {
            throw CommandFailure("\(file):1: expected the header `series,x,y`, found '\(lines.first.map { String($0.prefix(80)) } ?? "")'")
        }
        lines.removeFirst()
        var order: [String] = []
        var points: [String: [(x: Double, y: Double)]] = [:]
        for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let number = index + 2
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { throw CommandFailure("\(file):\(number): expected `series,x,y`, found '\(line.prefix(80))'") }
            let name = fields.dropLast(2).joined(separator: ",").trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw CommandFailure("\(file):\(number): the series has no name") }
            var coordinates: [Double] = []
            for (axis, field) in zip(["x", "y"], fields.suffix(2)) {
                guard let value = Double(field.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw CommandFailure("\(file):\(number): \(axis) must be a finite number, found '\(field.prefix(40))'")
                }
                coordinates.append(value)
            }
            if points[name] == nil { order.append(name) }
            points[name, default: []].append((coordinates[0], coordinates[1]))
        }
        guard !order.isEmpty else { throw CommandFailure("\(file): no points after the header") }
        return order.map { LineChart.Series(label: $0, points: points[$0]!) }
    }
}
