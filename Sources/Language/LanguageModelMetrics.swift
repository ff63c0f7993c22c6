import Datasets
import Foundation
import NN
import Tensors
import Training

/// A language model's figures on held-out text: the mean next-token cross-entropy (nats per
/// token), its perplexity, and — with a teacher — the share of positions where both put the
/// same token first.
public struct LanguageModelMetrics: EvaluationMetrics {
    public var loss: Double
    public var teacherAgreement: Double?
    /// The number of windows scored.
    public var count: Int
    public var tokens: Int

    public static let task = "language-model"
    public var perplexity: Double { exp(loss) }

    public var namedValues: [String: Double] {
        var values = ["loss": loss, "perplexity": perplexity, "tokens": Double(tokens)]
        values["teacher_agreement"] = teacherAgreement
        return values
    }

    public var headline: String { String(format: "val loss %.4f  ppl %.2f", loss, perplexity) }

    public init(loss: Double, teacherAgreement: Double? = nil, count: Int, tokens: Int) {
        (self.loss, self.teacherAgreement, self.count, self.tokens) = (loss, teacherAgreement, count, tokens)
    }

    public init?(_ record: EvaluationRecord) {
        guard record.task == Self.task, let loss = record["loss"] else { return nil }
        (self.loss, teacherAgreement, count, tokens) = (loss, record["teacher_agreement"], record.count, Int(record["tokens"] ?? 0))
    }
}

/// A language model's evaluation: its logits `[B, T, V]` against each position's next token
/// (the batch's labels `[B, T]`), on the first `limit` windows of the data.
public struct LanguageModelEvaluation: TaskEvaluation {
    public var batchSize: Int
    public var limit: Int

    public init(batchSize: Int = 64, limit: Int = 512) { (self.batchSize, self.limit) = (batchSize, limit) }

    public func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> LanguageModelMetrics {
        let count = min(data.count, limit)
        var (total, tokens, agreements) = (0.0, 0, 0)
        for start in stride(from: 0, to: count, by: batchSize) {
            let batch = data.batch(at: Array(start..<min(start + batchSize, count)))
            guard let labels = batch.labels else { throw DataError("evaluation", "the evaluation text has no next tokens (labels)") }
            let logits = try withoutGradients { try student.outputs(for: batch).required(ModelOutputs.logitsName, of: "the student") }
            guard logits.rank == 3, Array(logits.shape.dropLast()) == labels.shape else {
                throw DataError("evaluation", "a language model's logits \(logits.shape) do not match next tokens \(labels.shape) as [B, T, V] and [B, T]")
            }
            total += Double(crossEntropy(logits: logits, labels: labels, classAxis: -1, reduction: .sum).item)
            tokens += labels.count
            if let teacher {
                let teacherLogits = try teacher.outputs(for: batch, featurePaths: []).outputs.required(ModelOutputs.logitsName, of: "the teacher")
                agreements += zip(logits.argmax(axis: -1).scalars, teacherLogits.argmax(axis: -1).scalars).filter { $0 == $1 }.count
            }
        }
        return LanguageModelMetrics(loss: total / Double(max(tokens, 1)), teacherAgreement: teacher.map { _ in Double(agreements) / Double(max(tokens, 1)) },
                                    count: count, tokens: tokens)
    }
}
