import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// One round of progressive distillation (Salimans & Ho 2022, Algorithm 2) on the student's
/// process: the student takes one deterministic (DDIM) step where the teacher takes two.
/// The teacher's grid is `teacherTimes` (descending to 0, an even number of steps); the
/// student's is every other point. For a data sample `x₀`, a random student step `t → s`
/// with the teacher's midpoint `m`, and `z_t = α_t·x₀ + σ_t·ε`, the teacher's two DDIM steps give
/// `z_s`, and the student's target is the clean data one DDIM step would need to reach it:
/// `x̃ = (z_s − (σ_s/σ_t)·z_t) / (α_s − (σ_s/σ_t)·α_t)`. The loss is `w·‖x̃ − D_θ(z_t, t)‖²` with
/// the truncated-SNR weight `w = max(α_t²/σ_t², 1)`. Halving rounds, each student the next
/// round's teacher (and, as in the paper, starting from its weights), bring a sampler of
/// `N` steps down to one.
public struct ProgressiveDistillation: TrainingObjective {
    public let teacherDenoiser: any Denoiser
    public let student: any TrainableDenoiser
    /// The teacher's grid, descending to 0.
    public let teacherTimes: [Double]

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    /// The student's grid: every other time of the teacher's.
    public var studentTimes: [Double] { stride(from: 0, to: teacherTimes.count, by: 2).map { teacherTimes[$0] } }

    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()

    /// `teacher` on any process (it is reparameterized onto the student's).
    public init(teacher: any Denoiser, student: any TrainableDenoiser, teacherTimes: [Double]) {
        precondition(teacherTimes.count >= 3 && (teacherTimes.count - 1) % 2 == 0 && teacherTimes.last == 0 && teacherTimes == teacherTimes.sorted(by: >),
                     "ProgressiveDistillation: an even number of teacher steps, descending to 0")
        (self.teacherDenoiser, self.student, self.teacherTimes) = (ReparameterizedDenoiser.on(student.process, teacher), student, teacherTimes)
    }

    public struct Prepared {
        let noisy: Tensor
        let times: [Double]
        let target: Tensor
        let weight: Tensor
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let process = student.process
        let data = scaling.trainingValues(batch.inputs)
        let count = data.shape[0]
        let steps = (teacherTimes.count - 1) / 2
        let chosen = (0..<count).map { _ in generator.nextInt(below: steps) }
        let noise = Tensor.normal(data.shape, using: &generator)
        let start = chosen.map { teacherTimes[2 * $0] }
        let noisy = perSample(start.map(process.alpha), like: data) * data + noise * perSample(start.map(process.sigma), like: data)
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
        return Prepared(noisy: noisy, times: start, target: targets, weight: Tensor(weights, shape: [count]))
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let output = student.dataPrediction(prepared.noisy, atEach: prepared.times)
        let total = (prepared.weight * sumPerSample((output - prepared.target).squared())).mean()
        return (total, ["progressive": total.item])
    }
}

extension ProgressiveDistillation: ConfigurableMethod, GenerativeMethod {
    public static var configName: String { "progressive" }
    public static var configKeys: String {
        "teacher_steps (8: the teacher's DDIM steps, halved for the student; even); the student is the teacher's network, "
            + "process and target — start it from the teacher's weights (`student.checkpoint`) and chain rounds; " + StepDistillationSetup.configKeys
    }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> ProgressiveDistillation {
        let setup = try StepDistillationSetup(entry, context: context, method: configName)
        guard let teacher = setup.teacher else { throw entry.error("method 'progressive' distills from a teacher: add a `teacher:` section") }
        let steps: Int = try entry.value("teacher_steps", default: 8, in: 2...4096)
        guard steps % 2 == 0 else { throw (try entry.optional("teacher_steps") ?? entry).error("teacher_steps must be even (the student takes half), found \(steps)") }
        let student = NetworkDenoiser(setup.network, process: teacher.process, target: setup.teacherTarget)
        var objective = ProgressiveDistillation(teacher: teacher, student: student, teacherTimes: teacher.process.samplingTimes(steps: steps))
        objective.scaling = setup.scaling
        return objective
    }

    public func samplesName(_ request: SamplingRequest) -> String { "\((request.method ?? .ddim).rawValue)-\(request.steps)" }

    /// The student's own grid.
    public var defaultSteps: Int { studentTimes.count - 1 }

    /// DDIM on the student's grid (every other time of the teacher's) at its own step
    /// count; any sampler and count otherwise, as for the teacher.
    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireUnconditional(request, name: Self.configName)
        try requireNoLevels(request, name: Self.configName)
        let method = request.method ?? .ddim
        let sampler = method == .ddim && request.steps == studentTimes.count - 1
            ? Sampler(.ddim, times: studentTimes, eta: request.eta) : Sampler(method, steps: request.steps, eta: request.eta)
        return try sampler.sample(student.replacingNetwork(network), count: count, shape: shape, using: &generator)
    }
}
