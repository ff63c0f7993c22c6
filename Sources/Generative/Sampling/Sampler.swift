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
        let times = grid(for: denoiser.process)
        var x = noise
        var state = StepState()
        for (t, s) in zip(times, times.dropFirst()) {
            let count = x.shape[0]
            x = try advance(denoiser, x, from: [Double](repeating: t, count: count), to: [Double](repeating: s, count: count), state: &state, using: &generator)
        }
        return (x, state.evaluations)
    }

    /// One step of this method for each sample of `x`, sample `n` from time `t[n]` to `s[n]`
    /// (a teacher's step in distillation, where each sample sits at its own level), and the
    /// NFE it took (Heun's: two where any sample ends above the data). DPM-Solver++(2M)'s
    /// single step is first order, as its first step on a grid is.
    public func step(_ denoiser: some Denoiser, _ x: Tensor, from t: [Double], to s: [Double],
                     using generator: inout RandomGenerator) throws -> (x: Tensor, evaluations: Int) {
        precondition(t.count == x.shape[0] && s.count == x.shape[0], "Sampler: one start and one end time per sample")
        var state = StepState()
        let next = try advance(denoiser, x, from: t, to: s, state: &state, using: &generator)
        return (next, state.evaluations)
    }

    /// What a multistep method carries from one step to the next.
    private struct StepState {
        var evaluations = 0
        /// DPM-Solver++(2M)'s previous clean-data estimate and log-SNR step, per sample.
        var previous: (data: Tensor, logSNRStep: [Double])?
    }

    private func advance(_ denoiser: some Denoiser, _ x: Tensor, from t: [Double], to s: [Double], state: inout StepState,
                         using generator: inout RandomGenerator) throws -> Tensor {
        let process = denoiser.process
        let samples = t.indices
        let column = { (values: [Double]) in perSample(values, like: x) }
        let (velocity, data, estimatedNoise) = try denoiser.velocity(x, atEach: t)
        state.evaluations += denoiser.evaluationsPerEstimate
        let (alphaS, sigmaS) = (s.map(process.alpha), s.map(process.sigma))
        switch method {
        case .ddpm, .ddim:
            // x_s = α_s·x̂₀ + √(σ_s² − c²)·ε̂ + c·z, with c² = η²·σ_s²·(1 − SNR_t/SNR_s).
            let c = samples.map { n in
                let ratio = sigmaS[n] > 0 ? Foundation.exp(2 * (process.logSNR(t[n]) - process.logSNR(s[n]))) : 0
                return eta * sigmaS[n] * max(0, 1 - ratio).squareRoot()
            }
            let next = column(alphaS) * data + column(samples.map { max(0, sigmaS[$0] * sigmaS[$0] - c[$0] * c[$0]).squareRoot() }) * estimatedNoise
            return c.contains { $0 > 0 } ? next + column(c) * Tensor.normal(x.shape, using: &generator) : next
        case .euler:
            return x + column(samples.map { s[$0] - t[$0] }) * velocity
        case .heun:
            let stepSize = column(samples.map { s[$0] - t[$0] })
            let predicted = x + stepSize * velocity
            let corrects = sigmaS.map { $0 > 0 }
            guard corrects.contains(true) else { return predicted }
            // Samples that reach the data take Euler's step; they are evaluated at their start
            // (any finite time) and masked out.
            let (corrected, _, _) = try denoiser.velocity(predicted, atEach: samples.map { corrects[$0] ? s[$0] : t[$0] })
            state.evaluations += denoiser.evaluationsPerEstimate
            let heun = x + stepSize * 0.5 * (velocity + corrected)
            return corrects.allSatisfy { $0 } ? heun : predicted + column(corrects.map { $0 ? 1 : 0 }) * (heun - predicted)
        case .dpmSolver2M:
            let h = samples.map { process.logSNR(s[$0]) - process.logSNR(t[$0]) }
            var estimate = data
            if let previous = state.previous {
                // The second-order correction, except where the step reaches the data (h = ∞).
                let weights = samples.map { n in sigmaS[n] > 0 ? 1 / (2 * (previous.logSNRStep[n] / h[n])) : 0 }
                estimate = column(weights.map { 1 + $0 }) * data - column(weights) * previous.data
            }
            state.previous = (data, h)
            return column(samples.map { sigmaS[$0] / process.sigma(t[$0]) }) * x - column(samples.map { alphaS[$0] * Foundation.expm1(-h[$0]) }) * estimate
        }
    }
}
