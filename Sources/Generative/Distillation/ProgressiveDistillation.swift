import Datasets
import Foundation
import NN
import Tensors
import Training

/// One round of progressive distillation (Salimans & Ho 2022, Algorithm 2) on the EDM
/// process: the student takes one deterministic (DDIM) step where the teacher takes two.
/// The teacher's grid is `teacherTimes` (descending to 0, an even number of steps); the
/// student's is every other point. For a data sample `x₀`, a random student step `t → s`
/// with the teacher's midpoint `m`, and `z_t = x₀ + σ_t·ε`, the teacher's two DDIM steps give
/// `z_s`, and the student's target is the clean data one DDIM step would need to reach it:
/// `x̃ = (z_s − (σ_s/σ_t)·z_t) / (α_s − (σ_s/σ_t)·α_t)`. The loss is `w·‖x̃ − D_θ(z_t, t)‖²` with
/// the truncated-SNR weight `w = max(α_t²/σ_t², 1)`. Halving rounds, each student the next
/// round's teacher, bring a sampler of `N` steps down to one.
public struct ProgressiveDistillation: TrainingObjective {
    public let teacherDenoiser: any Denoiser
    public let student: PreconditionedDenoiser
    /// The teacher's grid, descending to 0.
    public let teacherTimes: [Double]

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    /// The student's grid: every other time of the teacher's.
    public var studentTimes: [Double] { stride(from: 0, to: teacherTimes.count, by: 2).map { teacherTimes[$0] } }

    public init(teacher: any Denoiser, student: PreconditionedDenoiser, teacherTimes: [Double]) {
        precondition(teacherTimes.count >= 3 && (teacherTimes.count - 1) % 2 == 0 && teacherTimes.last == 0 && teacherTimes == teacherTimes.sorted(by: >),
                     "ProgressiveDistillation: an even number of teacher steps, descending to 0")
        (self.teacherDenoiser, self.student, self.teacherTimes) = (teacher, student, teacherTimes)
    }

    public struct Prepared {
        let noisy: Tensor
        let sigma: Tensor
        let target: Tensor
        let weight: Tensor
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let process = student.process
        let data = batch.inputs
        let count = data.shape[0]
        let steps = (teacherTimes.count - 1) / 2
        let chosen = (0..<count).map { _ in generator.nextInt(below: steps) }
        let noise = Tensor.normal(data.shape, using: &generator)
        let start = chosen.map { teacherTimes[2 * $0] }
        let noisy = data + noise * perSample(start.map(process.sigma), like: data)
        // Two teacher DDIM steps per sample, then the x̃ that takes the student's one step
        // from t to s to the same point: (x_s − (σ_s/σ_t)·x_t) / (α_s − (σ_s/σ_t)·α_t).
        let ddim = Sampler(.ddim, steps: 1)
        let middle = chosen.map { teacherTimes[2 * $0 + 1] }, end = chosen.map { teacherTimes[2 * $0 + 2] }
        let halfway = try ddim.step(teacherDenoiser, noisy, from: start, to: middle, using: &generator).x
        let reached = try ddim.step(teacherDenoiser, halfway, from: middle, to: end, using: &generator).x
        let ratios = chosen.indices.map { process.sigma(end[$0]) / process.sigma(start[$0]) }
        let targets = (reached - perSample(ratios, like: noisy) * noisy)
            / perSample(chosen.indices.map { process.alpha(end[$0]) - ratios[$0] * process.alpha(start[$0]) }, like: noisy)
        let weights = start.map { t in Float(max(process.alpha(t) * process.alpha(t) / (process.sigma(t) * process.sigma(t)), 1)) }
        return Prepared(noisy: noisy, sigma: Tensor(start.map(Float.init), shape: [count]), target: targets, weight: Tensor(weights, shape: [count]))
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let output = student.preconditioning(student.network, prepared.noisy, sigma: prepared.sigma)
        let total = (prepared.weight * sumPerSample((output - prepared.target).squared())).mean()
        return (total, ["progressive": total.item])
    }
}
