import Foundation
import NN
import Tensors

/// A `DenoisingMLP` that predicts `target` on any process, as a `Denoiser`. Its noise-level
/// input is the time scaled to 0…1000 (DDPM's step index), so that the sinusoidal
/// embedding's frequencies resolve it.
public struct NetworkDenoiser: Denoiser {
    public let network: DenoisingMLP
    public let process: NoiseProcess
    public let target: PredictionTarget

    public init(_ network: DenoisingMLP, process: NoiseProcess, target: PredictionTarget) {
        (self.network, self.process, self.target) = (network, process, target)
    }

    /// The network's raw prediction for samples `x` `[N, D]` at per-sample times `t` `[N]`.
    public func prediction(_ x: Tensor, times t: Tensor) -> Tensor {
        network(.init(x: x, noiseLevel: t * Float(1000 / process.timeRange.upperBound))).prediction
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        let prediction = withoutGradients { self.prediction(x, times: Tensor(times.map(Float.init), shape: [times.count])) }
        return target.dataAndNoise(prediction, x: x, atEach: times, process: process)
    }
}
