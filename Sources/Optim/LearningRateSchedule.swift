import Foundation

/// The learning rate as a function of the step (or epoch) count, as PyTorch's schedulers.
public enum LearningRateSchedule: Sendable {
    /// The base rate throughout.
    case constant(Float)
    /// `base · γ^⌊t/stepSize⌋` (StepLR).
    case step(base: Float, stepSize: Int, gamma: Float)
    /// `base · γ^(milestones passed)` (MultiStepLR).
    case multiStep(base: Float, milestones: [Int], gamma: Float)
    /// Cosine annealing from `base` to `minimum` over `total` steps (CosineAnnealingLR).
    case cosine(base: Float, total: Int, minimum: Float)
    /// Linear warm-up from `base·startFactor` to `base` over `warmupSteps`, then `then`.
    indirect case linearWarmup(warmupSteps: Int, startFactor: Float, then: LearningRateSchedule)
    /// One-cycle (Smith & Topin, 2019; OneCycleLR with cosine annealing): up from
    /// `maximum/25` to `maximum` over `pctStart` of `total`, then down to `maximum/25/10⁴`.
    case oneCycle(maximum: Float, total: Int, pctStart: Float)

    /// The rate at step `t` (0-based).
    public func learningRate(at t: Int) -> Float {
        switch self {
        case .constant(let rate):
            return rate
        case .step(let base, let stepSize, let gamma):
            return base * Foundation.pow(gamma, Float(t / stepSize))
        case .multiStep(let base, let milestones, let gamma):
            return base * Foundation.pow(gamma, Float(milestones.filter { t >= $0 }.count))
        case .cosine(let base, let total, let minimum):
            let progress = Float(Swift.min(t, total)) / Float(Swift.max(total, 1))
            return minimum + (base - minimum) * (1 + Foundation.cos(.pi * progress)) / 2
        case .linearWarmup(let warmupSteps, let startFactor, let then):
            guard t < warmupSteps else { return then.learningRate(at: t - warmupSteps) }
            let factor = startFactor + (1 - startFactor) * Float(t) / Float(warmupSteps)
            return then.learningRate(at: 0) * factor
        case .oneCycle(let maximum, let total, let pctStart):
            let initial = maximum / 25, final = initial / 1e4
            let peak = Float(pctStart * Float(total)) - 1
            func anneal(_ start: Float, _ end: Float, _ fraction: Float) -> Float {
                end + (start - end) / 2 * (1 + Foundation.cos(.pi * fraction))
            }
            let step = Float(t)
            if step <= peak { return anneal(initial, maximum, step / peak) }
            return anneal(maximum, final, (step - peak) / (Float(total - 1) - peak))
        }
    }
}
