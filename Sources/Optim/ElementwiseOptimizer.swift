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
    /// How many buffers the rule reads and writes when it has them (`bufferNames.count`). A
    /// type's constant, so that each specialised loop touches only those.
    static var bufferCount: Int { get }
    /// Whether the rule takes decoupled weight decay (AdamW); a type's constant, so that the
    /// other rules' loops skip the multiply.
    static var takesDecoupledWeightDecay: Bool { get }
    func constants(step: Int, learningRate: Float, freshBuffers: Bool) -> Constants
    /// The new weights of one block. `decayedWeights` is `w·(1 − ηλ)` under decoupled decay
    /// and `w` otherwise; `first` and `second` are the block's lanes of the buffers in use;
    /// `hasBuffers` is false when `buffersUsed` is 0 (then both are zeros and not kept).
    func apply(_ constants: Constants, decayedWeights: SIMD8<Float>, direction: SIMD8<Float>,
               first: inout SIMD8<Float>, second: inout SIMD8<Float>, hasBuffers: Bool) -> SIMD8<Float>
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

    /// Each optimizer's public initializer is a convenience one that calls this, so every
    /// subclass inherits it and `freshCopy()` can build one of the same kind.
    required init(rule: Rule, learningRate: Float, weightDecay: Float, decoupledWeightDecay: Bool, maxGradientNorm: Float?) {
        precondition(!decoupledWeightDecay || Rule.takesDecoupledWeightDecay, "\(Rule.self) does not take decoupled weight decay")
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
        let parameters = model.namedParameters()
        var gradients = gradients
        if let maxGradientNorm {
            var selected: [String: Tensor] = [:]
            for (path, parameter) in parameters where parameter.isTrainable { selected[path] = gradients[path] }
            clipGradientsByGlobalNorm(&selected, maxNorm: maxGradientNorm)
            gradients.merge(selected) { $1 }
        }
        let (lr, step) = (learningRate, state.step)
        // Decoupled decay shrinks the weights; coupled decay adds to the gradient.
        let keep: Float = decoupledWeightDecay ? 1 - lr * weightDecay : 1
        let coupled: Float = decoupledWeightDecay ? 0 : weightDecay
        for (path, parameter) in parameters where parameter.isTrainable {
            guard let gradient = gradients[path] else { continue }
            precondition(gradient.shape == parameter.wrappedValue.shape,
                         "\(type(of: self)): gradient of \(path) has shape \(gradient.shape), expected \(parameter.wrappedValue.shape)")
            gradient.withUnsafeBufferPointer { g in
                parameter.updateInPlace { p in
                    let (pp, gp) = (p.baseAddress!, g.baseAddress!)
                    // `buffered` is a literal in each of the two chunk closures below, and the
                    // closures are compiled apart from this function (the split lives in
                    // Tensors), so every test of it folds away inside its closure: a per-block
                    // test cost a third more instructions than the optimizers' own loops had.
                    @inline(__always)
                    func sweep(_ range: Range<Int>, _ first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>,
                               buffered: Bool, _ constants: R.Constants) {
                        let (reads1, reads2) = (buffered && R.bufferCount >= 1, buffered && R.bufferCount >= 2)
                        for block in LaneBlocks(range) {
                            let weights = block.load(pp)
                            let direction = block.load(gp) + coupled * weights
                            var firstLanes = reads1 ? block.load(first) : SIMD8()
                            var secondLanes = reads2 ? block.load(second) : SIMD8()
                            let updated = rule.apply(constants, decayedWeights: R.takesDecoupledWeightDecay ? weights * keep : weights,
                                                     direction: direction, first: &firstLanes, second: &secondLanes, hasBuffers: buffered)
                            if reads1 { block.store(firstLanes, to: first) }
                            if reads2 { block.store(secondLanes, to: second) }
                            block.store(updated, to: pp)
                        }
                    }
                    if rule.buffersUsed == 0 {
                        let constants = rule.constants(step: step, learningRate: lr, freshBuffers: false)
                        Parallelism.forEachChunk(of: p.count) { sweep($0, pp, pp, buffered: false, constants) }  // pointers untouched
                    } else {
                        state.withBuffers(path, count: p.count) { buffers, fresh in
                            let constants = rule.constants(step: step, learningRate: lr, freshBuffers: fresh)
                            let (first, second) = (buffers[0], buffers[buffers.count > 1 ? 1 : 0])
                            Parallelism.forEachChunk(of: p.count) { sweep($0, first, second, buffered: true, constants) }
                        }
                    }
                }
            }
        }
    }

    /// An optimizer of the same kind (`SGD`, `Adam`, …) and settings, with no state.
    public func freshCopy() -> Optimizer {
        type(of: self).init(rule: rule, learningRate: learningRate, weightDecay: weightDecay,
                            decoupledWeightDecay: decoupledWeightDecay, maxGradientNorm: maxGradientNorm)
    }

    public func stateDict() -> [String: Tensor] { state.saved() }
    public func loadStateDict(_ saved: [String: Tensor]) throws { try state.load(saved) }
}
