import Foundation
import NN
import Tensors

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as PyTorch's:
/// `m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − η·m̂/(√v̂ + ε)` with bias-corrected
/// m̂, v̂. Adam adds weight decay to the gradient (`g ← ∇ + λp`); AdamW decays the weights
/// directly (`p ← p(1 − ηλ)`).
public final class Adam: ElementwiseOptimizer<Adam.Rule> {
    public var beta1: Float { rule.beta1 }
    public var beta2: Float { rule.beta2 }
    public var epsilon: Float { rule.epsilon }

    public convenience init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false, maxGradientNorm: Float? = nil) {
        self.init(rule: Rule(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: learningRate,
                   weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay, maxGradientNorm: maxGradientNorm)
    }

    override public func update(_ model: Module, gradients: [String: Tensor]) {
        applyElementwiseUpdate(rule, to: model, gradients: gradients)
    }

    /// Adam's step for one block.
    public struct Rule: ElementwiseUpdateRule {
        public let beta1: Float, beta2: Float, epsilon: Float
        public var bufferNames: [String] { ["exp_avg", "exp_avg_sq"] }
        public static var bufferCount: Int { 2 }
        public static var takesDecoupledWeightDecay: Bool { true }
        public var buffersUsed: Int { 2 }

        public struct Constants {
            let stepSize: Float, rootCorrection2: Float
        }

        public func constants(step: Int, learningRate: Float, freshBuffers: Bool) -> Constants {
            let t = Float(step)
            let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
            return Constants(stepSize: learningRate / correction1, rootCorrection2: correction2.squareRoot())
        }

        @inline(__always)
        public func apply(_ c: Constants, decayedWeights weights: SIMD8<Float>, direction d: SIMD8<Float>,
                          first: inout SIMD8<Float>, second: inout SIMD8<Float>, hasBuffers _: Bool) -> SIMD8<Float> {
            first = flushingSubnormal(beta1 * first + (1 - beta1) * d)
            second = flushingSubnormal(beta2 * second + (1 - beta2) * d * d)
            return weights - c.stepSize * first / (squareRoot(second) / c.rootCorrection2 + epsilon)
        }
    }
}

/// AdamW: Adam with decoupled weight decay (PyTorch's default decay 0.01).
public func AdamW(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01,
                  maxGradientNorm: Float? = nil) -> Adam {
    Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true,
         maxGradientNorm: maxGradientNorm)
}
