import NN
import Tensors

/// An exponential moving average of a model's parameters (Polyak averaging; the "EMA
/// teacher" of self-distillation): `shadow ← d·shadow + (1 − d)·p` after each step.
public final class ExponentialMovingAverage {
    public let decay: Float
    /// The averaged parameters by path.
    public private(set) var shadow: [String: Tensor]

    public init(of model: Module, decay: Float) {
        precondition((0..<1).contains(decay), "ExponentialMovingAverage: decay \(decay) is not in [0, 1)")
        self.decay = decay
        shadow = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.path, $0.parameter.wrappedValue.detached()) })
    }

    /// Folds the model's current parameters into the average.
    public func update(from model: Module) {
        withoutGradients {
            for (path, parameter) in model.namedParameters() {
                if let previous = shadow[path] { shadow[path] = previous * decay + parameter.wrappedValue.detached() * (1 - decay) }
            }
        }
    }

    /// Writes the averaged parameters into `model` (of the same architecture).
    public func copy(to model: Module) { model.update(parameters: shadow) }
}
