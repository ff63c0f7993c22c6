import Tensors

/// A source of soft targets: logits (and tapped features) for a batch of inputs. Teachers
/// are frozen and run without recording a tape.
public protocol Teacher {
    /// Logits `[N, C]` and the features at `featurePaths` for `inputs`.
    func outputs(for inputs: Tensor, featurePaths: [String]) throws -> (logits: Tensor, features: [String: Tensor])
}
