import NN
import Tensors

/// One optimizer's rule for a block of eight weights: what `ElementwiseOptimizer`'s shared
/// loop applies to each SIMD block of each parameter (as mlx-swift's `applySingle`).
///
/// The loop owns everything else: the walk over trainable parameters and their blocks,
/// the split across threads, the state buffers, gradient clipping and weight decay. A rule
/// sees the block's weights, its update direction `d = ∇ + λ·w` (coupled decay, λ = 0 when
/// decoupled) and its lanes of up to two state buffers, and returns the new weights.
public protocol ElementwiseUpdateRule {
    /// What a step computes once per parameter (learning rate, bias corrections, and
    /// whether the parameter's buffers were just created).
    associatedtype Constants
    /// The buffers a parameter keeps, named as PyTorch's `state_dict` names them.
    var bufferNames: [String] { get }
    /// How many of them this configuration uses; with none (SGD without momentum) the
    /// loop creates none and saves none.
    var buffersUsed: Int { get }
    func constants(step: Int, learningRate: Float, freshBuffers: Bool) -> Constants
    /// The new weights of one block. `decayedWeights` is `w·(1 − ηλ)` under decoupled decay
    /// and `w` otherwise; `first` and `second` are the block's lanes of the buffers in use.
    func apply(_ constants: Constants, decayedWeights: SIMD8<Float>, direction: SIMD8<Float>,
               first: inout SIMD8<Float>, second: inout SIMD8<Float>) -> SIMD8<Float>
}

/// An optimizer made of a per-element rule and the one loop all of them share: SGD, Adam,
/// AdamW and RMSprop are its subclasses.
public class ElementwiseOptimizer<Rule: ElementwiseUpdateRule>: Optimizer {
    public var learningRate: Float
    /// L2 weight decay: added to the gradient (`∇ + λw`), or applied to the weights directly
    /// (`w(1 − ηλ)`) when decoupled (AdamW).
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// When set, the gradients of each step are scaled together so that their global L2
    /// norm is at most this (PyTorch's `clip_grad_norm_` before `step()`).
    public var maxGradientNorm: Float?
    let rule: Rule
    private var state: OptimizerState
    public var step: Int { state.step }

    init(rule: Rule, learningRate: Float, weightDecay: Float, decoupledWeightDecay: Bool, maxGradientNorm: Float?) {
        (self.rule, self.learningRate, self.weightDecay) = (rule, learningRate, weightDecay)
        (self.decoupledWeightDecay, self.maxGradientNorm) = (decoupledWeightDecay, maxGradientNorm)
        state = OptimizerState(bufferNames: rule.bufferNames)
    }

    /// Subclasses override this with the same call, where `Rule` is concrete: a generic
    /// class's own method runs unspecialised (the rule called through its witness table for
    /// every block, which made SGD's steps 1.5× slower), while the override's call is
    /// specialised for its rule.
    public func update(_ model: Module, gradients: [String: Tensor]) {
        applyElementwiseUpdate(rule, to: model, gradients: gradients)
    }

    /// One step of `rule` over every trainable parameter that has a gradient.
    @inline(__always)
    final func applyElementwiseUpdate<R: ElementwiseUpdateRule>(_ rule: R, to model: Module, gradients: [String: Tensor]) {
        state.step += 1
        let trainable = model.namedParameters().filter { $0.1.isTrainable && gradients[$0.0] != nil }
        var gradients = gradients
        if let maxGradientNorm {
            var selected = Dictionary(uniqueKeysWithValues: trainable.map { ($0.0, gradients[$0.0]!) })
            clipGradientsByGlobalNorm(&selected, maxNorm: maxGradientNorm)
            gradients.merge(selected) { $1 }
        }
        let (lr, step) = (learningRate, state.step)
        // Decoupled decay shrinks the weights; coupled decay adds to the gradient.
        let keep: Float = decoupledWeightDecay ? 1 - lr * weightDecay : 1
        let coupled: Float = decoupledWeightDecay ? 0 : weightDecay
        for (path, parameter) in trainable {
            let gradient = gradients[path]!
            precondition(gradient.shape == parameter.wrappedValue.shape,
                         "\(type(of: self)): gradient of \(path) has shape \(gradient.shape), expected \(parameter.wrappedValue.shape)")
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    let (pp, gp) = (p.baseAddress!, g.baseAddress!)
                    func run(_ buffers: [UnsafeMutablePointer<Float>], fresh: Bool) {
                        let constants = rule.constants(step: step, learningRate: lr, freshBuffers: fresh)
                        let first = buffers.first, second = buffers.count > 1 ? buffers[1] : nil
                        Parallelism.forEachChunk(of: p.count) { range in
                            for block in LaneBlocks(range) {
                                let weights = block.load(pp)
                                let direction = block.load(gp) + coupled * weights
                                var firstLanes = first.map { block.load($0) } ?? SIMD8()
                                var secondLanes = second.map { block.load($0) } ?? SIMD8()
                                let updated = rule.apply(constants, decayedWeights: weights * keep, direction: direction,
                                                         first: &firstLanes, second: &secondLanes)
                                if let first { block.store(firstLanes, to: first) }
                                if let second { block.store(secondLanes, to: second) }
                                block.store(updated, to: pp)
                            }
                        }
                    }
                    if rule.buffersUsed == 0 {
                        run([], fresh: false)
                    } else {
                        state.withBuffers(path, count: p.count) { buffers, fresh in run(Array(buffers.prefix(rule.buffersUsed)), fresh: fresh) }
                    }
                }
            }
        }
    }

    /// Subclasses override this to return their own kind.
    public func freshCopy() -> Optimizer {
        ElementwiseOptimizer(rule: rule, learningRate: learningRate, weightDecay: weightDecay,
                             decoupledWeightDecay: decoupledWeightDecay, maxGradientNorm: maxGradientNorm)
    }

    public func stateDict() -> [String: Tensor] { state.saved() }
    public func loadStateDict(_ saved: [String: Tensor]) throws { try state.load(saved) }
}
