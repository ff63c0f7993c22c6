import Foundation
import Datasets
import NN
import Tensors
import Training

/// Rectified flow's tools (Liu et al. 2023): the couplings a teacher's ODE defines, and how
/// straight a flow's trajectories are.
public enum RectifiedFlow {
    /// `count` pairs `[count, 2, D]` of (sample, the noise it came from): noise of the
    /// process's scale run through `sampler` with `teacher`. Reflow trains on them, DMD
    /// regresses on them.
    public static func pairs(from teacher: some Denoiser, sampler: Sampler, count: Int, dimension: Int,
                             using generator: inout RandomGenerator) throws -> Tensor {
        try pairs(from: teacher, sampler: sampler, count: count, shape: [dimension], using: &generator)
    }

    /// The same for samples of `shape` (without the batch axis): pairs `[count, 2] + shape`.
    public static func pairs(from teacher: some Denoiser, sampler: Sampler, count: Int, shape: [Int],
                             using generator: inout RandomGenerator) throws -> Tensor {
        let start = sampler.grid(for: teacher.process)[0]
        let noise = Tensor.normal([count] + shape, using: &generator)
        let samples = try sampler.sample(teacher, from: noise * Float(teacher.process.sigma(start)), using: &generator).samples
        return concatenate([samples.reshaped([count, 1] + shape), noise.reshaped([count, 1] + shape)], axis: 1)
    }

    /// How far a flow's trajectories are from straight lines (Liu et al. 2023, eq. 6): over
    /// `steps` Euler steps from the noise `noise` to the data,
    /// `S = mean_t E‖(x_end − x_start)/(t_end − t_start) − v(x_t, t)‖²`, zero exactly when every
    /// trajectory moves at a constant velocity. On the rectified-flow process.
    public static func straightness(of denoiser: some Denoiser, noise: Tensor, steps: Int = 128) throws -> Double {
        let times = denoiser.process.samplingTimes(steps: steps)
        var x = noise * Float(denoiser.process.sigma(times[0]))
        let start = x
        var velocities: [Tensor] = []
        for (t, s) in zip(times, times.dropFirst()) {
            let (velocity, _, _) = try denoiser.velocity(x, at: t)
            velocities.append(velocity)
            x = x + Float(s - t) * velocity
        }
        let chord = (x - start) / Float(times.last! - times[0])
        let deviations = velocities.map { Double(($0 - chord).squared().sum(axis: 1).mean().item) }
        return deviations.reduce(0, +) / Double(deviations.count)
    }
}

/// InstaFlow's one-step distillation (Liu et al. 2024) on the rectified-flow process: from
/// (data, noise) pairs `[N, 2, D]` of a (reflowed) teacher, the student's single Euler step
/// from pure noise, `z − v_θ(z, 1)`, learns the pair's data end (squared L2, where the paper
/// uses LPIPS on images). Start the student from the reflowed flow.
public struct OneStepFlowDistillation: TrainingObjective {
    public let model: NetworkDenoiser

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(model: NetworkDenoiser) {
        precondition(model.process.kind == .rectifiedFlow && model.target == .velocity, "OneStepFlowDistillation: a velocity model of the rectified flow")
        self.model = model
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> (data: Tensor, noise: Tensor) {
        guard batch.inputs.rank == 3, batch.inputs.shape[1] == 2 else {
            throw TrainerSetupError("one-step distillation takes (data, noise) pairs [N, 2, D]; the batch's inputs are \(batch.inputs.shape)")
        }
        return (batch.inputs.slice(axis: 1, start: 0, end: 1).reshaped([batch.count, -1]), batch.inputs.slice(axis: 1, start: 1, end: 2).reshaped([batch.count, -1]))
    }

    public func loss(_ prepared: (data: Tensor, noise: Tensor), student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let count = prepared.noise.shape[0]
        let generated = prepared.noise - model.prediction(prepared.noise, times: Tensor(shape: [count], repeating: 1))
        let total = (generated - prepared.data).squared().sum(axis: 1).mean()
        return (total, ["one_step": total.item])
    }
}
