import Datasets
import NN
import Tensors

/// An objective that is another with something around it (a config method around the
/// objective it builds): what the trainer asks of it goes to `objective`.
public protocol ForwardingObjective: TrainingObjective where Prepared == Wrapped.Prepared {
    associatedtype Wrapped: TrainingObjective
    var objective: Wrapped { get }
}

extension ForwardingObjective {
    public var teacher: (any Teacher)? { objective.teacher }
    public var trainableModules: [Module] { objective.trainableModules }
    public var optimizedModules: [OptimizedModule] { objective.optimizedModules }
    public var stages: [TrainingStage] { objective.stages }
    public var adaptiveState: [String: Double] { objective.adaptiveState }
    public func restoreAdaptiveState(_ state: [String: Double]) { objective.restoreAdaptiveState(state) }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        try objective.prepare(batch, student: student, epoch: epoch, using: &generator)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        try objective.loss(prepared, student: student)
    }

    public func loss(_ prepared: Prepared, student: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        try objective.loss(prepared, student: student, updating: module, update: update)
    }
}
