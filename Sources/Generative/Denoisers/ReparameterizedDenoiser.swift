import Tensors

/// A denoiser of one process seen on another. Every process noises the same way up to
/// scale, `x_t = α(t)·x₀ + σ(t)·ε`, so a sample at time `t` of `process` is, rescaled by
/// `α_b(t_b)/α(t)`, a sample of the base's process at the time `t_b` of equal
/// noise-to-signal ratio `σ/α`, with the same `x₀` and `ε` behind it. A rectified-flow teacher
/// thus drives EDM's consistency distillation, or TrigFlow's sCM, without retraining.
public struct ReparameterizedDenoiser: Denoiser {
    public let base: any Denoiser
    public let process: NoiseProcess

    public var evaluationsPerEstimate: Int { base.evaluationsPerEstimate }

    /// `base` on `process`.
    public init(_ base: any Denoiser, on process: NoiseProcess) {
        (self.base, self.process) = (base, process)
    }

    /// `denoiser` itself when it is on `process` already, else it reparameterized.
    public static func on(_ process: NoiseProcess, _ denoiser: any Denoiser) -> any Denoiser {
        denoiser.process == process ? denoiser : ReparameterizedDenoiser(denoiser, on: process)
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        let baseProcess = base.process
        let baseTimes = times.map { t in
            let alpha = process.alpha(t)
            return baseProcess.time(noiseToSignal: alpha > 0 ? process.sigma(t) / alpha : .infinity)
        }
        // The ratio of noise scales where there is noise; at the data end, of signal scales.
        // (The two agree wherever both are defined; pure noise, α = 0, keeps the first.)
        let scales = zip(times, baseTimes).map { t, baseTime in
            let sigma = process.sigma(t)
            return sigma > 0 ? baseProcess.sigma(baseTime) / sigma : baseProcess.alpha(baseTime) / process.alpha(t)
        }
        return try base.estimate(perSample(scales, like: x) * x, atEach: baseTimes)
    }
}

extension ReparameterizedDenoiser: ConditionableDenoiser {
    /// Its base for `classes`, seen on the same process.
    public func conditioned(on classes: Tensor?) -> ReparameterizedDenoiser {
        ReparameterizedDenoiser(base.conditionedIfAsked(on: classes), on: process)
    }
}
