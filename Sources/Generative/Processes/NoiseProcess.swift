import Foundation

/// How data becomes noise: `x_t = α(t)·x₀ + σ(t)·ε` with `ε ~ N(0, I)`, for the processes
/// the step-distillation literature trains on. Time runs from the data (`t = 0`, where
/// `α = 1`, `σ = 0`) to the noise (`t = timeRange.upperBound`).
///
/// - `vpLinear`, `vpCosine`: variance preserving (DDPM, Ho et al. 2020; the cosine schedule of
///   Nichol & Dhariwal 2021): `α² + σ² = 1`, `t ∈ [0, 1]`.
/// - `edm`: variance exploding with `t = σ` (Karras et al. 2022): `α = 1`, `σ = t`,
///   `t ∈ [0, σ_max]`, sampled on Karras's ρ-spaced grid.
/// - `rectifiedFlow`: the straight path of flow matching and rectified flow (Liu et al. 2023;
///   Lipman et al. 2023): `α = 1 − t`, `σ = t`.
/// - `trigFlow`: `x_t = cos t·x₀ + sin t·σ_d·ε`, `t ∈ [0, π/2]` (Lu & Song 2024, as sCM and
///   SANA-Sprint use).
public struct NoiseProcess: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case vpLinear = "vp-linear", vpCosine = "vp-cosine", edm, rectifiedFlow = "rectified-flow", trigFlow = "trigflow"
    }

    public let kind: Kind
    /// The β(t) range of the linear VP schedule (DDPM's 10⁻⁴…0.02 over 1000 steps).
    public var betaMin = 0.1, betaMax = 20.0
    /// The cosine schedule's offset `s`.
    public var cosineOffset = 0.008
    /// EDM's noise levels and grid exponent.
    public var sigmaMin = 0.002, sigmaMax = 80.0, rho = 7.0
    /// The data's standard deviation (EDM's and TrigFlow's σ_d).
    public var sigmaData = 0.5

    public init(_ kind: Kind, sigmaData: Double = 0.5) {
        self.kind = kind
        self.sigmaData = sigmaData
    }

    /// The times a process runs over: `0` (data) to the pure-noise end.
    public var timeRange: ClosedRange<Double> {
        switch kind {
        case .vpLinear, .vpCosine, .rectifiedFlow: return 0...1
        case .edm: return 0...sigmaMax
        case .trigFlow: return 0...(Double.pi / 2)
        }
    }

    /// The signal scale `α(t)`.
    public func alpha(_ t: Double) -> Double {
        switch kind {
        case .vpLinear: return Foundation.exp(-0.5 * integratedBeta(t))
        case .vpCosine: return cosineAlpha(t) / cosineAlpha(0)
        case .edm: return 1
        case .rectifiedFlow: return 1 - t
        case .trigFlow: return Foundation.cos(t)
        }
    }

    /// The noise scale `σ(t)`.
    public func sigma(_ t: Double) -> Double {
        switch kind {
        case .vpLinear, .vpCosine: return (max(0, 1 - alpha(t) * alpha(t))).squareRoot()
        case .edm, .rectifiedFlow: return t
        case .trigFlow: return Foundation.sin(t) * sigmaData
        }
    }

    /// `dα/dt`.
    public func alphaDerivative(_ t: Double) -> Double {
        switch kind {
        case .vpLinear: return -0.5 * beta(t) * alpha(t)
        case .vpCosine:
            let angle = (t + cosineOffset) / (1 + cosineOffset) * .pi / 2
            return -Foundation.sin(angle) * (.pi / 2) / (1 + cosineOffset) / cosineAlpha(0)
        case .edm: return 0
        case .rectifiedFlow: return -1
        case .trigFlow: return -Foundation.sin(t)
        }
    }

    /// `dσ/dt`.
    public func sigmaDerivative(_ t: Double) -> Double {
        switch kind {
        case .vpLinear, .vpCosine:
            let s = sigma(t)
            return s > 0 ? -alpha(t) * alphaDerivative(t) / s : .infinity
        case .edm, .rectifiedFlow: return 1
        case .trigFlow: return Foundation.cos(t) * sigmaData
        }
    }

    /// The log signal-to-noise ratio `λ = log(α/σ)` (+∞ at the data).
    public func logSNR(_ t: Double) -> Double {
        Foundation.log(alpha(t)) - Foundation.log(sigma(t))
    }

    /// The time at which the noise-to-signal ratio `σ(t)/α(t)` is `ratio` (≥ 0): the
    /// inverse that lets a model of one process serve another (`ReparameterizedDenoiser`).
    /// A ratio beyond the process's noise end gives the end.
    public func time(noiseToSignal ratio: Double) -> Double {
        precondition(ratio >= 0, "NoiseProcess: a noise-to-signal ratio ≥ 0, found \(ratio)")
        let end = timeRange.upperBound
        // Every VP process has α = 1/√(1 + r²) where σ/α = r.
        let vpAlpha = 1 / (1 + ratio * ratio).squareRoot()
        let time: Double
        switch kind {
        case .edm: time = ratio
        case .rectifiedFlow: time = ratio.isInfinite ? 1 : ratio / (1 + ratio)
        case .trigFlow: time = Foundation.atan(ratio / sigmaData)
        case .vpLinear:
            // ∫β = −2 ln α, a quadratic in t.
            let integral = -2 * Foundation.log(vpAlpha), slope = betaMax - betaMin
            time = (-betaMin + (betaMin * betaMin + 2 * slope * integral).squareRoot()) / slope
        case .vpCosine:
            let angle = Foundation.acos(min(1, vpAlpha * cosineAlpha(0)))
            time = angle / (.pi / 2) * (1 + cosineOffset) - cosineOffset
        }
        return min(max(time.isNaN ? end : time, 0), end)
    }

    /// `steps + 1` times from the noise end down to the data (`0`), the grid a sampler of
    /// `steps` steps visits: uniform in `t`, except EDM's ρ-spaced σ (Karras et al. 2022,
    /// eq. 5) from σ_max to σ_min, then 0.
    public func samplingTimes(steps: Int) -> [Double] {
        precondition(steps >= 1, "NoiseProcess: a sampler takes at least one step, found \(steps)")
        switch kind {
        case .edm:
            let (high, low) = (Foundation.pow(sigmaMax, 1 / rho), Foundation.pow(sigmaMin, 1 / rho))
            let levels = (0..<steps).map { index -> Double in
                let fraction = steps == 1 ? 0 : Double(index) / Double(steps - 1)
                return Foundation.pow(high + fraction * (low - high), rho)
            }
            return levels + [0]
        default:
            let end = timeRange.upperBound
            return (0...steps).map { end * (1 - Double($0) / Double(steps)) }
        }
    }

    // MARK: Schedules

    private func beta(_ t: Double) -> Double { betaMin + t * (betaMax - betaMin) }
    private func integratedBeta(_ t: Double) -> Double { betaMin * t + 0.5 * t * t * (betaMax - betaMin) }
    private func cosineAlpha(_ t: Double) -> Double {
        // Clipped just short of zero at t = 1, as the schedule's β is clipped in the paper.
        max(Foundation.cos((t + cosineOffset) / (1 + cosineOffset) * .pi / 2), 1e-4)
    }
}
