import Datasets
import NN
import Tensors

/// What the trainer minimises, in two phases per batch: `prepare` runs outside the gradient
/// scope (teacher outputs, adversarial examples — anything the student's parameters must not
/// be differentiated through), then `loss` runs the student inside it.
public protocol TrainingObjective {
    /// What `prepare` hands to `loss`.
    associatedtype Prepared
    /// The teacher, if any (evaluation reports the student's agreement with it).
    var teacher: (any Teacher)? { get }
    /// Modules trained with the student (a FitNets regressor).
    var trainableModules: [Module] { get }
    /// Everything the loss needs that does not depend on the student's parameters.
    /// `generator` is the step's own, so that a resumed run draws the same numbers.
    func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared
    /// The total loss (a scalar differentiable in the student's parameters) and its named parts.
    func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float])
    /// State the objective adapts as it trains (MTARD's temperatures and weights), saved in
    /// checkpoints so that a resumed run continues exactly.
    var adaptiveState: [String: Double] { get }
    func restoreAdaptiveState(_ state: [String: Double])
}

extension TrainingObjective {
    public var adaptiveState: [String: Double] { [:] }
    public func restoreAdaptiveState(_ state: [String: Double]) {}
}

/// The classic objective: the student's logits and tapped features against the labels and
/// the teacher's outputs, scored by a weighted sum of loss terms.
///
/// With a `studentView`, the student sees a transformed batch while the teacher sees the
/// original: DMAE (Bai et al., 2023) masks most of the student's input
/// (`RandomPatchMasking`) and has it match the teacher's features on the full input.
public struct DistillationObjective: TrainingObjective {
    public let teacher: (any Teacher)?
    public let lossTerms: WeightedLoss
    public let studentView: (any BatchTransform)?

    public init(teacher: (any Teacher)?, loss: WeightedLoss, studentView: (any BatchTransform)? = nil) {
        (self.teacher, self.lossTerms, self.studentView) = (teacher, loss, studentView)
    }

    public var trainableModules: [Module] { lossTerms.terms.flatMap { $0.term.trainableModules } }

    public struct Prepared {
        let batch: Batch
        let teacherOutput: (logits: Tensor, features: [String: Tensor])?
        let epoch: Int
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let teacherOutput = try teacher?.outputs(for: batch.inputs, featurePaths: lossTerms.teacherFeaturePaths)
        var studentBatch = studentView.map { $0(batch, using: &generator) } ?? batch
        studentBatch.indices = batch.indices
        return Prepared(batch: studentBatch, teacherOutput: teacherOutput, epoch: epoch)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let (logits, features) = try student.capturingFeatures(lossTerms.studentFeaturePaths) { student(prepared.batch.inputs) }
        return lossTerms(DistillationBatch(
            studentLogits: logits, teacherLogits: prepared.teacherOutput?.logits, labels: prepared.batch.labels,
            studentFeatures: features, teacherFeatures: prepared.teacherOutput?.features ?? [:], epoch: prepared.epoch,
            sampleIndices: prepared.batch.indices))
    }
}
