import Training
import XCTest

/// The SVG line chart every curve is drawn with.
final class LineChartTests: XCTestCase {
    func testEachSeriesIsALineWithADotPerFinitePointAndALegendEntry() {
        let chart = LineChart(title: "SWD <against> steps", xLabel: "generator steps", series: [
            .init(label: "DMD", points: [(32, 0.5), (64, 0.3), (96, 0.2)]),
            .init(label: "DisBack", points: [(32, 0.4), (64, .nan), (96, 0.1)]),
        ])
        let svg = chart.svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 5, "the NaN point is left out")
        XCTAssertTrue(svg.contains("SWD &lt;against&gt; steps"), "the title is escaped")
        XCTAssertTrue(svg.contains(">DisBack</text>") && svg.contains(">generator steps</text>"))
        // Without a range, y runs from zero (no value is negative) to just above the largest.
        XCTAssertTrue(svg.contains(">0</text>"), svg)
    }

    func testAGivenRangeAndTickFormatAreUsed() {
        let svg = LineChart(title: "", xLabel: "ε", yRange: 0...1, yTick: LineChart.percentTicks, series: [.init(label: "a", points: [(0, 0.9), (0.1, 0.4)])]).svg()
        for tick in ["0%", "25%", "50%", "75%", "100%"] { XCTAssertTrue(svg.contains(">\(tick)</text>"), tick) }
    }
}
