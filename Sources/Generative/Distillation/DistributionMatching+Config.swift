import Configuration
import Datasets
import NN
import Tensors
import Training

/// What sets DMD and DMD2 apart in a config: their names and their defaults.
public protocol DistributionMatchingRecipe {
    static var configName: String { get }
    /// Fake-score updates per generator step.
    static var fakeScoreUpdates: Int { get }
    /// Whether the recipe regresses on the teacher's samples (DMD), with the keys that size it.
    static var regresses: Bool { get }
    /// The generator's loss (SiD's `alpha` is the `alpha` key's default).
    static var generatorLoss: DistributionMatchingDistillation.GeneratorLoss { get }
    /// Whether the fake score is a LoRA adapter on the frozen teacher (VSD), with the keys
    /// `lora_rank` and `lora_alpha`, rather than a full copy of it.
    static var adaptsTheTeacher: Bool { get }
    /// Whether the recipe offers DMD2's GAN term (`gan_weight`, `gan_classifier_weight`).
    static var offersAdversarialTerm: Bool { get }
    /// Whether the recipe records DisBack's degradation path before training and distils
    /// along it (`path_checkpoints`, `path_steps`, `path_epochs`, `path_learning_rate`).
    static var backtracks: Bool { get }
    /// Whether the recipe trains an idempotent one-step generator (SIGN), with the keys
    /// `reconstruction_weight` and `idempotence_weight`, sampled in k steps by reapplying it.
    static var isIdempotent: Bool { get }
}

extension DistributionMatchingRecipe {
    public static var generatorLoss: DistributionMatchingDistillation.GeneratorLoss { .distributionMatching }
    public static var adaptsTheTeacher: Bool { false }
    public static var offersAdversarialTerm: Bool { false }
    public static var backtracks: Bool { false }
    public static var isIdempotent: Bool { false }
}

/// DMD (Yin et al. 2023): one fake-score update per step, and the regression loss.
public enum DMDRecipe: DistributionMatchingRecipe {
    public static var configName: String { "dmd" }
    public static var fakeScoreUpdates: Int { 1 }
    public static var regresses: Bool { true }
}

/// DMD2 (Yin et al. 2024): five fake-score updates per step, no regression, and optionally
/// its GAN term.
public enum DMD2Recipe: DistributionMatchingRecipe {
    public static var configName: String { "dmd2" }
    public static var fakeScoreUpdates: Int { 5 }
    public static var regresses: Bool { false }
    public static var offersAdversarialTerm: Bool { true }
}

/// SiD (Zhou et al. 2024): the score-identity loss with α = 1.2, one fake-score update per
/// generator step, as the official code trains.
public enum SiDRecipe: DistributionMatchingRecipe {
    public static var configName: String { "sid" }
    public static var fakeScoreUpdates: Int { 1 }
    public static var regresses: Bool { false }
    public static var generatorLoss: DistributionMatchingDistillation.GeneratorLoss { .scoreIdentity(alpha: 1.2) }
}

/// DisBack (Zhang et al. 2024) on DMD2's recipe: for a generator that does not start from the
/// teacher, the teacher's degradation toward it is recorded before training (stage 1), and
/// the generator matches those checkpoints, the most degraded first, before the teacher.
public enum DisBackRecipe: DistributionMatchingRecipe {
    public static var configName: String { "disback" }
    public static var fakeScoreUpdates: Int { 5 }
    public static var regresses: Bool { false }
    public static var backtracks: Bool { true }
}

/// SIGN (Zaman et al. 2025) on DMD's recipe: the one-step generator also learns IGN's
/// reconstruction of the data and idempotence on its own samples, and samples in k steps by
/// being applied k times.
public enum SIGNRecipe: DistributionMatchingRecipe {
    public static var configName: String { "sign" }
    public static var fakeScoreUpdates: Int { 1 }
    public static var regresses: Bool { true }
    public static var isIdempotent: Bool { true }
}

/// Variational score distillation as SwiftBrush (Nguyen and Tran 2024) distils a one-step
/// generator: the fake score a LoRA adapter on the frozen teacher, one update per generator
/// step (`LoRA.inject` on every layer the teacher's network can have replaced).
public enum VSDRecipe: DistributionMatchingRecipe {
    public static var configName: String { "vsd" }
    public static var fakeScoreUpdates: Int { 1 }
    public static var regresses: Bool { false }
    public static var generatorLoss: DistributionMatchingDistillation.GeneratorLoss { .variationalScore }
    public static var adaptsTheTeacher: Bool { true }
}

/// `DistributionMatchingDistillation` as a config method, `dmd`, `dmd2`, `sid`, `vsd`, `disback` or `sign`:
///
/// ```yaml
/// teacher: {model: denoising-mlp, checkpoint: ../runs/ring-flow-teacher/model.safetensors}
/// student: {model: denoising-mlp, checkpoint: ../runs/ring-flow-teacher/model.safetensors}
/// method: {name: dmd2, steps: 1, fake_score_updates: 5}
/// ```
///
/// The student's network is the generator (start it from the teacher's weights with
/// `student.checkpoint`), and the fake score is another instance of the teacher's model
/// loaded from its checkpoint. Both are read as the teacher's network is: its process and
/// target.
///
/// `dmd` (without regression pairs), `dmd2` (without the GAN term), `sid` and `vsd` also
/// train a class-conditional student (`conditional: true`) of a teacher conditional on the
/// same classes, sampled for the requested classes; MSD's students (`students: K`,
/// `MultiStudentNetwork`) are one such student.
public struct DistributionMatchingMethod<Recipe: DistributionMatchingRecipe>: ConfigurableMethod, GenerativeMethod, ForwardingObjective {
    public let objective: DistributionMatchingDistillation

