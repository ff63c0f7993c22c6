import Configuration
import Distillation
import Training
import Tensors

/// Defensive distillation (Papernot et al., 2016): both networks are trained with their
/// softmax at a high temperature T — the teacher on the labels, `CE(softmax(z/T), y)`, the
/// student on the teacher's soft labels at T, `CE(softmax(z/T), softmax(t/T))` — and deployed
/// at T = 1. Deployed, the logits are about T times larger than training made them, so the
/// softmax saturates and cross-entropy gradients vanish: FGSM and PGD on cross-entropy stall,
/// while attacks on the logits' margin (Carlini & Wagner, 2017) still succeed.
///
/// Without teacher logits (training the teacher) the term uses the labels.
public struct DefensiveDistillationLoss: LossTerm {
    public let temperature: Float
    public var name: String { "defensive" }

    public init(temperature: Float = 20) {
        precondition(temperature > 0, "DefensiveDistillationLoss: temperature \(temperature) must be positive")
        self.temperature = temperature
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let scaled = batch.studentLogits / temperature
        if let teacherLogits = batch.teacherLogits {
            return crossEntropy(logits: scaled, probabilities: teacherLogits.detached().softmax(axis: 1, temperature: temperature))
        }
        guard let labels = batch.labels else { preconditionFailure("defensive: needs teacher logits or labels") }
        return crossEntropy(logits: scaled, labels: labels)
    }
}

extension DefensiveDistillationLoss: ConfigurableLossTerm {
    public static let configName = "defensive"
    public static let configKeys = "temperature (defensive distillation: labels or teacher at T)"
    /// The teacher itself is trained with this term, from the labels.
    public static var needs: Set<LossTermNeed> { [] }
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(temperature: try entry.positiveValue("temperature", default: 20))
    }
}
