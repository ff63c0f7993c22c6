import NN
import Tensors

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
/// decay, exactly as PyTorch's `torch.optim.SGD`:
/// `g ← ∇ + λp; b ← μb + (1 − τ)g (b₁ = g); g ← g + μb (Nesterov) or b; p ← p − ηg`.
public final class SGD: ElementwiseOptimizer<SGD.Rule> {
    public var momentum: Float { rule.momentum }
    public var dampening: Float { rule.dampening }
    public var nesterov: Bool { rule.nesterov }

    public convenience init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false,
                maxGradientNorm: Float? = nil) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
        self.init(rule: Rule(momentum: momentum, dampening: dampening, nesterov: nesterov), learningRate: learningRate,
                   weightDecay: weightDecay, decoupledWeightDecay: false, maxGradientNorm: maxGradientNorm)
    }

    override public func update(_ model: Module, gradients: [String: Tensor]) {
        applyElementwiseUpdate(rule, to: model, gradients: gradients)
    }

    /// SGD's step for one block.
    public struct Rule: ElementwiseUpdateRule {
        public let momentum: Float, dampening: Float, nesterov: Bool
        public var bufferNames: [String] { ["momentum_buffer"] }
        /// Without momentum SGD keeps no buffer, as PyTorch's.
        public var buffersUsed: Int { momentum == 0 ? 0 : 1 }
        public static var bufferCount: Int { 1 }
        public static var takesDecoupledWeightDecay: Bool { false }

        public struct Constants {
            let learningRate: Float, keep: Float, share: Float, nu: Float, kappa: Float
        }

        public func constants(step: Int, learningRate: Float, freshBuffers: Bool) -> Constants {
            // The choices become coefficients, so the loop is branch-free: the first step's
            // buffer is the gradient itself (PyTorch), i.e. 0·b + 1·d on a zero buffer, and the
            // step is `d + μb` (Nesterov) or `b`, i.e. `ν·d + κ·b`.
            let (keep, share): (Float, Float) = freshBuffers ? (0, 1) : (momentum, 1 - dampening)
            let (nu, kappa): (Float, Float) = nesterov ? (1, momentum) : (0, 1)
            return Constants(learningRate: learningRate, keep: keep, share: share, nu: nu, kappa: kappa)
        }

        @inline(__always)
        public func apply(_ c: Constants, decayedWeights weights: SIMD8<Float>, direction d: SIMD8<Float>,
                          first buffer: inout SIMD8<Float>, second _: inout SIMD8<Float>, hasBuffers: Bool) -> SIMD8<Float> {
            guard hasBuffers else { return weights - c.learningRate * d }
            buffer = flushingSubnormal(c.keep * buffer + c.share * d)
            return weights - c.learningRate * (c.nu * d + c.kappa * buffer)
        }
    }
}
