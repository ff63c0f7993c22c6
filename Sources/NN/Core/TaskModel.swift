import Tensors

/// Several tensors, each under a name: a model's typed inputs or outputs seen by code that
/// handles any model (loss terms read outputs by name, a teacher cache stores them).
public protocol NamedTensors {
    /// Every tensor with its name, in a fixed order; the first is the primary one (what a
    /// feature tap on the module records, what a regression evaluation scores).
    var namedTensors: [(name: String, tensor: Tensor)] { get }
}

/// A model with typed, named inputs and outputs, for tasks where one tensor in and one out
/// does not fit: a denoiser takes `(x_t, t, condition)` and returns a prediction, a graph
/// network takes node features and a graph, a language model takes tokens and a mask.
///
/// Plain classifiers stay plain `Module`s (`model(x)`); a model conforms to this protocol
/// only when it needs more. Its call site is typed:
///
/// ```swift
/// final class Denoiser: Module, TaskModel {
///     struct Inputs { var noisy: Tensor; var time: Tensor }
///     struct Outputs: NamedTensors {
///         var prediction: Tensor
///         var namedTensors: [(name: String, tensor: Tensor)] { [("prediction", prediction)] }
///     }
///     func forward(_ inputs: Inputs) -> Outputs { … }
/// }
/// let prediction = denoiser(.init(noisy: x, time: t)).prediction
/// ```
///
/// The trainer's stock objective, the evaluators and model teachers run such a model on a
/// batch when its `Inputs` can be read from one (`BatchInputs`, in `Training`).
public protocol TaskModel: Module {
    associatedtype Inputs
    associatedtype Outputs: NamedTensors
    /// The computation; call the model (`model(inputs)`) rather than this.
    func forward(_ inputs: Inputs) -> Outputs
}

extension TaskModel {
    /// Runs `forward`, recording the primary output when a feature tap is set on the model.
    public func callAsFunction(_ inputs: Inputs) -> Outputs {
        recordingCall { forward(inputs) }
    }
}

extension Module {
    /// Runs `compute` as a call of this module with named outputs; a feature tap on it
    /// records the primary (first) one.
    public final func recordingCall<Outputs: NamedTensors>(_ compute: () -> Outputs) -> Outputs {
        let outputs = compute()
        if let primary = outputs.namedTensors.first?.tensor { _ = recordingCall { primary } }
        return outputs
    }
}
