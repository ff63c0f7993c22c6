import Datasets
import NN
import Tensors

/// Model inputs that can be read from a batch's fields: what lets the trainer's stock
/// objective, the evaluators and model teachers run a `TaskModel` on any batch.
///
/// ```swift
/// extension Denoiser.Inputs: BatchInputs {
///     init(batch: Batch) throws {
///         self.init(noisy: batch.inputs, time: try batch.requiredField("time", for: "Denoiser"))
///     }
/// }
/// ```
public protocol BatchInputs {
    /// The inputs of `batch`; fails naming the field that is missing or malformed.
    init(batch: Batch) throws
}

/// A model's outputs for a batch, by name, in the model's order: `logits` for a classifier
/// (a plain `Module`'s one output is named so) or a language model, a denoiser's prediction,
/// and whatever else a `TaskModel` returns.
public struct ModelOutputs {
    /// The outputs in the model's order; the first is the primary one.
    public let entries: [(name: String, tensor: Tensor)]

    /// The name of a plain module's one output.
    public static let logitsName = "logits"

    public init(_ entries: [(name: String, tensor: Tensor)]) {
        precondition(!entries.isEmpty, "ModelOutputs: a model returns at least one output")
        precondition(Set(entries.map(\.name)).count == entries.count, "ModelOutputs: output names \(entries.map(\.name)) repeat")
        self.entries = entries
    }

    /// A classifier's outputs: its logits.
    public init(logits: Tensor) { self.init([(Self.logitsName, logits)]) }

    /// The output named `name`, or nil.
    public subscript(name: String) -> Tensor? { entries.first { $0.name == name }?.tensor }

    /// The output names, in order.
    public var names: [String] { entries.map(\.name) }

    /// The first output (a tap on the model records it; a regression is scored on it).
    public var primary: Tensor { entries[0].tensor }

    /// The logits, when the model gives some.
    public var logits: Tensor? { self[Self.logitsName] }

    /// The output named `name`, or an error naming the model (`who`) and what it gives.
    public func required(_ name: String, of who: String) throws -> Tensor {
        guard let tensor = self[name] else { throw MissingOutputError(model: who, output: name, available: names) }
        return tensor
    }

    /// The same outputs with each tensor transformed (rows selected, detached).
    public func map(_ transform: (Tensor) throws -> Tensor) rethrows -> ModelOutputs {
        ModelOutputs(try entries.map { ($0.name, try transform($0.tensor)) })
    }
}

/// A model (or teacher) asked for an output it does not give.
public struct MissingOutputError: Error, CustomStringConvertible {
    public let model: String
    public let output: String
    public let available: [String]
    public init(model: String, output: String, available: [String]) {
        (self.model, self.output, self.available) = (model, output, available)
    }
    public var description: String {
        "\(model) gives no output '\(output)' (its outputs: \(available.joined(separator: ", ")))"
    }
}

/// A `TaskModel` whose inputs cannot be read from a batch.
public struct UnreadableInputsError: Error, CustomStringConvertible {
    public let model: String
    public let inputs: String
    public var description: String {
        "\(model) takes \(inputs), which does not conform to BatchInputs, so it cannot be run on a batch"
    }
}

extension Module {
    /// Runs this model on `batch`: a `TaskModel` reads its inputs from the batch's fields
    /// (its `Inputs` conform to `BatchInputs`) and returns its named outputs; any other
    /// module is a classifier called on `batch.inputs`, its output named `logits`.
    public func outputs(for batch: Batch) throws -> ModelOutputs {
        if let task = self as? any TaskModel { return try task.outputsReadingInputs(from: batch) }
        return ModelOutputs(logits: self(batch.inputs))
    }
}

extension TaskModel {
    fileprivate func outputsReadingInputs(from batch: Batch) throws -> ModelOutputs {
        guard let reader = Inputs.self as? any BatchInputs.Type, let inputs = try reader.init(batch: batch) as? Inputs else {
            throw UnreadableInputsError(model: String(describing: type(of: self)), inputs: String(describing: Inputs.self))
        }
        return ModelOutputs(self(inputs).namedTensors)
    }
}
