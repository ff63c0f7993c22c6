import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// Rectified flow's reflow (Liu et al. 2023) and InstaFlow's one-step distillation (Liu et
/// al. 2024) from a teacher's couplings drawn as the student trains: each batch's noise `z`
/// runs through the teacher's ODE (`sampler`) to its sample `x₁`, and the student — a
/// velocity model of the rectified flow — learns the straight path between them,
/// `x_t = (1 − t)·x₁ + t·z` with the constant velocity `z − x₁`, at uniform times (reflow), or
/// at `t = 1` alone, where its single Euler step `z − v(z, 1)` must land on `x₁` (one-step
/// distillation, squared L2 where the paper uses LPIPS). The batch's data only sizes the
/// epochs: the couplings are the teacher's, fresh each step, where the papers fix one set.
public struct ReflowDistillation: TrainingObjective {
    public enum Stage: String, Sendable, CaseIterable {
        /// The straight paths at every time: a straighter flow.
        case reflow
        /// The noise end alone: a one-step sampler.
        case oneStep = "one-step"
    }

    public let teacherDenoiser: any Denoiser
    /// How the teacher's ODE is solved for each coupling.
    public let sampler: Sampler
    public let stage: Stage
    /// The student's regression, on the rectified flow with the velocity target.
    public let denoising: DenoisingObjective
    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    /// `teacher` on any process (it is reparameterized onto the rectified flow).
    public init(teacher: any Denoiser, sampler: Sampler, stage: Stage, minimumTime: Double = 1e-3) {
        let flow = NoiseProcess(.rectifiedFlow, sigmaData: teacher.process.sigmaData)
        teacherDenoiser = ReparameterizedDenoiser.on(flow, teacher)
        (self.sampler, self.stage) = (sampler, stage)
        denoising = DenoisingObjective(process: flow, target: .velocity, minimumTime: minimumTime, conditionDropout: 0)
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> DenoisingObjective.Prepared {
        let noise = Tensor.normal(batch.inputs.shape, using: &generator)
        let coupled = try withoutGradients { try sampler.sample(teacherDenoiser, from: noise, using: &generator).samples }
        let minimum = denoising.minimumTime
        let times = (0..<batch.count).map { _ in stage == .oneStep ? 1 : minimum + Double(generator.nextUniform()) * (1 - minimum) }
        return denoising.prepared(data: coupled, noise: noise, times: times)
    }

    public func loss(_ prepared: DenoisingObjective.Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        try denoising.loss(prepared, student: student)
    }
}

extension ReflowDistillation: ConfigurableMethod, GenerativeMethod {
    public static var configName: String { "reflow" }
    public static var configKeys: String {
        "stage (reflow or one-step; default reflow), teacher_steps (16: the teacher's ODE steps for each coupling), solver (euler or heun; default euler); "
            + "the student is a velocity model of the rectified flow — start it from the teacher's weights (`student.checkpoint`), "
            + "and one-step distillation from the reflowed flow's; " + StepDistillationSetup.configKeys
    }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> ReflowDistillation {
        let setup = try StepDistillationSetup(entry, context: context, method: configName)
        guard let teacher = setup.teacher else { throw entry.error("method 'reflow' distills from a teacher: add a `teacher:` section") }
        let stage = try entry.choice("stage", from: Stage.allCases.map(\.rawValue), default: Stage.reflow.rawValue)
        let solver = try entry.choice("solver", from: [Sampler.Method.euler, .heun].map(\.rawValue), default: "euler")
        let sampler = Sampler(Sampler.Method(rawValue: solver)!, steps: try entry.value("teacher_steps", default: 16, in: 1...4096))
        var objective = ReflowDistillation(teacher: teacher, sampler: sampler, stage: Stage(rawValue: stage)!)
        objective.scaling = setup.scaling
        return objective
    }

    /// One Euler step for the one-step stage; a few for a reflowed flow.
    public var defaultSteps: Int { stage == .oneStep ? 1 : 4 }

    public func samplesName(_ request: SamplingRequest) -> String { denoising.samplesName(request) }

    /// As a flow-matching teacher samples: any sampler, Euler by default.
    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireUnconditional(request, name: Self.configName)
        return try denoising.draw(network, count: count, shape: shape, request: request, using: &generator)
    }
}
