import Foundation
import Tensors

/// What an evaluation measures: top-1 and top-5 accuracy, expected calibration error
/// (Guo et al., 2017: 15 equal-width confidence bins), the mean cross-entropy, and — with
/// a teacher — the fraction of samples on which student and teacher predict the same class.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var top1: Double
    public var top5: Double
    public var expectedCalibrationError: Double
    public var loss: Double
    public var teacherAgreement: Double?
    public var count: Int

    /// The metrics of `logits` `[N, C]` against `labels` `[N]` (and `teacherLogits`).
    public init(logits: Tensor, labels: Tensor, teacherLogits: Tensor? = nil, bins: Int = 15) {
        let n = logits.shape[0], classes = logits.shape[1]
        let probabilities = logits.softmax(axis: 1).scalars
        let targets = labels.integerScalars
        var top1 = 0, top5 = 0
        var binCount = [Int](repeating: 0, count: bins), binCorrect = [Double](repeating: 0, count: bins), binConfidence = [Double](repeating: 0, count: bins)
        for i in 0..<n {
            let row = Array(probabilities[(i * classes)..<((i + 1) * classes)])
            let ranked = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            let correct = ranked[0] == targets[i]
            if correct { top1 += 1 }
            if ranked.prefix(5).contains(targets[i]) { top5 += 1 }
            let confidence = Double(row[ranked[0]])
            let bin = min(bins - 1, Int(confidence * Double(bins)))
            binCount[bin] += 1
            binCorrect[bin] += correct ? 1 : 0
            binConfidence[bin] += confidence
        }
        self.top1 = Double(top1) / Double(max(n, 1))
        self.top5 = Double(top5) / Double(max(n, 1))
        expectedCalibrationError = (0..<bins).reduce(0) { sum, b in
            binCount[b] == 0 ? sum : sum + abs(binCorrect[b] - binConfidence[b]) / Double(max(n, 1))
        }
        loss = Double(crossEntropy(logits: logits, labels: labels).item)
        if let teacherLogits {
            teacherAgreement = Double((logits.argmax(axis: 1) .== teacherLogits.argmax(axis: 1)).mean().item)
        }
        count = n
    }
}
