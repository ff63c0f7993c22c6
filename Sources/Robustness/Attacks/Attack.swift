import NN
import Tensors

/// An adversarial attack on a classifier: a batch of inputs in, a batch of perturbed inputs
/// out, within the attack's threat model.
public protocol Attack {
    /// The name used in reports and configs (`"pgd-20"`).
    var name: String { get }
    /// Adversarial inputs for `inputs` with true `labels`; with `targets` (class indices),
    /// the attack tries to make the model predict them instead (targeted).
    func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor
}

extension Attack {
    /// An untargeted attack.
    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, using generator: inout RandomGenerator) -> Tensor {
        perturb(model, inputs: inputs, labels: labels, targets: nil, using: &generator)
    }
}

/// What an attack ascends, per sample.
public enum AttackLoss: String, Sendable, CaseIterable {
    /// Cross-entropy at the true label (untargeted), or its negative at the target.
    case crossEntropy = "ce"
    /// Carlini & Wagner's margin: `max_{j≠y} z_j − z_y` (untargeted), or `z_t − max_{j≠t} z_j`
    /// (targeted). Unlike cross-entropy it does not saturate when the softmax does, which is
    /// what breaks defensive distillation.
    case margin = "cw"

    /// The per-sample objective `[N]` to maximise.
    public func callAsFunction(logits: Tensor, labels: Tensor, targets: Tensor?) -> Tensor {
        let classes = logits.shape[1]
        switch self {
        case .crossEntropy:
            if let targets { return -Tensors.crossEntropy(logits: logits, labels: targets, reduction: .none) }
            return Tensors.crossEntropy(logits: logits, labels: labels, reduction: .none)
        case .margin:
            let reference = targets ?? labels
            let mask = oneHot(reference, classCount: classes)
            let picked = (logits * mask).sum(axes: [1])
            // The other classes' maximum: push the reference class far down first.
            let others = (logits - mask * 1e9).max(axis: 1)
            return targets == nil ? others - picked : picked - others
        }
    }
}

/// The gradient of the summed per-sample objective with respect to the inputs (so that each
/// sample's gradient is its own, whatever the batch size), the objective `[N]` and the logits.
func inputGradient(
    _ model: Module, at inputs: Tensor, labels: Tensor, targets: Tensor?, loss: AttackLoss
) -> (gradient: Tensor, objective: Tensor, logits: Tensor) {
    inputGradient(model, at: inputs) { logits in loss(logits: logits, labels: labels, targets: targets) }
}

/// The gradient with respect to the inputs of `Σ objective(model(x))`, with the per-sample
/// objective and the logits.
func inputGradient(_ model: Module, at inputs: Tensor, objective: (Tensor) -> Tensor) -> (gradient: Tensor, objective: Tensor, logits: Tensor) {
    let x = inputs.detached().requiringGradient()
    let logits = model(x)
    let perSample = objective(logits)
    let gradient = gradients(of: perSample.sum(), wrt: [x])[0]
    return (gradient, perSample.detached(), logits.detached())
}
