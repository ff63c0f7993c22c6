import NN
import Tensors

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
/// decay, exactly as PyTorch's `torch.optim.SGD`:
/// `g ← ∇ + λp; b ← μb + (1 − τ)g (b₁ = g); g ← g + μb (Nesterov) or b; p ← p − ηg`.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var state = OptimizerState()
    public var step: Int { state.step }

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
        (self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) = (learningRate, momentum, dampening, weightDecay, nesterov)
    }

    public func update(_ model: Module, gradients: [String: Tensor]) {
        state.step += 1
        let (lr, mu, tau, decay, nesterov) = (learningRate, momentum, dampening, weightDecay, self.nesterov)
        forEachTrainable(model, gradients) { path, parameter, gradient in
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    guard mu != 0 else {
                        for i in 0..<p.count { p[i] -= lr * (g[i] + decay * p[i]) }
                        return
                    }
                    state.withBuffers(path, ["momentum_buffer"], count: p.count) { buffers, fresh in
                        let b = buffers[0]
                        for i in 0..<p.count {
                            let d = g[i] + decay * p[i]
                            b[i] = fresh ? d : mu * b[i] + (1 - tau) * d
                            p[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] { state.saved() }
    public func loadStateDict(_ saved: [String: Tensor]) throws { try state.load(saved) }
}
