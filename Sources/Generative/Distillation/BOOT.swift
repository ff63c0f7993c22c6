import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// BOOT (Gu et al. 2023): data-free distillation on the EDM process. The student `g(ε, σ)`
/// predicts the signal `y_σ = x_σ − σ·ε` of the teacher's deterministic (DDIM) trajectory
/// that starts from the noise `σ_max·ε`, at every level σ, from `ε` alone — no training
/// images. It is trained by bootstrapping down the Karras grid: for adjacent levels
/// `σ_s < σ_t`, the student's own `x_t = g(ε, σ_t) + σ_t·ε` (without gradients) takes one
/// teacher DDIM step to `x_s`, and `g(ε, σ_s)` learns `x_s − σ_s·ε`. The output scale
/// `(σ_max − σ)/σ_max` makes `g(ε, σ_max) = 0`, the trajectory's known start. One-step
/// sampling is `g(ε, σ_min) + σ_min·ε`.
public struct BOOTStudent {
    public let network: any DenoisingNetwork
    public let process: NoiseProcess

    public init(network: any DenoisingNetwork, process: NoiseProcess) {
        precondition(process.kind == .edm, "BOOTStudent: the EDM process (t = σ)")
        (self.network, self.process) = (network, process)
    }

    /// The trajectory's point `x_σ = g(ε, σ) + σ·ε` for noises `noise` `[N, …]` at levels `sigma` `[N]`.
    public func point(_ noise: Tensor, sigma: Tensor) -> Tensor {
        let s = perSample(sigma, like: noise)
        let scale = (Float(process.sigmaMax) - s) / Float(process.sigmaMax)
        return scale * network(.init(x: noise, noiseLevel: 0.25 * sigma.log())).prediction + s * noise
    }

    /// `count` samples in one evaluation: the trajectory's end at σ_min.
    public func sample(count: Int, dimension: Int, using generator: inout RandomGenerator) -> Tensor {
        sample(count: count, shape: [dimension], using: &generator)
    }

    /// The same for samples of `shape` (without the batch axis).
    public func sample(count: Int, shape: [Int], using generator: inout RandomGenerator) -> Tensor {
        withoutGradients { point(Tensor.normal([count] + shape, using: &generator), sigma: Tensor(shape: [count], repeating: Float(process.sigmaMin))) }
    }
}

/// BOOT's bootstrapping objective; the batches only size the steps (their inputs are
/// ignored: the student sees noise alone).
public struct BOOTDistillation: TrainingObjective {
    public let teacherDenoiser: any Denoiser
    public let student: BOOTStudent
    /// The Karras levels, descending from σ_max to σ_min.
    public let levels: [Double]

    /// The data's map into the training space (the teacher's): BOOT never sees data, but
    /// its samples map back by it.
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(teacher: any Denoiser, student: BOOTStudent, levels: Int = 18) {
        precondition(teacher.process.kind == .edm && levels >= 2, "BOOTDistillation: a teacher on the EDM process and ≥ 2 levels")
        (self.teacherDenoiser, self.student) = (teacher, student)
        self.levels = Array(teacher.process.samplingTimes(steps: levels).dropLast())
    }

    public struct Prepared {
        let noise: Tensor
        let sigma: Tensor
        let target: Tensor
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let count = batch.count
        let noise = Tensor.normal(batch.inputs.shape, using: &generator)
        let steps = (0..<count).map { _ in generator.nextInt(below: levels.count - 1) }
        let upper = Tensor(steps.map { Float(levels[$0]) }, shape: [count])
        let start = withoutGradients { student.point(noise, sigma: upper) }
        let reached = try Sampler(.ddim, steps: 1).step(teacherDenoiser, start, from: steps.map { levels[$0] }, to: steps.map { levels[$0 + 1] },
                                                        using: &generator).x
        let lower = Tensor(steps.map { Float(levels[$0 + 1]) }, shape: [count])
        return Prepared(noise: noise, sigma: lower, target: reached)
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let total = sumPerSample((student.point(prepared.noise, sigma: prepared.sigma) - prepared.target).squared()).mean()
        return (total, ["boot": total.item])
    }
}

extension BOOTDistillation: ConfigurableMethod, GenerativeMethod {
    public static var configName: String { "boot" }
    public static var configKeys: String { "levels (18); " + StepDistillationSetup.configKeys }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> BOOTDistillation {
        let setup = try StepDistillationSetup(entry, context: context, method: configName)
        let process = NoiseProcess(.edm, sigmaData: setup.sigmaData)
        guard let teacher = setup.teacher(on: process) else { throw entry.error("method 'boot' distills from a teacher: add a `teacher:` section") }
        var objective = BOOTDistillation(teacher: teacher, student: BOOTStudent(network: setup.network, process: process),
                                         levels: try entry.value("levels", default: 18, in: 2...1000))
        objective.scaling = setup.scaling
        return objective
    }

    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireOwnSampler(request, name: Self.configName)
        guard request.steps == 1 else { throw SamplingRefused("a BOOT student maps noise to its sample in one step; asked for \(request.steps)") }
        return (BOOTStudent(network: network, process: student.process).sample(count: count, shape: shape, using: &generator), 1)
    }
}
