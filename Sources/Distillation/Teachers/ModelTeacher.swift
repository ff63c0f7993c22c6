import Datasets
import NN
import Tensors
import Training

/// A Distillery model as a teacher (trained here, or loaded from a safetensors checkpoint
/// written by Distillery or PyTorch), put in inference mode and frozen.
public struct ModelTeacher: Teacher {
    public let model: Module

    public init(_ model: Module) {
        model.eval()
        model.freeze()
        self.model = model
    }

    public func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs {
        try withoutGradients {
            let (outputs, features) = try model.capturingFeatures(featurePaths) { try model.outputs(for: batch) }
            return TeacherOutputs(outputs: outputs, features: features)
        }
    }
}

/// Several teachers as one (MEAL V2's averaged ensemble). Logits are combined as the
/// weighted mean of the members' softmax probabilities, returned as its log (so that
/// `softmax` of the result is the mean); any other output (a denoiser's prediction) as the
/// weighted mean of the members'. Features come from the first teacher.
public struct EnsembleTeacher: Teacher {
    public let members: [any Teacher]
    public let weights: [Float]

    public init(_ members: [any Teacher], weights: [Float]? = nil) {
        precondition(!members.isEmpty, "EnsembleTeacher: no teachers")
        let weights = weights ?? [Float](repeating: 1, count: members.count)
        precondition(weights.count == members.count && weights.allSatisfy { $0 >= 0 } && weights.contains { $0 > 0 },
                     "EnsembleTeacher: \(weights.count) non-negative weights (not all zero) needed for \(members.count) teachers")
        self.members = members
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
    }

    public func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs {
        var sums: [Tensor] = [], names: [String] = []
        var features: [String: Tensor] = [:]
        for (index, (member, weight)) in zip(members, weights).enumerated() {
            let output = try member.outputs(for: batch, featurePaths: index == 0 ? featurePaths : [])
            if index == 0 {
                (features, names) = (output.features, output.outputs.names)
            } else if output.outputs.names != names {
                throw MissingOutputError(model: "ensemble member \(index)", output: names.joined(separator: ", "), available: output.outputs.names)
            }
            let terms = output.outputs.entries.map { name, tensor in
                (name == ModelOutputs.logitsName ? tensor.softmax(axis: 1) : tensor) * weight
            }
            sums = sums.isEmpty ? terms : zip(sums, terms).map { $0 + $1 }
        }
        let combined = withoutGradients {
            zip(names, sums).map { name, sum in (name, name == ModelOutputs.logitsName ? maximum(sum, Tensor(1e-12)).log() : sum) }
        }
        return TeacherOutputs(outputs: ModelOutputs(combined), features: features)
    }
}
