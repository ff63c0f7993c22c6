import Configuration
import Datasets
import NN
import Tensors
import Training

/// Adversarially robust distillation, ARD (Goldblum et al., 2020): the student, attacked by
/// PGD on its own cross-entropy, must reproduce on the adversarial input what the (robust)
/// teacher says about the clean one:
/// `α·T²·KL(t(x)/T ‖ s(x_adv)/T) + (1 − α)·CE(s(x), y)`.
public struct ARD: TrainingObjective {
    public let teacherModel: any Teacher
    public let attack: PGD
    public let alpha: Float, temperature: Float
    public var teacher: (any Teacher)? { teacherModel }
    public var trainableModules: [Module] { [] }

    public init(teacher: any Teacher, attack: PGD, alpha: Float = 1, temperature: Float = 30) {
        (self.teacherModel, self.attack, self.alpha, self.temperature) = (teacher, attack, alpha, temperature)
    }

    public struct Prepared {
        let clean: Tensor, adversarial: Tensor, labels: Tensor, teacherLogits: Tensor
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let labels = try requireLabels(batch, "ARD")
        let adversarial = inInferenceMode(student) { attack.perturb(student, inputs: batch.inputs, labels: labels, using: &generator) }
        return Prepared(clean: batch.inputs, adversarial: adversarial, labels: labels,
                        teacherLogits: try teacherModel.outputs(for: batch, featurePaths: []).logits)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let distilled = distillationKLDivergence(studentLogits: student(prepared.adversarial), teacherLogits: prepared.teacherLogits, temperature: temperature)
        var total = alpha * distilled
        var parts = ["ard_kl": distilled.item]
        if alpha < 1 {
            let natural = crossEntropy(logits: student(prepared.clean), labels: prepared.labels)
            total = total + (1 - alpha) * natural
            parts["ce"] = natural.item
        }
        return (total, parts)
    }
}

/// RSLAD (Zi et al., 2021): robust soft labels — the robust teacher's predictions on the
/// clean input — replace the hard labels everywhere: in crafting `x_adv` (maximising
/// `KL(t(x) ‖ s(x′))`) and in the loss `5/6·KL(t(x) ‖ s(x_adv)) + 1/6·KL(t(x) ‖ s(x))`.
public struct RSLAD: TrainingObjective {
    public let teacherModel: any Teacher
    public let attack: PGD
    public let adversarialWeight: Float
    public var teacher: (any Teacher)? { teacherModel }
    public var trainableModules: [Module] { [] }

    public init(teacher: any Teacher, attack: PGD, adversarialWeight: Float = 5.0 / 6.0) {
        (self.teacherModel, self.attack, self.adversarialWeight) = (teacher, attack, adversarialWeight)
    }

    public struct Prepared {
        let clean: Tensor, adversarial: Tensor, teacherLogits: Tensor
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let teacherLogits = try teacherModel.outputs(for: batch, featurePaths: []).logits
        let softLabels = teacherLogits.softmax(axis: 1)
        let adversarial = inInferenceMode(student) {
            attack.maximize(student, around: batch.inputs, start: jitteredStart(batch.inputs, using: &generator),
                            objective: { divergence(from: softLabels, logits: $0) }, using: &generator)
        }
        return Prepared(clean: batch.inputs, adversarial: adversarial, teacherLogits: teacherLogits)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let robust = distillationKLDivergence(studentLogits: student(prepared.adversarial), teacherLogits: prepared.teacherLogits, temperature: 1)
        let natural = distillationKLDivergence(studentLogits: student(prepared.clean), teacherLogits: prepared.teacherLogits, temperature: 1)
        return (adversarialWeight * robust + (1 - adversarialWeight) * natural, ["rslad_adv": robust.item, "rslad_nat": natural.item])
    }
}

// MARK: Config names

extension ARD: RobustTrainingMethod {
    public static let configName = "ard"
    public static let configKeys = "epsilon, norm, steps, step_size, alpha, temperature"
    public static var needs: Set<MethodNeed> { [.teacher] }
    public var threat: ThreatModel { attack.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let attack = try PGD.trainingAttack(from: entry)
        return Self(teacher: try requiredTeacher(context.teacher, entry, method: configName), attack: attack,
                    alpha: try entry.value("alpha", default: 1, in: 0...1), temperature: try entry.positiveValue("temperature", default: 30))
    }
}

extension RSLAD: RobustTrainingMethod {
    public static let configName = "rslad"
    public static let configKeys = "epsilon, norm, steps, step_size, adversarial_weight"
    public static var needs: Set<MethodNeed> { [.teacher] }
    public var threat: ThreatModel { attack.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let attack = try PGD.trainingAttack(from: entry)
        return Self(teacher: try requiredTeacher(context.teacher, entry, method: configName), attack: attack,
                    adversarialWeight: try entry.value("adversarial_weight", default: 5.0 / 6.0, in: 0...1))
    }
}
