import Training
import XCTest

final class ProgressLineTests: XCTestCase {
    func testThroughputAndTimeLeftAreWrittenTheSameWayInEveryLocale() {
        XCTAssertEqual(ProgressLine.throughput(2765.4), "2,765 samples/s")
        XCTAssertEqual(ProgressLine.throughput(1_234_567), "1,234,567 samples/s")
        XCTAssertEqual(ProgressLine.throughput(999.6), "1,000 samples/s")
        XCTAssertEqual(ProgressLine.throughput(12), "12 samples/s")
        XCTAssertEqual(ProgressLine.throughput(.nan), "– samples/s")
        XCTAssertEqual(ProgressLine.duration(7), "0:07")
        XCTAssertEqual(ProgressLine.duration(750), "12:30")
        XCTAssertEqual(ProgressLine.duration(3723), "1:02:03")
        XCTAssertEqual(ProgressLine.duration(.nan), "–")
    }
}
