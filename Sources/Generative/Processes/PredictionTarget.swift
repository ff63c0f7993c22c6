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
        let (a, s) = (process.alpha(t), process.sigma(t))
        switch self {
        case .noise:
            return ((x - Float(s) * prediction) / Float(a), prediction)
        case .data:
            return (prediction, s > 0 ? (x - Float(a) * prediction) / Float(s) : Tensor(shape: x.shape, repeating: 0))
        case .v:
            let norm = Float(a * a + s * s)
            return ((Float(a) * x - Float(s) * prediction) / norm, (Float(s) * x + Float(a) * prediction) / norm)
        case .velocity:
            let (da, ds) = (process.alphaDerivative(t), process.sigmaDerivative(t))
            let determinant = a * ds - s * da
            return ((Float(ds) * x - Float(s) * prediction) / Float(determinant), (Float(a) * prediction - Float(da) * x) / Float(determinant))
        }
    }
}
