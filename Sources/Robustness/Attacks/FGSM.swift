import NN
import Tensors

/// The fast gradient sign method (Goodfellow et al., 2015): one step of size ε from the
/// clean input, `x + ε·sign(∇ₓL)` in L∞ (in L2, `x + ε·∇ₓL/‖∇ₓL‖₂`, the fast gradient
/// method), clipped to the input range.
public struct FGSM: Attack {
    public let threat: ThreatModel
    public let loss: AttackLoss
    public var name: String { "fgsm" + (loss == .margin ? "-cw" : "") }

    public init(_ threat: ThreatModel, loss: AttackLoss = .crossEntropy) {
        (self.threat, self.loss) = (threat, loss)
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        let (gradient, _, _) = inputGradient(model, at: inputs, labels: labels, targets: targets, loss: loss)
        return threat.project(inputs + threat.ascentStep(gradient, stepSize: Tensor(threat.epsilon)), around: inputs)
    }
}
