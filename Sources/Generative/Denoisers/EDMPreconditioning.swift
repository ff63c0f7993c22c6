import Foundation
import NN
import Tensors

/// Karras et al.'s (2022) preconditioning of a network `F` on the EDM process (`t = σ`):
/// `D(x, σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x, c_noise(σ))`, with `c_in = 1/√(σ² + σ_d²)` and
/// `c_noise = ¼·ln σ`. A denoiser uses EDM's `c_skip = σ_d²/(σ² + σ_d²)` and
/// `c_out = σ·σ_d/√(σ² + σ_d²)`; a consistency model (Song et al. 2023, appendix C) shifts
/// them to `σ − σ_min`, so that `f(x, σ_min) = x` exactly — the boundary condition. A
/// segment consistency model (Hyper-SD's TSCD) shifts them to its segment's lower edge `σ_b`
/// instead, given per sample.
public struct EDMPreconditioning: Sendable {
    public let sigmaData: Float
    public let sigmaMin: Float
    /// Whether the skip and output scales meet the consistency boundary condition.
    public let isConsistencyModel: Bool

    public init(sigmaData: Float = 0.5, sigmaMin: Float = 0.002, isConsistencyModel: Bool) {
        (self.sigmaData, self.sigmaMin, self.isConsistencyModel) = (sigmaData, sigmaMin, isConsistencyModel)
    }

    /// `D(x, σ)` (or `f(x, σ)`) for samples `x` `[N, …]` at noise levels `sigma` `[N]`, of
    /// `classes` where the network is conditional; a consistency model's boundary is
    /// `boundary` (`[N]`) where given, else `σ_min`.
    public func callAsFunction(_ network: some DenoisingNetwork, _ x: Tensor, sigma: Tensor, boundary: Tensor? = nil, classes: Tensor? = nil) -> Tensor {
        let column = { (values: Tensor) in perSample(values, like: x) }
        let s = column(sigma)
        let dataVariance = sigmaData * sigmaData
        let shifted = isConsistencyModel ? s - (boundary.map(column) ?? Tensor(sigmaMin)) : s
        let skip = dataVariance / (shifted * shifted + dataVariance)
        let out = shifted * sigmaData / (s * s + dataVariance).sqrt()
        let input = x / (s * s + dataVariance).sqrt()
        let output = network(.init(x: input, noiseLevel: 0.25 * sigma.log(), classes: classes)).prediction
        return skip * x + out * output
    }
}

/// A trained network as a `Denoiser` of the EDM process.
public struct PreconditionedDenoiser: TrainableDenoiser {
    public let network: any DenoisingNetwork
    public let preconditioning: EDMPreconditioning
    public let process: NoiseProcess

    public init(_ network: any DenoisingNetwork, preconditioning: EDMPreconditioning, process: NoiseProcess) {
        precondition(process.kind == .edm, "PreconditionedDenoiser: EDM's preconditioning takes the EDM process")
        (self.network, self.preconditioning, self.process) = (network, preconditioning, process)
    }

    public func replacingNetwork(_ network: any DenoisingNetwork) -> PreconditionedDenoiser {
        PreconditionedDenoiser(network, preconditioning: preconditioning, process: process)
    }

    public func dataPrediction(_ x: Tensor, atEach times: [Double]) -> Tensor {
        preconditioning(network, x, sigma: Tensor(times.map(Float.init), shape: [times.count]))
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        PredictionTarget.data.dataAndNoise(withoutGradients { dataPrediction(x, atEach: times) }, x: x, atEach: times, process: process)
    }
}
