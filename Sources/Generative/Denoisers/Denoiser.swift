import Tensors

/// A model of the data under a noise process: at each sample's time, its estimate of the
/// clean data behind a noisy batch, and the noise that estimate implies. Samplers and
/// distillation losses see every teacher and student through it, whatever the network
/// predicts.
public protocol Denoiser {
    /// The process whose noisy samples it takes.
    var process: NoiseProcess { get }
    /// The estimates of `x₀` and `ε` for each sample of `x` (`[N, …]`), sample `n` at time
    /// `times[n]`: distillation steps a batch whose samples sit at different levels.
    func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor)
    /// Network evaluations one estimate costs (two for classifier-free guidance): what a
    /// sampler's NFE counts.
    var evaluationsPerEstimate: Int { get }
}

/// A denoiser that can denoise for given classes: a class-conditional network, or a denoiser
/// seen through a reparameterization of one.
public protocol ConditionableDenoiser: Denoiser {
    /// The same denoiser for `classes` (one per sample of the batches it is given; nil: the
    /// null class).
    func conditioned(on classes: Tensor?) -> Self
}

extension Denoiser {
    /// This denoiser for `classes`; itself when `classes` is nil.
    func conditionedIfAsked(on classes: Tensor?) -> any Denoiser {
        guard let classes else { return self }
        guard let conditionable = self as? any ConditionableDenoiser else { preconditionFailure("\(type(of: self)) cannot denoise for given classes") }
        return conditionable.conditioned(on: classes)
    }
}

extension Denoiser {
    public var evaluationsPerEstimate: Int { 1 }

    /// The estimates for a batch whose samples all sit at time `t`.
    public func estimate(_ x: Tensor, at t: Double) throws -> (data: Tensor, noise: Tensor) {
        try estimate(x, atEach: [Double](repeating: t, count: x.shape[0]))
    }

    /// The probability-flow ODE's velocity `dx/dt = α′(t)·x̂₀ + σ′(t)·ε̂` at `x`, sample `n`
    /// at time `times[n]`.
    public func velocity(_ x: Tensor, atEach times: [Double]) throws -> (velocity: Tensor, data: Tensor, noise: Tensor) {
        let (data, noise) = try estimate(x, atEach: times)
        return (perSample(times.map(process.alphaDerivative), like: x) * data + perSample(times.map(process.sigmaDerivative), like: x) * noise, data, noise)
    }

    /// The velocity for a batch whose samples all sit at time `t`.
    public func velocity(_ x: Tensor, at t: Double) throws -> (velocity: Tensor, data: Tensor, noise: Tensor) {
        try velocity(x, atEach: [Double](repeating: t, count: x.shape[0]))
    }
}

/// A denoiser whose clean-data estimate is differentiable in its network's parameters: a
/// student that learns from an estimate (progressive distillation's `x̃`).
public protocol TrainableDenoiser: Denoiser {
    /// The network being trained.
    var network: any DenoisingNetwork { get }
    /// The estimate of `x₀` for each sample of `x`, sample `n` at time `times[n]`, with
    /// gradients.
    func dataPrediction(_ x: Tensor, atEach times: [Double]) -> Tensor
    /// The same parameterization around another network (a trained copy).
    func replacingNetwork(_ network: any DenoisingNetwork) -> Self
}

/// One value per sample as a column `[N, 1, …]` that broadcasts over the other axes of a
/// batch shaped like `x`: a per-sample coefficient of the process.
func perSample(_ values: [Double], like x: Tensor) -> Tensor {
    Tensor(values.map(Float.init), shape: [values.count] + [Int](repeating: 1, count: x.rank - 1))
}

/// Per-sample values `[N]` as a column that broadcasts over a batch shaped like `x`.
func perSample(_ values: Tensor, like x: Tensor) -> Tensor {
    values.reshaped([-1] + [Int](repeating: 1, count: x.rank - 1))
}

/// Each sample's sum over its elements (`[N, …]` → `[N]`): a per-sample squared distance.
func sumPerSample(_ x: Tensor) -> Tensor {
    x.reshaped([x.shape[0], -1]).sum(axis: 1)
}

extension NoiseProcess {
    /// `x_t = α(t)·x₀ + σ(t)·ε` for clean samples `data` `[N, …]` and their `noise`, sample
    /// `n` at time `times[n]` (differentiable in both).
    func noised(_ data: Tensor, noise: Tensor, atEach times: [Double]) -> Tensor {
        perSample(times.map(alpha), like: data) * data + perSample(times.map(sigma), like: data) * noise
    }
}
