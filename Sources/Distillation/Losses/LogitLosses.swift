import Tensors

/// Cross-entropy with the labels (optionally smoothed).
public struct CrossEntropyTerm: LossTerm {
    public let labelSmoothing: Float
    public var name: String { "ce" }
    public init(labelSmoothing: Float = 0) { self.labelSmoothing = labelSmoothing }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        crossEntropy(logits: batch.studentLogits, labels: batch.requireLabels(name), labelSmoothing: labelSmoothing)
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
public struct DecoupledKD: LossTerm {
    public let alpha: Float, beta: Float, temperature: Float
    public var name: String { "dkd" }
    public init(alpha: Float = 1, beta: Float = 8, temperature: Float = 4) {
        (self.alpha, self.beta, self.temperature) = (alpha, beta, temperature)
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
        return alpha * tckd + beta * nckd
    }
}
