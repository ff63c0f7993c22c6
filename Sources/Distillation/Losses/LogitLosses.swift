import Configuration
import Datasets
import Tensors

/// Cross-entropy with the labels (optionally smoothed): logits `[B, C]` against labels `[B]`,
/// or a language model's `[B, T, V]` against the next tokens `[B, T]`, averaged over the
/// positions. Samples labeled `Batch.unlabeledMarker` (the unlabeled part of semi-supervised
/// data) are skipped; a batch with no labeled sample contributes 0.
public struct CrossEntropyTerm: LossTerm {
    public let labelSmoothing: Float
    public var name: String { "ce" }
    public init(labelSmoothing: Float = 0) { self.labelSmoothing = labelSmoothing }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let labels = batch.requireLabels(name)
        let marker = Int(Batch.unlabeledMarker)
        guard labels.integerScalars.contains(where: { $0 != marker }) else { return Tensor(0) }
        let logits = batch.studentLogits
        // A language model scores every position: logits [B, T, V] against labels [B, T].
        let perPosition = logits.rank >= 3 && labels.shape == Array(logits.shape.dropLast())
        return crossEntropy(logits: logits, labels: labels, classAxis: perPosition ? -1 : 1, labelSmoothing: labelSmoothing, ignoreIndex: marker)
    }
}

/// Knowledge distillation (Hinton, Vinyals & Dean, 2015): `T²·KL(softmax(t/T) ‖ softmax(s/T))`
/// averaged over the batch. Needs no labels, so it also distills on unlabeled data (the
/// soft-target-only regime of SSLD). Combine with `CrossEntropyTerm` as `α·KD + (1 − α)·CE`.
public struct KnowledgeDistillationLoss: LossTerm {
    public let temperature: Float
    public var name: String { "kd" }
    public init(temperature: Float = 4) { self.temperature = temperature }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        distillationKLDivergence(studentLogits: batch.studentLogits, teacherLogits: batch.requireTeacherLogits(name).detached(), temperature: temperature)
    }
}

/// Decoupled knowledge distillation (Zhao et al., 2022): KD split into the target-class
/// term (TCKD, a binary KL between `[p_target, 1 − p_target]`) and the non-target term
/// (NCKD, a KL among the other classes), re-weighted: `α·TCKD + β·NCKD`, each scaled by T².
/// As in the official code, the term ramps up linearly over the first `warmupEpochs`
/// epochs (factor `min((epoch + 1)/warmup, 1)`): at full weight from the first step, the
/// β-weighted NCKD of an untrained student is large enough to derail SGD.
public struct DecoupledKD: LossTerm {
    public let alpha: Float, beta: Float, temperature: Float
    public let warmupEpochs: Int
    public var name: String { "dkd" }
    public init(alpha: Float = 1, beta: Float = 8, temperature: Float = 4, warmupEpochs: Int = 0) {
        (self.alpha, self.beta, self.temperature, self.warmupEpochs) = (alpha, beta, temperature, warmupEpochs)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let student = batch.studentLogits, teacher = batch.requireTeacherLogits(name).detached()
        let target = oneHot(batch.requireLabels(name), classCount: student.shape[1])
        let other = 1 - target
        func binary(_ logits: Tensor) -> Tensor {
            let p = logits.softmax(axis: 1, temperature: temperature)
            return concatenate([(p * target).sum(axes: [1], keepDims: true), (p * other).sum(axes: [1], keepDims: true)], axis: 1)
        }
        let scale = temperature * temperature
        let tckd = klDivergence(logProbabilities: binary(student).log(), target: binary(teacher)) * scale
        // The official code masks the target class by subtracting 1000 from its logit.
        let mask = target * (1000 * temperature)
        let nckd = klDivergence(
            logProbabilities: (student - mask).logSoftmax(axis: 1, temperature: temperature),
            target: (teacher - mask).softmax(axis: 1, temperature: temperature)) * scale
        let warmup = warmupEpochs > 0 ? Swift.min(Float(batch.epoch + 1) / Float(warmupEpochs), 1) : 1
        return warmup * (alpha * tckd + beta * nckd)
    }
}

