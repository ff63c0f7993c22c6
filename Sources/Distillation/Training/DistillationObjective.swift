import Datasets
import NN
import Optim
import Tensors
import Training

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
    public var optimizedModules: [OptimizedModule] { lossTerms.terms.flatMap { $0.term.optimizedModules } }

    /// The terms' stages, each minimising its loss against the same teacher, at its
    /// settings' constant learning rate.
    public var stages: [TrainingStage] {
        lossTerms.stages.map { weight, stage in
            TrainingStage(name: stage.name, epochs: stage.settings.epochs,
                          objective: DistillationObjective(teacher: teacher, loss: WeightedLoss([(weight, stage.loss)])),
                          optimizer: stage.settings.optimizer, schedule: .constant(stage.settings.learningRate),
                          trainsStudent: stage.trainsStudent, studentMode: stage.studentMode)
        }
    }

    public struct Prepared {
        let batch: Batch
        let teacherOutput: TeacherOutputs?
        let epoch: Int
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let teacherOutput = try teacher?.outputs(for: batch, featurePaths: lossTerms.teacherFeaturePaths)
        var studentBatch = studentView.map { $0(batch, using: &generator) } ?? batch
        studentBatch.indices = batch.indices
        return Prepared(batch: studentBatch, teacherOutput: teacherOutput, epoch: epoch)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let (outputs, features) = try student.capturingFeatures(lossTerms.studentFeaturePaths) { try student.outputs(for: prepared.batch) }
        return lossTerms(DistillationBatch(
            studentLogits: try outputs.required(ModelOutputs.logitsName, of: "the student"), teacherLogits: prepared.teacherOutput?.outputs.logits,
            labels: prepared.batch.labels, studentFeatures: features, teacherFeatures: prepared.teacherOutput?.features ?? [:],
            epoch: prepared.epoch, sampleIndices: prepared.batch.indices, studentOutputs: outputs, teacherOutputs: prepared.teacherOutput?.outputs,
            mask: prepared.batch.mask, graph: prepared.batch.graph, nodes: prepared.batch.node?.integerScalars))
    }
}

extension Trainer {
    /// Distillation (or training alone) by a weighted sum of loss terms.
    public convenience init(student: Module, teacher: (any Teacher)?, loss: WeightedLoss, optimizer: Optimizer, options: TrainingOptions) {
        self.init(student: student, objective: DistillationObjective(teacher: teacher, loss: loss), optimizer: optimizer, options: options)
    }
}
