import NN
import Tensors

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
/// decay, exactly as PyTorch's `torch.optim.SGD`:
/// `g ← ∇ + λp; b ← μb + (1 − τ)g (b₁ = g); g ← g + μb (Nesterov) or b; p ← p − ηg`.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var state = OptimizerState(bufferNames: ["momentum_buffer"])
    public var step: Int { state.step }

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
        (self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) = (learningRate, momentum, dampening, weightDecay, nesterov)
    }

    public func update(_ model: Module, gradients: [String: Tensor]) {
        state.step += 1
        let (lr, mu, tau, decay, nesterov) = (learningRate, momentum, dampening, weightDecay, self.nesterov)
        // The choices become coefficients, so the loops are branch-free and split across cores:
        // the first step's buffer is the gradient itself (PyTorch), i.e. 0·b + 1·d on a zero buffer,
        // and the step is `d + μb` (Nesterov) or `b`, i.e. `ν·d + κ·b`.
        let (nu, kappa): (Float, Float) = nesterov ? (1, mu) : (0, 1)
        forEachTrainable(model, gradients) { path, parameter, gradient in
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    let (pp, gp) = (p.baseAddress!, g.baseAddress!)
                    guard mu != 0 else {
                        Parallelism.forEachChunk(of: p.count) { range in
                            for block in LaneBlocks(range) {
                                let weights = block.load(pp)
                                block.store(weights - lr * (block.load(gp) + decay * weights), to: pp)
                            }
                        }
                        return
                    }
                    state.withBuffers(path, count: p.count) { buffers, fresh in
                        let b = buffers[0]
                        let (keep, share): (Float, Float) = fresh ? (0, 1) : (mu, 1 - tau)
                        Parallelism.forEachChunk(of: p.count) { range in
                            for block in LaneBlocks(range) {
                                let weights = block.load(pp)
                                let d = block.load(gp) + decay * weights
                                let buffer = flushingSubnormal(keep * block.load(b) + share * d)
                                block.store(buffer, to: b)
                                block.store(weights - lr * (nu * d + kappa * buffer), to: pp)
                            }
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] { state.saved() }
    public func loadStateDict(_ saved: [String: Tensor]) throws { try state.load(saved) }
}
