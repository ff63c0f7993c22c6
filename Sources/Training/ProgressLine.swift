import Foundation

/// Progress of a long loop (an epoch's batches, an attack's samples) on standard output,
/// with throughput and the time left: on a terminal, one line rewritten in place at most ten
/// times a second; otherwise (a log file, a pipe) a line every `logInterval` seconds, so a
/// long run is never silent and a short one adds nothing to the log.
public struct ProgressLine {
    public let isTerminal = isatty(STDOUT_FILENO) != 0
    /// Seconds between the lines written off a terminal.
    public var logInterval: TimeInterval = 10
    private let start = Date()
    private var lastDraw = Date()

    public init() {}

    /// Shows `label`, a bar of `done` of `total` steps, `detail` (a loss, say), the samples
    /// per second since this line began, and the estimated time to `total`.
    public mutating func update(_ label: String, done: Int, of total: Int, samples: Int, detail: String = "") {
        let now = Date()
        let interval = isTerminal ? 0.1 : logInterval
        guard now.timeIntervalSince(lastDraw) >= interval || (isTerminal && done == total) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let width = 24, filled = total == 0 ? width : width * min(done, total) / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = elapsed > 0 ? Double(samples) / elapsed : 0
        let remaining = done > 0 ? elapsed * Double(total - done) / Double(done) : .nan
        let line = "\(label) [\(bar)] \(done)/\(total)\(detail.isEmpty ? "" : "  " + detail)  "
            + Self.throughput(rate) + "  ETA " + Self.duration(remaining)
        if isTerminal {
            print("\r\u{1B}[K" + line, terminator: "")
        } else {
            print(line)
        }
        fflush(stdout)
    }

    /// Removes the in-place line (nothing to do off a terminal).
    public func clear() {
        guard isTerminal else { return }
        print("\r\u{1B}[K", terminator: "")
        fflush(stdout)
    }

    /// Replaces the in-place line by a permanent one.
    public func finish(_ line: String) {
        print((isTerminal ? "\r\u{1B}[K" : "") + line)
        fflush(stdout)
    }

    /// "2,765 samples/s", in whole samples.
    public static func throughput(_ samplesPerSecond: Double) -> String {
        guard samplesPerSecond.isFinite, samplesPerSecond >= 0 else { return "– samples/s" }
        // Grouped by hand: the same text whatever the locale.
        var digits = String(Int(samplesPerSecond.rounded()))
        for position in stride(from: digits.count - 3, to: 0, by: -3) {
            digits.insert(",", at: digits.index(digits.startIndex, offsetBy: position))
        }
        return "\(digits) samples/s"
    }

    /// "0:07", "12:30" or "1:02:03"; "–" when unknown.
    public static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
