import Foundation
import Tensors

/// A numerical method that turns noise into samples with a denoiser, over the process's
/// grid of `steps` steps (`NoiseProcess.samplingTimes`). Every method is written in terms of
/// the denoiser's clean-data and noise estimates, so one implementation serves every
/// process and prediction target.
public struct Sampler: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        /// Ancestral sampling (Ho et al. 2020): DDIM with η = 1.
        case ddpm
        /// DDIM (Song et al. 2021) with stochasticity `eta` (0: deterministic).
        case ddim
        /// Euler's method on the probability-flow ODE.
        case euler
        /// Heun's second-order method on the ODE (Karras et al. 2022, Algorithm 1): two
        /// evaluations a step, one on the last.
        case heun
        /// DPM-Solver++(2M) (Lu et al. 2022): second order from the previous step's estimate,
        /// one evaluation a step.
        case dpmSolver2M = "dpm++2m"
    }

    public let method: Method
    public let steps: Int
    /// DDIM's η (ignored by the other methods; DDPM is η = 1).
    public let eta: Double
    /// The times visited, from the noise end to the data (`steps + 1` of them); nil for the
    /// process's own grid (`NoiseProcess.samplingTimes`).
    public let times: [Double]?

    public init(_ method: Method, steps: Int, eta: Double = 0) {
        precondition(steps >= 1, "Sampler: at least one step, found \(steps)")
        (self.method, self.steps, self.eta, self.times) = (method, steps, method == .ddpm ? 1 : eta, nil)
    }

    /// A sampler over a grid of its own (a progressively distilled student's, or one step of
    /// a teacher between two levels): `times` strictly descending.
    public init(_ method: Method, times: [Double], eta: Double = 0) {
        precondition(times.count >= 2 && zip(times, times.dropFirst()).allSatisfy { $0 > $1 }, "Sampler: strictly descending times, found \(times)")
        (self.method, self.steps, self.eta, self.times) = (method, times.count - 1, method == .ddpm ? 1 : eta, times)
    }

    /// The grid this sampler visits under `process`.
    public func grid(for process: NoiseProcess) -> [Double] {
        times ?? process.samplingTimes(steps: steps)
    }

    /// `count` samples of `shape` (without the batch axis) from the process's noise, and the
    /// number of network evaluations (NFE) they took.
    public func sample(_ denoiser: some Denoiser, count: Int, shape: [Int], using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        let start = grid(for: denoiser.process)[0]
        let noise = Tensor.normal([count] + shape, using: &generator) * Float(denoiser.process.sigma(start))
        return try sample(denoiser, from: noise, using: &generator)
    }

    /// The samples `noise` (`x` at the grid's first time) turns into, and the NFE.
    public func sample(_ denoiser: some Denoiser, from noise: Tensor, using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        let process = denoiser.process
        let times = grid(for: process)
        var x = noise
        var evaluations = 0
        var previousData: Tensor?
        var previousStep: Double?
        for (t, s) in zip(times, times.dropFirst()) {
            let (velocity, data, estimatedNoise) = try denoiser.velocity(x, at: t)
            evaluations += 1
            let (alphaS, sigmaS) = (process.alpha(s), process.sigma(s))
            switch method {
            case .ddpm, .ddim:
                // x_s = α_s·x̂₀ + √(σ_s² − c²)·ε̂ + c·z, with c² = η²·σ_s²·(1 − SNR_t/SNR_s).
                let ratio = sigmaS > 0 ? Foundation.exp(2 * (process.logSNR(t) - process.logSNR(s))) : 0
                let c = eta * sigmaS * max(0, 1 - ratio).squareRoot()
                x = Float(alphaS) * data + Float(max(0, sigmaS * sigmaS - c * c).squareRoot()) * estimatedNoise
                if c > 0 { x = x + Float(c) * Tensor.normal(x.shape, using: &generator) }
            case .euler:
                x = x + Float(s - t) * velocity
            case .heun:
                let predicted = x + Float(s - t) * velocity
                if sigmaS > 0 {
                    let (corrected, _, _) = try denoiser.velocity(predicted, at: s)
                    evaluations += 1
                    x = x + Float(s - t) * 0.5 * (velocity + corrected)
                } else {
                    x = predicted
                }
            case .dpmSolver2M:
                guard sigmaS > 0 else {
                    x = Float(alphaS) * data
                    break
                }
                let h = process.logSNR(s) - process.logSNR(t)
                var estimate = data
                if let previousData, let previousStep {
                    let r = previousStep / h
                    estimate = Float(1 + 1 / (2 * r)) * data - Float(1 / (2 * r)) * previousData
                }
                x = Float(sigmaS / process.sigma(t)) * x - Float(alphaS * Foundation.expm1(-h)) * estimate
                (previousData, previousStep) = (data, h)
            }
        }
        return (x, evaluations)
    }
}
