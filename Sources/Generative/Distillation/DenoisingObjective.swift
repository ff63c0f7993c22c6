import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// The denoising objective that trains a diffusion or flow model (a teacher, or a reflowed
/// student): for a sample `x₀`, a time `t` uniform in the process's range and noise `ε`,
/// `x_t = α(t)·x₀ + σ(t)·ε`, and the network learns the target's value there (mean squared
/// error): ε (DDPM), x₀, v, or the flow velocity (flow matching, Lipman et al. 2023). The
/// student is the network (`DenoisingNetwork`).
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
    public let process: NoiseProcess
    public let target: PredictionTarget
    public let pairedNoise: Bool
    /// Times are drawn from `[minimumTime, T]`, away from the data end where σ vanishes.
    public let minimumTime: Double
    /// The probability of training a sample on the null class (conditional networks only).
    public let conditionDropout: Double
    /// The data's map into the training space (images in [0, 1] to [−1, 1]); samples map
    /// back by `scaling.dataValues(_:)`.
    public let scaling: DataScaling

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(process: NoiseProcess, target: PredictionTarget, pairedNoise: Bool = false, minimumTime: Double = 1e-3, conditionDropout: Double = 0.1,
                scaling: DataScaling = DataScaling()) {
        precondition((0...1).contains(conditionDropout), "DenoisingObjective: a condition dropout in [0, 1], found \(conditionDropout)")
        (self.process, self.target, self.pairedNoise, self.minimumTime) = (process, target, pairedNoise, minimumTime)
        (self.conditionDropout, self.scaling) = (conditionDropout, scaling)
    }

    /// The objective that trains `model`'s network for its process and target.
    public init(model: NetworkDenoiser, pairedNoise: Bool = false, minimumTime: Double = 1e-3, conditionDropout: Double = 0.1) {
        self.init(process: model.process, target: model.target, pairedNoise: pairedNoise, minimumTime: minimumTime, conditionDropout: conditionDropout)
    }

    /// `network`, trained by this objective, as a denoiser (of data in the training space:
    /// map its samples back with `scaling.dataValues(_:)`).
    public func denoiser(_ network: any DenoisingNetwork, classes: Tensor? = nil) -> NetworkDenoiser {
        NetworkDenoiser(network, process: process, target: target, classes: classes)
    }

    public struct Prepared {
        let noisy: Tensor
        let times: Tensor
        let target: Tensor
        let classes: Tensor?
    }

    private func network(_ student: Module) throws -> any DenoisingNetwork {
        guard let network = student as? any DenoisingNetwork else {
            throw TrainerSetupError("the denoising objective trains a denoising network (denoising-mlp, unet); the model is a \(type(of: student))")
        }
        return network
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let network = try network(student)
        let (data, noise): (Tensor, Tensor)
        if pairedNoise {
            guard batch.inputs.rank == 3, batch.inputs.shape[1] == 2 else {
                throw TrainerSetupError("reflow takes (data, noise) pairs [N, 2, D]; the batch's inputs are \(batch.inputs.shape)")
            }
            data = batch.inputs.slice(axis: 1, start: 0, end: 1).reshaped([batch.count, -1])
            noise = batch.inputs.slice(axis: 1, start: 1, end: 2).reshaped([batch.count, -1])
        } else {
            data = scaling.trainingValues(batch.inputs)
            noise = Tensor.normal(data.shape, using: &generator)
        }
        let end = process.timeRange.upperBound
        let times = (0..<batch.count).map { _ in minimumTime + Double(generator.nextUniform()) * (end - minimumTime) }
        var classes: Tensor?
        if network.classCount > 0 {
            guard let labels = batch.labels, labels.shape == [batch.count] else {
                throw TrainerSetupError("a class-conditional denoiser trains on one class label per sample; the batch has \(batch.labels.map { "labels \($0.shape)" } ?? "none")")
            }
            let null = Float(network.classCount)
            classes = Tensor(labels.scalars.map { Double(generator.nextUniform()) < conditionDropout ? null : $0 }, shape: [batch.count])
        }
        return prepared(data: data, noise: noise, times: times, classes: classes)
    }

    /// The regression of one batch: each sample `x₀` of `data` (training space) noised by its
    /// `noise` at its time, and the target's value there.
    func prepared(data: Tensor, noise: Tensor, times: [Double], classes: Tensor? = nil) -> Prepared {
        let noisy = process.noised(data, noise: noise, atEach: times)
        return Prepared(noisy: noisy, times: Tensor(times.map(Float.init), shape: [times.count]),
                        target: target.target(data: data, noise: noise, atEach: times, process: process), classes: classes)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let total = loss(prepared, network: try network(student))
        return (total, ["denoising": total.item])
    }

    /// The regression's mean squared error for `network`.
    func loss(_ prepared: Prepared, network: any DenoisingNetwork) -> Tensor {
        let prediction = denoiser(network).prediction(prepared.noisy, times: prepared.times, classes: prepared.classes)
        return sumPerSample((prediction - prepared.target).squared()).mean()
    }
}

extension DenoisingObjective: ConfigurableMethod {
    public static var configName: String { "denoising" }
    public static var configKeys: String {
        "process (\(NoiseProcess.Kind.allCases.map(\.rawValue).joined(separator: ", ")); default rectified-flow), sigma_data (0.5), "
            + "target (\(PredictionTarget.allCases.map(\.rawValue).joined(separator: ", ")); default velocity), condition_dropout (0.1; 0 for `students:`), "
            + "minimum_time (0.001), data_range ([low, high] mapped to [−1, 1]; default none)"
    }
    public static var needs: Set<MethodNeed> { [.noTeacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> DenoisingObjective {
        let kind = try entry.choice("process", from: NoiseProcess.Kind.allCases.map(\.rawValue), default: "rectified-flow")
        let sigmaData: Double = try entry.value("sigma_data", default: 0.5, in: 1e-3...1e3)
        let target = try entry.choice("target", from: PredictionTarget.allCases.map(\.rawValue), default: "velocity")
        // Students that own their classes have no null class to drop a label to.
        let embedsNullClass = (context.student as? any DenoisingNetwork)?.embedsNullClass ?? true
        let conditionDropout: Double = try entry.value("condition_dropout", default: embedsNullClass ? 0.1 : 0, in: 0...1)
        if conditionDropout > 0 && !embedsNullClass {
            throw (try entry.optional("condition_dropout") ?? entry).error("students that split the classes (`students:`) have no null class to drop labels to: "
                + "condition_dropout must be 0, found \(conditionDropout)")
        }
        return DenoisingObjective(
            process: NoiseProcess(NoiseProcess.Kind(rawValue: kind)!, sigmaData: sigmaData), target: PredictionTarget(rawValue: target)!,
            minimumTime: try entry.value("minimum_time", default: 1e-3, in: 0..<1), conditionDropout: conditionDropout,
            scaling: try DataScaling.read(from: entry))
    }
}
