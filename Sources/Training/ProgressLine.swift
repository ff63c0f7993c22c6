import Foundation

/// Training progress on standard output: on a terminal, one line rewritten in place as the
/// batches go by; otherwise (a log file, a pipe) only the finished line of each epoch.
struct ProgressLine {
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast

    /// Redraws the in-place line (at most ten times a second); a no-op off a terminal.
    mutating func update(epoch: Int, of epochs: Int, batch: Int, of batches: Int, loss: Double) {
        guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.1 || batch == batches else { return }
        lastDraw = Date()
        let width = 24, filled = batches == 0 ? width : width * batch / batches
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        print(String(format: "\r\u{1B}[Kepoch %d/%d [%@] %d/%d  loss %.4f", epoch + 1, epochs, bar, batch, batches, loss), terminator: "")
        fflush(stdout)
    }

    /// Replaces the in-place line by a permanent one.
    func finish(_ line: String) {
        print((isTerminal ? "\r\u{1B}[K" : "") + line)
        fflush(stdout)
    }
}
