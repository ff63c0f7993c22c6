import Tensors

/// What a denoising network outputs, and the conversion of any of them into the clean-data
/// and noise estimates that samplers and distillation losses use.
public enum PredictionTarget: String, Sendable, CaseIterable {
    /// The noise `ε` (DDPM).
    case noise = "epsilon"
    /// The clean data `x₀`.
    case data = "x0"
    /// `v = α·ε − σ·x₀` (Salimans & Ho 2022; for `α² + σ² = 1` it is the velocity in angle).
    case v
    /// The flow's velocity `dx_t/dt = α′·x₀ + σ′·ε` (flow matching, rectified flow).
    case velocity

    /// The output this target asks of a network for a sample `x₀` noised by `ε` at `t`.
    public func target(data: Tensor, noise: Tensor, at t: Double, process: NoiseProcess) -> Tensor {
        target(data: data, noise: noise, coefficients: { Tensor(Float($0(t))) }, process: process)
    }

    /// The same for a batch whose samples have times `times` (one per row of `[N, …]`).
    public func target(data: Tensor, noise: Tensor, atEach times: [Double], process: NoiseProcess) -> Tensor {
        let shape = [times.count] + [Int](repeating: 1, count: data.rank - 1)
        return target(data: data, noise: noise, coefficients: { schedule in Tensor(times.map { Float(schedule($0)) }, shape: shape) }, process: process)
    }

    /// The target from the process's coefficients, each given as a tensor by `coefficients`
    /// (a scalar, or a column of per-sample values).
    private func target(data: Tensor, noise: Tensor, coefficients: ((Double) -> Double) -> Tensor, process: NoiseProcess) -> Tensor {
        switch self {
        case .noise: return noise
        case .data: return data
        case .v: return coefficients(process.alpha) * noise - coefficients(process.sigma) * data
        case .velocity: return coefficients(process.alphaDerivative) * data + coefficients(process.sigmaDerivative) * noise
        }
    }

    /// The clean data and noise that `prediction` (of this target) implies for `x` at `t`:
    /// the two linear equations `x = α·x₀ + σ·ε` and the prediction's, solved.
    public func dataAndNoise(_ prediction: Tensor, x: Tensor, at t: Double, process: NoiseProcess) -> (data: Tensor, noise: Tensor) {
        dataAndNoise(prediction, x: x, atEach: [Double](repeating: t, count: x.shape[0]), process: process)
    }

    /// The same for a batch whose sample `n` sits at time `times[n]`.
    public func dataAndNoise(_ prediction: Tensor, x: Tensor, atEach times: [Double], process: NoiseProcess) -> (data: Tensor, noise: Tensor) {
        let coefficient = { (schedule: (Double) -> Double) in perSample(times.map(schedule), like: x) }
        switch self {
        case .noise:
            return ((x - coefficient(process.sigma) * prediction) / coefficient(process.alpha), prediction)
        case .data:
            // Where σ = 0 the noise is undetermined; dividing by +∞ there takes it as 0.
            let sigma = coefficient { t in process.sigma(t) > 0 ? process.sigma(t) : .infinity }
            return (prediction, (x - coefficient(process.alpha) * prediction) / sigma)
        case .v:
            let norm = coefficient { t in process.alpha(t) * process.alpha(t) + process.sigma(t) * process.sigma(t) }
            return ((coefficient(process.alpha) * x - coefficient(process.sigma) * prediction) / norm,
                    (coefficient(process.sigma) * x + coefficient(process.alpha) * prediction) / norm)
        case .velocity:
            let determinant = coefficient { t in process.alpha(t) * process.sigmaDerivative(t) - process.sigma(t) * process.alphaDerivative(t) }
            return ((coefficient(process.sigmaDerivative) * x - coefficient(process.sigma) * prediction) / determinant,
                    (coefficient(process.alpha) * prediction - coefficient(process.alphaDerivative) * x) / determinant)
        }
    }
}
