import NN
import Tensors

/// The momentum iterative fast gradient sign method (Dong et al., 2018): `steps` steps of
/// size ε/steps from the clean input along `sign(g)`, where `g ← μ·g + ∇/‖∇‖₁` accumulates
/// the L1-normalised gradients. The momentum stabilises the direction, which makes the
/// examples transfer better to other models.
public struct MIFGSM: Attack {
    private let iteration: PGD
    public var name: String { "mi-fgsm-\(iteration.steps)" }

    public init(_ threat: ThreatModel, steps: Int = 10, decay: Float = 1, loss: AttackLoss = .crossEntropy) {
        iteration = PGD(threat, steps: steps, stepSize: threat.epsilon / Float(steps), randomStart: false, loss: loss, momentum: decay)
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        iteration.perturb(model, inputs: inputs, labels: labels, targets: targets, using: &generator)
    }
}
