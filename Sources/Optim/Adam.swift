import Foundation
import NN
import Tensors

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as PyTorch's:
/// `m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − η·m̂/(√v̂ + ε)` with bias-corrected
/// m̂, v̂. Adam adds weight decay to the gradient (`g ← ∇ + λp`); AdamW decays the weights
/// directly (`p ← p(1 − ηλ)`).
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Whether weight decay is decoupled (AdamW).
    public let decoupledWeightDecay: Bool
    private var state = OptimizerState(bufferNames: ["exp_avg", "exp_avg_sq"])
    public var step: Int { state.step }

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
        (self.weightDecay, self.decoupledWeightDecay) = (weightDecay, decoupledWeightDecay)
    }

    public func update(_ model: Module, gradients: [String: Tensor]) {
        state.step += 1
        let t = Float(state.step)
        let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
        let (lr, b1, b2, eps, decay, decoupled) = (learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay)
        let stepSize = lr / correction1, rootCorrection2 = correction2.squareRoot()
        // Decoupled decay shrinks the weights; coupled decay adds to the gradient.
        let keep: Float = decoupled ? 1 - lr * decay : 1, coupled: Float = decoupled ? 0 : decay
        forEachTrainable(model, gradients) { path, parameter, gradient in
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    state.withBuffers(path, count: p.count) { buffers, _ in
                        let (m, v, pp, gp) = (buffers[0], buffers[1], p.baseAddress!, g.baseAddress!)
                        Parallelism.forEachChunk(of: p.count) { range in
                            for block in LaneBlocks(range) {
                                let weights = block.load(pp)
                                let d = block.load(gp) + coupled * weights
                                let first = flushingSubnormal(b1 * block.load(m) + (1 - b1) * d)
                                let second = flushingSubnormal(b2 * block.load(v) + (1 - b2) * d * d)
                                block.store(first, to: m)
                                block.store(second, to: v)
                                block.store(weights * keep - stepSize * first / (squareRoot(second) / rootCorrection2 + eps), to: pp)
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

/// AdamW: Adam with decoupled weight decay (PyTorch's default decay 0.01).
public func AdamW(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
    Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true)
}

/// RMSprop (Hinton's lecture 6e), as PyTorch's: `v ← αv + (1 − α)g²; p ← p − η·g/(√v + ε)`,
/// with optional momentum and weight decay.
public final class RMSprop: Optimizer {
    public var learningRate: Float
    public let alpha: Float, epsilon: Float, momentum: Float, weightDecay: Float
    private var state = OptimizerState(bufferNames: ["square_avg", "momentum_buffer"])
    public var step: Int { state.step }

    public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0, weightDecay: Float = 0) {
        (self.learningRate, self.alpha, self.epsilon, self.momentum, self.weightDecay) = (learningRate, alpha, epsilon, momentum, weightDecay)
    }

    public func update(_ model: Module, gradients: [String: Tensor]) {
        state.step += 1
        let (lr, a, eps, mu, decay) = (learningRate, alpha, epsilon, momentum, weightDecay)
        forEachTrainable(model, gradients) { path, parameter, gradient in
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    state.withBuffers(path, count: p.count) { buffers, _ in
                        let (v, b, pp, gp) = (buffers[0], buffers[1], p.baseAddress!, g.baseAddress!)
                        // Without momentum (μ = 0) the buffer is just this step's scaled gradient,
                        // so one branch-free loop serves both.
                        Parallelism.forEachChunk(of: p.count) { range in
                            for block in LaneBlocks(range) {
                                let weights = block.load(pp)
                                let d = block.load(gp) + decay * weights
                                let square = flushingSubnormal(a * block.load(v) + (1 - a) * d * d)
                                let step = flushingSubnormal(mu * block.load(b) + d / (squareRoot(square) + eps))
                                block.store(square, to: v)
                                block.store(step, to: b)
                                block.store(weights - lr * step, to: pp)
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
