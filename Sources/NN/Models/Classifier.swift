import Tensors

/// A model that maps inputs to class logits and names its stage outputs, the features
/// that feature-based distillation matches (tap them with `capturingFeatures`).
public protocol Classifier: Module {
    /// Paths of the stage outputs, shallow to deep (`["layer1", "layer2", "layer3"]`).
    var stagePaths: [String] { get }
}

extension Classifier {
    /// The logits and the stage outputs of one forward pass.
    public func logitsAndStages(_ input: Tensor) -> (logits: Tensor, stages: [String: Tensor]) {
        // The stage paths are the model's own, so they always exist.
        let (logits, stages) = try! capturingFeatures(stagePaths) { self(input) }
        return (logits, stages)
    }
}
