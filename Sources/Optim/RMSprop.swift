import NN
import Tensors

/// RMSprop (Hinton's lecture 6e), as PyTorch's: `v ← αv + (1 − α)g²; p ← p − η·g/(√v + ε)`,
/// with optional momentum and weight decay.
public final class RMSprop: ElementwiseOptimizer<RMSprop.Rule> {
    public var alpha: Float { rule.alpha }
    public var epsilon: Float { rule.epsilon }
    public var momentum: Float { rule.momentum }

    public convenience init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0, weightDecay: Float = 0,
                maxGradientNorm: Float? = nil) {
        self.init(rule: Rule(alpha: alpha, epsilon: epsilon, momentum: momentum), learningRate: learningRate,
                   weightDecay: weightDecay, decoupledWeightDecay: false, maxGradientNorm: maxGradientNorm)
    }

    override public func update(_ model: Module, gradients: [String: Tensor]) {
        applyElementwiseUpdate(rule, to: model, gradients: gradients)
    }

    /// RMSprop's step for one block.
    public struct Rule: ElementwiseUpdateRule {
        public let alpha: Float, epsilon: Float, momentum: Float
        public var bufferNames: [String] { ["square_avg", "momentum_buffer"] }
        public static var bufferCount: Int { 2 }
        public static var takesDecoupledWeightDecay: Bool { false }
        /// The momentum buffer is kept even at μ = 0 (checkpoints have always held it), where
        /// it is just this step's scaled gradient: one branch-free expression serves both.
        public var buffersUsed: Int { 2 }

        public struct Constants {
            let learningRate: Float
        }

        public func constants(step: Int, learningRate: Float, freshBuffers: Bool) -> Constants { Constants(learningRate: learningRate) }

        @inline(__always)
        public func apply(_ c: Constants, decayedWeights weights: SIMD8<Float>, direction d: SIMD8<Float>,
                          first square: inout SIMD8<Float>, second buffer: inout SIMD8<Float>, hasBuffers _: Bool) -> SIMD8<Float> {
            square = flushingSubnormal(alpha * square + (1 - alpha) * d * d)
            buffer = flushingSubnormal(momentum * buffer + d / (squareRoot(square) + epsilon))
            return weights - c.learningRate * buffer
        }
    }
}
