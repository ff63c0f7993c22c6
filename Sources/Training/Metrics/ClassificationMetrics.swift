import Datasets
import Foundation
import NN
import Tensors

/// What an evaluation measures: top-1 and top-5 accuracy, expected calibration error
/// (Guo et al., 2017: 15 equal-width confidence bins), the mean cross-entropy, and — with
/// a teacher — the fraction of samples on which student and teacher predict the same class.
public struct ClassificationMetrics: EvaluationMetrics, Codable {
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
            // NaN logits (a diverged model) count as wrong, in the lowest bin.
            let bin = confidence.isNaN ? 0 : min(bins - 1, Int(confidence * Double(bins)))
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

extension ClassificationMetrics {
    public static let task = "classification"

    public var namedValues: [String: Double] {
        var values = ["top1": top1, "top5": top5, "ece": expectedCalibrationError, "loss": loss]
        values["teacher_agreement"] = teacherAgreement
        return values
    }

    public var headline: String { String(format: "val top-1 %.2f%%", top1 * 100) }

    public init?(_ record: EvaluationRecord) {
        guard record.task == Self.task, let top1 = record["top1"], let top5 = record["top5"],
              let ece = record["ece"], let loss = record["loss"] else { return nil }
        (self.top1, self.top5, expectedCalibrationError, self.loss) = (top1, top5, ece, loss)
        (teacherAgreement, count) = (record["teacher_agreement"], record.count)
    }

    /// A teacher's metrics on labeled data.
    public init<Data: Dataset>(evaluating teacher: any Teacher, on data: Data, batchSize: Int = 256) throws {
        let output = try collectOutputs(on: data, batchSize: batchSize) { try teacher.outputs(for: $0, featurePaths: []).logits }
        self.init(logits: output.outputs, labels: output.labels)
    }
}

/// A classifier's evaluation: `ClassificationMetrics` of the student's logits, with its
/// agreement with the teacher's predictions.
public struct ClassificationEvaluation: TaskEvaluation {
    public var batchSize: Int

    public init(batchSize: Int = 256) { self.batchSize = batchSize }

    public func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> ClassificationMetrics {
        let predicted = try predictions(of: student, teacher: teacher, on: data, batchSize: batchSize) { try $0.required(ModelOutputs.logitsName, of: $1) }
        return ClassificationMetrics(logits: predicted.student, labels: predicted.labels, teacherLogits: predicted.teacher)
    }
}

/// The student's output that `select` picks (in inference mode, without gradients) and the
/// teacher's for every sample of `data`, in order, with the labels: what each task's
/// evaluation measures. `select` gets the outputs and whose they are ("the student").
func predictions<Data: Dataset>(
    of student: Module, teacher: (any Teacher)?, on data: Data, batchSize: Int,
    select: (ModelOutputs, String) throws -> Tensor
) throws -> (student: Tensor, labels: Tensor, teacher: Tensor?) {
    let studentOutput = try collectOutputs(on: data, batchSize: batchSize) { batch in
        try select(try withoutGradients { try student.outputs(for: batch) }, "the student")
    }
    let teacherOutput = try teacher.map { teacher in
        try collectOutputs(on: data, batchSize: batchSize) { try select(try teacher.outputs(for: $0, featurePaths: []).outputs, "the teacher") }.outputs
    }
    return (studentOutput.outputs, studentOutput.labels, teacherOutput)
}

/// The outputs `predict` gives for every sample of `data`, in order, with the labels (or
/// regression targets).
func collectOutputs<Data: Dataset>(
    on data: Data, batchSize: Int, _ predict: (Batch) throws -> Tensor
) throws -> (outputs: Tensor, labels: Tensor) {
    var outputs: [Tensor] = [], labels: [Tensor] = []
    for start in stride(from: 0, to: data.count, by: batchSize) {
        let batch = data.batch(at: Array(start..<min(start + batchSize, data.count)))
        guard let batchLabels = batch.labels else { throw DataError("evaluation", "the evaluation data has no labels") }
        outputs.append(try predict(batch))
        labels.append(batchLabels)
    }
    return (concatenate(outputs), concatenate(labels))
}
