import Configuration
import Training

/// What every step-distillation method reads from its config section and its run: the
/// student's denoising network (the run's model), the teacher as a denoiser (the run's
/// teacher model, with the process and target it was trained for), and the data's scaling,
/// which the teacher's `denoising` run and its students share.
///
/// ```yaml
/// teacher: {model: unet, channels: [32, 64], checkpoint: ../runs/digits-flow-teacher/model.safetensors}
/// student: {model: unet, channels: [32, 64]}
/// method: {name: consistency, teacher_process: rectified-flow, teacher_target: velocity, data_range: [0, 1]}
/// ```
struct StepDistillationSetup {
    /// The student's network.
    let network: any DenoisingNetwork
    /// The teacher on the process it was trained on; nil for a method trained from data alone.
    let teacher: (any Denoiser)?
    /// What the teacher's network predicts.
    let teacherTarget: PredictionTarget
    let scaling: DataScaling
    /// σ_d of the student's process (EDM's, or TrigFlow's).
    let sigmaData: Double

    /// The keys the setup reads, as the README lists them.
    static let configKeys = "teacher_process (\(NoiseProcess.Kind.allCases.map(\.rawValue).joined(separator: ", ")); default rectified-flow: "
        + "the process the teacher was trained on), teacher_target (\(PredictionTarget.allCases.map(\.rawValue).joined(separator: ", ")); default velocity), "
        + "sigma_data (0.5), data_range (the teacher's, [low, high]; default none)"

    /// The setup of method `name` from its section and the run. A method that
    /// `trainsConditionalStudents` takes a class-conditional student of a teacher conditional
    /// on the same classes; the others take an unconditional one.
    init(_ entry: any ConfigEntry, context: MethodContext, method name: String, trainsConditionalStudents: Bool = false) throws {
        guard let network = context.student as? any DenoisingNetwork else {
            throw entry.error("method '\(name)' trains a denoising network (denoising-mlp, unet); the run's model is \(context.student.map { "a \(type(of: $0))" } ?? "missing")")
        }
        guard network.classCount == 0 || trainsConditionalStudents else {
            throw entry.error("method '\(name)' trains an unconditional student: remove `conditional: true` from the student's section (a conditional teacher teaches through its null class)")
        }
        self.network = network
        sigmaData = try entry.value("sigma_data", default: 0.5, in: 1e-3...1e3)
        scaling = try DataScaling.read(from: entry)
        let kind = try entry.choice("teacher_process", from: NoiseProcess.Kind.allCases.map(\.rawValue), default: "rectified-flow")
        let target = try entry.choice("teacher_target", from: PredictionTarget.allCases.map(\.rawValue), default: "velocity")
        teacherTarget = PredictionTarget(rawValue: target)!
        guard context.teacher != nil else {
            for key in ["teacher_process", "teacher_target"] {
                if let stray = try entry.optional(key) { throw stray.error("\(key) describes the teacher, and this run has none (add a `teacher:` section, or remove the key)") }
            }
            teacher = nil
            return
        }
        guard let teacherNetwork = context.teacherModel as? any DenoisingNetwork else {
            throw entry.error("method '\(name)' distills a denoising teacher: one model with a checkpoint (denoising-mlp, unet), not \(context.teacherModel.map { "a \(type(of: $0))" } ?? "an ensemble or cached outputs")")
        }
        guard teacherNetwork.embedsNullClass else {
            throw entry.error("method '\(name)' distills one teacher network; `students:` splits a student into several, each owning some classes")
        }
        if network.classCount > 0 && teacherNetwork.classCount != network.classCount {
            throw entry.error("a class-conditional student of \(network.classCount) classes learns from a teacher conditional on the same classes; "
                + "the teacher's section has \(teacherNetwork.classCount == 0 ? "no `conditional: true`" : "\(teacherNetwork.classCount) classes")")
        }
        teacher = NetworkDenoiser(teacherNetwork, process: NoiseProcess(NoiseProcess.Kind(rawValue: kind)!, sigmaData: sigmaData), target: teacherTarget)
    }

    /// The teacher on the student's `process`.
    func teacher(on process: NoiseProcess) -> (any Denoiser)? {
        teacher.map { ReparameterizedDenoiser.on(process, $0) }
    }
}

extension NoiseProcess {
    /// The `steps − 1` levels between multistep consistency sampling's evaluations: the
    /// interior of Karras's ρ-spaced grid of `steps + 1` levels from σ_max to σ_min (on EDM's
    /// σ scale; 2 steps: σ ≈ 2.5 for the default range).
    static func consistencyIntermediateLevels(steps: Int, sigmaMin: Double, sigmaMax: Double) -> [Double] {
        guard steps > 1 else { return [] }
        var edm = NoiseProcess(.edm)
        (edm.sigmaMin, edm.sigmaMax) = (sigmaMin, sigmaMax)
        return Array(edm.samplingTimes(steps: steps + 1)[1..<steps])
    }
}
