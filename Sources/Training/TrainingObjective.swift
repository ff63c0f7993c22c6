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
    /// Modules trained with the student by its optimizer (a FitNets regressor).
    var trainableModules: [Module] { get }
    /// Modules trained by optimizers of their own, in the order the trainer steps them.
    var optimizedModules: [OptimizedModule] { get }
    /// Stages trained before the main training, in order (RepDistiller's initialisation of
    /// AB, FSP and FT's paraphraser).
    var stages: [TrainingStage] { get }
    /// Everything the loss needs that does not depend on the student's parameters.
    /// `generator` is the step's own, so that a resumed run draws the same numbers.
    func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared
    /// The total loss (a scalar differentiable in the student's parameters) and its named parts.
    func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float])
    /// The loss of an own-pass module's update (`OptimizedModule.Pass.ownPass`), differentiable
    /// in that module's parameters. `update` counts the module's updates within the step,
    /// from 0 to `updatesPerStep − 1`, so that each can take its own part of `prepared` (DMD2's
    /// fake score sees fresh samples at each of its five updates).
    func loss(_ prepared: Prepared, student: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float])
    /// State the objective adapts as it trains (MTARD's temperatures and weights), saved in
    /// checkpoints so that a resumed run continues exactly.
    var adaptiveState: [String: Double] { get }
    func restoreAdaptiveState(_ state: [String: Double])
}

extension TrainingObjective {
    public var optimizedModules: [OptimizedModule] { [] }
    public var stages: [TrainingStage] { [] }
    /// The student's loss, for objectives whose modules all share its pass.
    public func loss(_ prepared: Prepared, student: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        try loss(prepared, student: student)
    }
    public var adaptiveState: [String: Double] { [:] }
    public func restoreAdaptiveState(_ state: [String: Double]) {}
}