/// Soft-target-only distillation, as in SSLD (Cui et al., 2021, "Beyond Self-Supervision"):
/// the student matches the teacher's prediction and nothing else, so no labels are needed and
/// any unlabeled data can serve. The divergence is selectable: `.kullbackLeibler` gives
/// `T²·KL(p_t ‖ p_s)` (Hinton's term without labels); `.jensenShannon` gives the symmetric,
/// bounded `T²·(KL(p_t ‖ m) + KL(p_s ‖ m))/2` with `m = (p_t + p_s)/2`, the form PaddleClas's
/// SSLD recipes use.
public struct SoftTargetLoss: LossTerm {
    /// How the two distributions are compared.
    public enum Divergence: String, CaseIterable, Sendable {
        case kullbackLeibler = "kl"
        case jensenShannon = "js"
    }

    public let divergence: Divergence
    public let temperature: Float
    public var name: String { "ssld" }

    public init(divergence: Divergence = .jensenShannon, temperature: Float = 1) {
        precondition(temperature > 0, "SoftTargetLoss: temperature \(temperature) must be positive")
        (self.divergence, self.temperature) = (divergence, temperature)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let student = batch.studentLogits, teacher = batch.requireTeacherLogits(name).detached()
        switch divergence {
        case .kullbackLeibler:
            return distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: temperature)
        case .jensenShannon:
            let p = teacher.softmax(axis: 1, temperature: temperature), q = student.softmax(axis: 1, temperature: temperature)
            let logMixture = maximum((p + q) * 0.5, Tensor(1e-12)).log()
            let js = (klDivergence(logProbabilities: logMixture, target: p) + klDivergence(logProbabilities: logMixture, target: q)) * 0.5
            return js * (temperature * temperature)
        }
    }
}

/// Regression to the targets: the mean squared error between the student's outputs and the
/// batch's real-valued labels (of the outputs' shape). The supervised term of a regressor,
/// as `CrossEntropyTerm` is a classifier's.
public struct TargetRegressionTerm: LossTerm {
    public var name: String { "mse" }
    public init() {}

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let targets = batch.requireLabels(name)
        precondition(targets.shape == batch.studentLogits.shape,
                     "mse: targets of shape \(targets.shape) do not match the student's outputs \(batch.studentLogits.shape)")
        return meanSquaredError(batch.studentLogits, targets)
    }
}

// MARK: Config names

extension CrossEntropyTerm: ConfigurableLossTerm {
    public static let configName = "ce"
    public static let configKeys = "label_smoothing"
    public static var needs: Set<LossTermNeed> { [.labels] }
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(labelSmoothing: try entry.value("label_smoothing", default: 0, in: 0..<1))
    }
}

extension KnowledgeDistillationLoss: ConfigurableLossTerm {
    public static let configName = "kd"
    public static let configKeys = "temperature"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(temperature: try entry.positiveValue("temperature", default: 4))
    }
}

extension SoftTargetLoss: ConfigurableLossTerm {
    public static let configName = "ssld"
    public static let configKeys = "divergence (kl | js), temperature"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let divergence = try entry.choice("divergence", from: Divergence.allCases.map { $0.rawValue }, default: "js")
        return Self(divergence: Divergence(rawValue: divergence)!, temperature: try entry.positiveValue("temperature", default: 1))
    }
}

extension DecoupledKD: ConfigurableLossTerm {
    public static let configName = "dkd"
    public static let configKeys = "alpha, beta, temperature, warmup_epochs"
    /// DKD splits each sample's distribution at its label, so every sample needs one.
    public static var needs: Set<LossTermNeed> { [.teacher, .labels, .everySampleLabeled] }
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(alpha: try entry.nonNegativeValue("alpha", default: 1), beta: try entry.nonNegativeValue("beta", default: 8),
             temperature: try entry.positiveValue("temperature", default: 4), warmupEpochs: try entry.value("warmup_epochs", default: 0, in: 0...1_000_000))
    }
}
