import Tensors

/// A model of the data under a noise process: at time `t`, its estimate of the clean data
/// behind a noisy batch, and the noise that estimate implies. Samplers and distillation
/// losses see every teacher and student through it, whatever the network predicts.
public protocol Denoiser {
    /// The process whose noisy samples it takes.
    var process: NoiseProcess { get }
    /// The estimates of `x₀` and `ε` for each sample of `x` (`[N, …]`) at time `t`.
    func estimate(_ x: Tensor, at t: Double) throws -> (data: Tensor, noise: Tensor)
}

extension Denoiser {
    /// The probability-flow ODE's velocity `dx/dt = α′(t)·x̂₀ + σ′(t)·ε̂` at `x` and `t`.
    public func velocity(_ x: Tensor, at t: Double) throws -> (velocity: Tensor, data: Tensor, noise: Tensor) {
        let (data, noise) = try estimate(x, at: t)
        return (Float(process.alphaDerivative(t)) * data + Float(process.sigmaDerivative(t)) * noise, data, noise)
    }
}
