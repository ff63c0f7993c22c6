import Datasets
import Foundation
import NN
import Tensors
import Training

/// The denoising objective that trains a diffusion or flow model (a teacher, or a reflowed
/// student): for a sample `x₀`, a time `t` uniform in the process's range and noise `ε`,
/// `x_t = α(t)·x₀ + σ(t)·ε`, and the network learns the target's value there (mean squared
/// error): ε (DDPM), x₀, v, or the flow velocity (flow matching, Lipman et al. 2023).
///
/// With `pairedNoise`, each sample's noise is given rather than drawn: the inputs are pairs
/// `[N, 2, D]` of data and the noise it was generated from — rectified flow's reflow (Liu et
/// al. 2023), which learns the straight path between the two ends of a teacher's
/// trajectory.
///
/// A class-conditional network learns from the batch's labels, each replaced by the null
/// class with probability `conditionDropout` (classifier-free guidance's training, Ho &
/// Salimans 2022), so that one network is both the conditional and the unconditional model.
public struct DenoisingObjective: TrainingObjective {
    public let model: NetworkDenoiser
    public let pairedNoise: Bool
    /// Times are drawn from `[minimumTime, T]`, away from the data end where σ vanishes.
    public let minimumTime: Double
    /// The probability of training a sample on the null class (conditional networks only).
    public let conditionDropout: Double

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(model: NetworkDenoiser, pairedNoise: Bool = false, minimumTime: Double = 1e-3, conditionDropout: Double = 0.1) {
        precondition((0...1).contains(conditionDropout), "DenoisingObjective: a condition dropout in [0, 1], found \(conditionDropout)")
        (self.model, self.pairedNoise, self.minimumTime, self.conditionDropout) = (model, pairedNoise, minimumTime, conditionDropout)
    }

    public struct Prepared {
        let noisy: Tensor
        let times: Tensor
        let target: Tensor
        let classes: Tensor?
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let process = model.process
        let (data, noise): (Tensor, Tensor)
        if pairedNoise {
            guard batch.inputs.rank == 3, batch.inputs.shape[1] == 2 else {
                throw TrainerSetupError("reflow takes (data, noise) pairs [N, 2, D]; the batch's inputs are \(batch.inputs.shape)")
            }
            data = batch.inputs.slice(axis: 1, start: 0, end: 1).reshaped([batch.count, -1])
            noise = batch.inputs.slice(axis: 1, start: 1, end: 2).reshaped([batch.count, -1])
        } else {
            data = batch.inputs
            noise = Tensor.normal(data.shape, using: &generator)
        }
        let end = process.timeRange.upperBound
        let times = (0..<batch.count).map { _ in minimumTime + Double(generator.nextUniform()) * (end - minimumTime) }
        let noisy = perSample(times.map(process.alpha), like: data) * data + perSample(times.map(process.sigma), like: data) * noise
        let target = model.target.target(data: data, noise: noise, atEach: times, process: process)
        var classes: Tensor?
        if model.network.classCount > 0 {
            guard let labels = batch.labels, labels.shape == [batch.count] else {
                throw TrainerSetupError("a class-conditional denoiser trains on one class label per sample; the batch has \(batch.labels.map { "labels \($0.shape)" } ?? "none")")
            }
            let null = Float(model.network.classCount)
            classes = Tensor(labels.scalars.map { Double(generator.nextUniform()) < conditionDropout ? null : $0 }, shape: [batch.count])
        }
        return Prepared(noisy: noisy, times: Tensor(times.map(Float.init), shape: [batch.count]), target: target, classes: classes)
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let error = (model.prediction(prepared.noisy, times: prepared.times, classes: prepared.classes) - prepared.target).squared()
        let total = error.reshaped([error.shape[0], -1]).sum(axis: 1).mean()
        return (total, ["denoising": total.item])
    }
}
