import Datasets
import NN
import Tensors
import Training

/// A generative network's figure on held-out data after each epoch: its objective's loss
/// (a teacher's denoising loss, a student's consistency or bootstrapping loss), at times and
/// noise drawn from a fixed seed, so that epochs compare. Sample quality (SWD, FD) costs
/// sampling and a reference, and is measured by `distill sample`.
public struct DenoisingMetrics: EvaluationMetrics {
    public var loss: Double
    public var count: Int

    public static let task = "denoising"
    public var namedValues: [String: Double] { ["loss": loss] }
    public var headline: String { String(format: "val loss %.4g", loss) }

    public init(loss: Double, count: Int) { (self.loss, self.count) = (loss, count) }

    public init?(_ record: EvaluationRecord) {
        guard record.task == Self.task, let loss = record["loss"] else { return nil }
        (self.loss, count) = (loss, record.count)
    }
}

/// Evaluates a network by its objective's loss on the validation data (as at epoch 0, so
/// that a warm-up does not move the figure), on its first `limit` samples: a student's loss
/// costs several teacher and student passes a sample, and 10,000 test images would take
/// longer than the epoch they judge, for a figure that only compares epochs.
public struct ObjectiveLossEvaluation<Objective: TrainingObjective>: TaskEvaluation {
    public let objective: Objective
    public var batchSize = 256
    public var seed: UInt64 = 0
    public var limit = 2048

    public init(objective: Objective) { self.objective = objective }

    public func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> DenoisingMetrics {
        var generator = RandomGenerator(seed: seed)
        var total = 0.0
        let count = min(data.count, limit)
        for start in stride(from: 0, to: count, by: batchSize) {
            let batch = data.batch(at: Array(start..<min(start + batchSize, count)))
            let prepared = try objective.prepare(batch, student: student, epoch: 0, using: &generator)
            total += Double(try withoutGradients { try objective.loss(prepared, student: student).total.item }) * Double(batch.count)
        }
        return DenoisingMetrics(loss: total / Double(max(count, 1)), count: count)
    }
}
