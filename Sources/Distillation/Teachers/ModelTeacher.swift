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

    public func outputs(for inputs: Tensor, featurePaths: [String]) throws -> (logits: Tensor, features: [String: Tensor]) {
        try withoutGradients {
            let (logits, features) = try model.capturingFeatures(featurePaths) { model(inputs) }
            return (logits, features)
        }
    }
}

/// Several teachers as one (MEAL V2's averaged ensemble): the weighted mean of their
/// softmax probabilities, returned as its log (so that `softmax` of the result is the
/// mean). Features come from the first teacher.
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

    public func outputs(for inputs: Tensor, featurePaths: [String]) throws -> (logits: Tensor, features: [String: Tensor]) {
        var mean: Tensor?
        var features: [String: Tensor] = [:]
        for (index, (member, weight)) in zip(members, weights).enumerated() {
            let output = try member.outputs(for: inputs, featurePaths: index == 0 ? featurePaths : [])
            if index == 0 { features = output.features }
            let probabilities = output.logits.softmax(axis: 1) * weight
            mean = mean.map { $0 + probabilities } ?? probabilities
        }
        return (withoutGradients { maximum(mean!, Tensor(1e-12)).log() }, features)
    }
}
