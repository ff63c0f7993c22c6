import Foundation
import NN
import Tensors

/// A denoising network that predicts `target` on any process, as a `Denoiser`; a
/// class-conditional one denoises for `classes` (one per sample of the batches it is given,
/// nil for the null class). Its noise-level input is the time scaled to 0…1000 (DDPM's step
/// index), so that the sinusoidal embedding's frequencies resolve it.
public struct NetworkDenoiser: TrainableDenoiser, ConditionableDenoiser {
    public let network: any DenoisingNetwork
    public let process: NoiseProcess
    public let target: PredictionTarget
    public let classes: Tensor?

    public init(_ network: any DenoisingNetwork, process: NoiseProcess, target: PredictionTarget, classes: Tensor? = nil) {
        (self.network, self.process, self.target, self.classes) = (network, process, target, classes)
    }

    /// The same network denoising for `classes` instead.
    public func conditioned(on classes: Tensor?) -> NetworkDenoiser {
        NetworkDenoiser(network, process: process, target: target, classes: classes)
    }

    /// The network's raw prediction for samples `x` `[N, …]` at per-sample times `t` `[N]`,
    /// for `classes` (nil: the null class).
    public func prediction(_ x: Tensor, times t: Tensor, classes: Tensor? = nil) -> Tensor {
        network(.init(x: x, noiseLevel: t * Float(1000 / process.timeRange.upperBound), classes: classes)).prediction
    }

    public func replacingNetwork(_ network: any DenoisingNetwork) -> NetworkDenoiser {
        NetworkDenoiser(network, process: process, target: target, classes: classes)
    }

    public func dataPrediction(_ x: Tensor, atEach times: [Double]) -> Tensor {
        target.dataAndNoise(prediction(x, times: Tensor(times.map(Float.init), shape: [times.count]), classes: classes), x: x, atEach: times, process: process).data
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        let prediction = withoutGradients { self.prediction(x, times: Tensor(times.map(Float.init), shape: [times.count]), classes: classes) }
        return target.dataAndNoise(prediction, x: x, atEach: times, process: process)
    }
}

/// Classifier-free guidance (Ho & Salimans 2022): the conditional and unconditional
/// estimates of one network, extrapolated by the guidance scale `w`,
/// `x̂ = x̂_∅ + w·(x̂_c − x̂_∅)` for both the data and the noise estimate (each is affine in
/// the network's prediction, so this is guidance on the prediction, whatever its target).
/// `w = 1` is plain conditional sampling; each step costs two evaluations.
public struct GuidedDenoiser: Denoiser {
    public let conditional: any Denoiser
    public let unconditional: any Denoiser
    public let scale: Double

    public var process: NoiseProcess { conditional.process }
    public var evaluationsPerEstimate: Int { conditional.evaluationsPerEstimate + unconditional.evaluationsPerEstimate }

    public init(conditional: any Denoiser, unconditional: any Denoiser, scale: Double) {
        precondition(conditional.process == unconditional.process, "GuidedDenoiser: both estimates on one process")
        (self.conditional, self.unconditional, self.scale) = (conditional, unconditional, scale)
    }

    /// Guidance of `network` toward `classes` against its null class.
    public init(_ network: NetworkDenoiser, classes: Tensor, scale: Double) {
        self.init(conditional: network.conditioned(on: classes), unconditional: network.conditioned(on: nil), scale: scale)
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        let (data, noise) = try conditional.estimate(x, atEach: times)
        let (nullData, nullNoise) = try unconditional.estimate(x, atEach: times)
        let w = Float(scale)
        return (nullData + w * (data - nullData), nullNoise + w * (noise - nullNoise))
    }
}
