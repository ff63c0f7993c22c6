import Datasets
import Tensors

/// A source of targets for a student: its model's named outputs for a batch (logits, a
/// denoiser's prediction, …) and the features tapped at the paths asked for. Teachers are
/// frozen and run without recording a tape.
public protocol Teacher {
    /// The outputs for `batch` (its inputs and whatever fields the teacher's model reads)
    /// and the features at `featurePaths`.
    func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs
}

extension Teacher {
    /// The outputs for a batch of inputs alone (a classifier teacher's call).
    public func outputs(for inputs: Tensor, featurePaths: [String] = []) throws -> TeacherOutputs {
        try outputs(for: Batch(inputs: inputs, labels: nil), featurePaths: featurePaths)
    }
}

/// What a teacher gives for a batch.
public struct TeacherOutputs {
    /// Its model's outputs by name.
    public var outputs: ModelOutputs
    /// The tapped features by path.
    public var features: [String: Tensor]

    public init(outputs: ModelOutputs, features: [String: Tensor] = [:]) {
        (self.outputs, self.features) = (outputs, features)
    }

    /// The teacher's logits; an error names the outputs it gives instead (a denoiser
    /// teacher has none). `outputs.logits` is the optional.
    public var logits: Tensor {
        get throws { try outputs.required(ModelOutputs.logitsName, of: "the teacher") }
    }
}
