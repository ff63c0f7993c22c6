import Configuration
import Datasets
import Distillation
import NN
import Tensors
import Training

/// HARD, hard augmentations for robust distillation (Sanchez et al., 2023): besides the
/// data, the student learns from synthetic inputs chosen where teacher and student
/// *disagree*. Here the augmentation model is a bounded additive perturbation (the threat
/// model's ball, clipped to the input range) found by PGD ascent on `KL(t(x′) ‖ s(x′))`,
/// differentiating through both networks; the loss is KD on the clean and the augmented
/// batch, `(1 − w)·T²·KL(t(x)/T ‖ s(x)/T) + w·T²·KL(t(x′)/T ‖ s(x′)/T)`, plus cross-entropy
/// on the labels with weight `labelWeight`. The student so learns the teacher's behaviour
/// off the data manifold too — its invariances, and its answers out of domain.
public struct HARD: TrainingObjective {
    public let teacherModel: Module
    public let augmentation: PGD
    public let temperature: Float
    public let augmentedWeight: Float
    public let labelWeight: Float
    public let teacher: (any Teacher)?
    public var trainableModules: [Module] { [] }

    public init(teacher: Module, augmentation: PGD, temperature: Float = 4, augmentedWeight: Float = 0.5, labelWeight: Float = 0) {
        self.teacher = ModelTeacher(teacher)  // inference mode, frozen
        (self.teacherModel, self.augmentation, self.temperature) = (teacher, augmentation, temperature)
        (self.augmentedWeight, self.labelWeight) = (augmentedWeight, labelWeight)
    }

    public struct Prepared {
        let batch: Batch, augmented: Tensor, teacherClean: Tensor, teacherAugmented: Tensor
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        // Both networks see each candidate x′ (their logits side by side), so the disagreement's
        // gradient reaches x′ through the teacher as well as the student.
        let pair = SideBySide(teacherModel, student)
        let augmented = inInferenceMode(student) {
            augmentation.maximize(pair, around: batch.inputs, start: jitteredStart(batch.inputs, using: &generator), objective: { both in
                let classes = both.shape[1] / 2
                let (teacherLogits, studentLogits) = (both.slice(axis: 1, start: 0, end: classes), both.slice(axis: 1, start: classes))
                return divergence(from: teacherLogits.softmax(axis: 1), logits: studentLogits)
            }, using: &generator)
        }
        return Prepared(batch: batch, augmented: augmented,
                        teacherClean: withoutGradients { teacherModel(batch.inputs) }, teacherAugmented: withoutGradients { teacherModel(augmented) })
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let clean = distillationKLDivergence(studentLogits: student(prepared.batch.inputs), teacherLogits: prepared.teacherClean, temperature: temperature)
        let hard = distillationKLDivergence(studentLogits: student(prepared.augmented), teacherLogits: prepared.teacherAugmented, temperature: temperature)
        var total = (1 - augmentedWeight) * clean + augmentedWeight * hard
        var parts = ["kd": clean.item, "hard_kd": hard.item]
        if labelWeight > 0, let labels = prepared.batch.labels {
            let ce = crossEntropy(logits: student(prepared.batch.inputs), labels: labels)
            total = total + labelWeight * ce
            parts["ce"] = ce.item
        }
        return (total, parts)
    }
}

/// Two classifiers run on the same input, their logits concatenated `[N, 2C]`.
final class SideBySide: Module {
    let first: Module, second: Module

    init(_ first: Module, _ second: Module) {
        (self.first, self.second) = (first, second)
        super.init()
    }

    override func forward(_ input: Tensor) -> Tensor {
        concatenate([first(input), second(input)], axis: 1)
    }
}

// MARK: Config name

extension HARD: RobustTrainingMethod {
    public static let configName = "hard"
    public static let configKeys = "epsilon, norm, steps, step_size, temperature, augmented_weight, label_weight"
    public static var needs: Set<MethodNeed> { [.teacher] }
    public var threat: ThreatModel { augmentation.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let augmentation = try PGD.trainingAttack(from: entry)
        guard let model = (try requiredTeacher(context.teacher, entry, method: configName) as? ModelTeacher)?.model else {
            throw entry.error("method 'hard' differentiates through the teacher: it needs a teacher model (not an ensemble or a cache)")
        }
        return Self(teacher: model, augmentation: augmentation, temperature: try entry.positiveValue("temperature", default: 4),
                    augmentedWeight: try entry.value("augmented_weight", default: 0.5, in: 0...1), labelWeight: try entry.nonNegativeValue("label_weight", default: 0))
    }
}