    public init(_ objective: DistributionMatchingDistillation) { self.objective = objective }

    public static var configName: String { Recipe.configName }
    public static var configKeys: String {
        let regression = Recipe.regresses
            ? "regression_pairs (4096: pairs of noise and the teacher's sample, drawn once before training; 0 for none), regression_weight (0.25), "
                + "teacher_steps (64: the teacher's Euler steps for each pair), "
            : ""
        var alpha = ""
        if case .scoreIdentity(let value) = Recipe.generatorLoss { alpha = "alpha (\(value): SiD's weight of the fake score's term), " }
        let adapter = Recipe.adaptsTheTeacher ? "lora_rank (16) and lora_alpha (the rank): the fake score's adapter on the frozen teacher, " : ""
        let path = Recipe.backtracks
            ? "path_checkpoints (5), path_steps (200 fine-tuning steps between checkpoints), path_epochs (2 per checkpoint) and path_learning_rate "
                + "(0.00001): the degradation path recorded from the teacher toward the initial generator (the student as configured: untrained, or "
                + "its checkpoint) before training, "
            : ""
        let adversarial = Recipe.offersAdversarialTerm
            ? "gan_weight (0: none; DMD2's 0.003: the generator's non-saturating GAN loss through a classifier head on the fake score's last hidden layer, "
                + "denoising-mlp only), gan_classifier_weight (0.01: the head's loss in the fake score's pass), "
            : ""
        let idempotence = Recipe.isIdempotent
            ? "reconstruction_weight (1) and idempotence_weight (1): IGN's L1 losses |f(x) − x| on the data and |f(f(z)) − f(z)| on the samples, "
            : ""
        let steps = Recipe.isIdempotent
            ? "steps (1: the generator takes one step, and samples in k by being reapplied: distill sample --steps k), "
            : "steps (1; the generator's evaluations, each trained on the inputs it meets when it samples\(Recipe.regresses ? "; one with the regression" : "")), "
        return steps
            + "fake_score_updates (\(Recipe.fakeScoreUpdates) per generator step), fake_score_learning_rate (the generator's schedule if absent), "
            + alpha + adapter + adversarial + path + idempotence + regression
            + "teacher_process and teacher_target (the process and target the teacher's network was trained for), data_range"
    }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let name = Recipe.configName
        let setup = try StepDistillationSetup(entry, context: context, method: name, trainsConditionalStudents: true)
        let conditional = setup.network.classCount > 0
        if conditional && (Recipe.backtracks || Recipe.isIdempotent) {
            throw entry.error("method '\(name)' trains an unconditional generator: remove `conditional: true` from the student's and teacher's sections "
                + "(dmd, dmd2, sid and vsd train class-conditional ones)")
        }
        guard let teacher = setup.teacher as? NetworkDenoiser, let replica = context.teacherReplica else {
            throw entry.error("method '\(name)' starts its fake score from the teacher's network: the teacher must be one model with a checkpoint")
        }
        guard let fakeNetwork = try replica() as? any DenoisingNetwork else {
            throw entry.error("method '\(name)' distills a denoising teacher (denoising-mlp, unet)")
        }
        let steps: Int = try entry.value("steps", default: 1, in: 1...64)
        if Recipe.isIdempotent && steps != 1 {
            throw (try entry.optional("steps") ?? entry).error("SIGN trains a one-step generator, found steps \(steps); it samples in k steps by being "
                + "reapplied (distill sample --steps k)")
        }
        let updates: Int = try entry.value("fake_score_updates", default: Recipe.fakeScoreUpdates, in: 1...100)
        let fakeScoreRate: Float? = try entry.optional("fake_score_learning_rate") == nil ? nil
            : try entry.value("fake_score_learning_rate", default: 1, in: 1e-9...10)
        if Recipe.adaptsTheTeacher {
            let rank: Int = try entry.value("lora_rank", default: 16, in: 1...4096)
            let alpha: Float = try entry.value("lora_alpha", default: Float(rank), in: 1e-6...1e6)
            fakeNetwork.freeze()
            var drawing = RandomGenerator(seed: 0)
            if LoRA.inject(into: fakeNetwork, rank: rank, alpha: alpha, using: &drawing).isEmpty {
                throw entry.error("method '\(name)' puts LoRA adapters on the teacher's layers, and the teacher's model has none it can adapt (use denoising-mlp)")
            }
        }
        let generator = FewStepGenerator(teacher.replacingNetwork(setup.network), steps: steps)
        var regression: DistributionMatchingDistillation.Regression?
        if Recipe.regresses {
            let pairs: Int = try entry.value("regression_pairs", default: 4096, in: 0...1 << 20)
            let weight: Float = try entry.value("regression_weight", default: 0.25, in: 0...1e6)
            let teacherSteps: Int = try entry.value("teacher_steps", default: 64, in: 1...4096)
            if pairs > 0 && conditional {
                throw (try entry.optional("regression_pairs") ?? entry).error("DMD's regression pairs are unconditional samples of the teacher; "
                    + "a class-conditional generator trains without them: set regression_pairs: 0")
            }
            if pairs > 0 && steps > 1 {
                throw (try entry.optional("steps") ?? entry).error("DMD's regression trains a one-step generator (noise to the teacher's sample); "
                    + "for \(steps) steps set regression_pairs: 0, or use dmd2")
            }
            if pairs > 0 {
                // The pairs are part of the method, fixed by its config: the same on a resumed run.
                var drawing = RandomGenerator(seed: 0)
                regression = .init(pairs: try RectifiedFlow.pairs(from: teacher, sampler: Sampler(.euler, steps: teacherSteps), count: pairs, shape: context.sampleShape,
                                                                   using: &drawing), weight: weight)
            }
        }
        var generatorLoss = Recipe.generatorLoss
        if case .scoreIdentity(let alpha) = generatorLoss {
            generatorLoss = .scoreIdentity(alpha: try entry.value("alpha", default: alpha, in: 0...10))
        }
        var adversarial: DistributionMatchingDistillation.Adversarial?
        if Recipe.offersAdversarialTerm {
            let weight: Float = try entry.value("gan_weight", default: 0, in: 0...1e3)
            let classifierWeight: Float = try entry.value("gan_classifier_weight", default: 1e-2, in: 0...1e3)
            if weight > 0 {
                guard !conditional else {
                    throw (try entry.optional("gan_weight") ?? entry).error("DMD2's GAN head here is unconditional; a class-conditional generator trains without it (gan_weight: 0)")
                }
                guard let mlp = fakeNetwork as? DenoisingMLP else {
                    throw (try entry.optional("gan_weight") ?? entry).error("DMD2's GAN head reads a denoising-mlp's last hidden layer; this teacher is a \(type(of: fakeNetwork))")
                }
                let width = mlp.network.widths.dropLast().last!
                var drawing = RandomGenerator(seed: 1)
                adversarial = .init(head: MLP(widths: [width, width, 1], activation: .silu, using: &drawing), featurePath: "network.\(mlp.network.layers.count - 2)",
                                    generatorWeight: weight, discriminatorWeight: classifierWeight)
            }
        }
        var backtracking: DistributionBacktracking?
        if Recipe.backtracks {
            let checkpoints: Int = try entry.value("path_checkpoints", default: 5, in: 1...100)
            let pathSteps: Int = try entry.value("path_steps", default: 200, in: 1...100_000)
            let pathEpochs: Int = try entry.value("path_epochs", default: 2, in: 1...1000)
            let pathRate: Float = try entry.value("path_learning_rate", default: 1e-5, in: 1e-9...10)
            // Recorded from the generator's initial weights, before the trainer resumes any
            // checkpoint, so a resumed run walks the same path.
            let path = try DistributionBacktracking.recording(from: teacher, toward: generator, replica: { try replica() as! any DenoisingNetwork },
                                                              checkpoints: checkpoints, stepsPerCheckpoint: pathSteps, epochsPerTarget: pathEpochs,
                                                              sampleShape: context.sampleShape, learningRate: pathRate, seed: 3)
            try fakeNetwork.loadStateDict(path.path[0].network.stateDict())
            backtracking = path
        }
        var objective = DistributionMatchingDistillation(realScore: teacher, fakeScore: teacher.replacingNetwork(fakeNetwork), generator: generator,
                                                         fakeScoreUpdates: updates, regression: regression, generatorLoss: generatorLoss,
                                                         adversarial: adversarial)
        objective.backtracking = backtracking
        if Recipe.isIdempotent {
            objective.idempotence = .init(reconstructionWeight: try entry.value("reconstruction_weight", default: 1, in: 0...1e6),
                                          idempotenceWeight: try entry.value("idempotence_weight", default: 1, in: 0...1e6))
        }
        objective.scaling = setup.scaling
        objective.fakeScoreSchedule = fakeScoreRate.map { .constant($0) }
        return Self(objective)
    }

    public typealias Prepared = DistributionMatchingDistillation.Prepared

    public var scaling: DataScaling { objective.scaling }
    public var defaultSteps: Int { objective.generator.times.count }

    /// The generator's own steps, the count it trained for; an idempotent generator, any count
    /// of applications.
    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        if Recipe.isIdempotent {
            try requireOwnSampler(request, name: Self.configName)
            let trained = FewStepGenerator(objective.generator.denoiser.replacingNetwork(network), steps: 1)
            return (trained.sample(count: count, shape: shape, applications: request.steps, using: &generator), request.steps)
        }
        return try drawOwnSteps(of: objective.generator, network: network, count: count, shape: shape, request: request, name: Self.configName,
                             using: &generator)
    }
}
