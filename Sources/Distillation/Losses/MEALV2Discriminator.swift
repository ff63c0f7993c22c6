import Configuration
import NN
import Optim
import Tensors
import Training

/// MEAL V2's discriminator on the outputs (Shen & Savvides, 2020; after MEAL, Shen et al.,
/// 2019): a small network `D` tells the teacher ensemble's softmax from the student's, and the
/// student learns to make its outputs indistinguishable. The term is the sum of both players'
/// binary cross-entropies, each reaching only its own player:
///
///     L_D = BCE(D(p_t), 1) + BCE(D(sg(p_s)), 0)      (trains D; the student output detached)
///     L_G = BCE(D̄(p_s), 1)                            (trains the student; D̄: D's weights frozen)
///
/// Pair it with `KnowledgeDistillationLoss` (or `SoftTargetLoss`) at T = 1 on an
/// `EnsembleTeacher` for the full MEAL V2 objective. The discriminator trains from the same
/// pass as the student, by an optimizer of its own (module `meal` in checkpoints).
public final class MEALV2Discriminator: LossTerm {
    public let discriminator: Sequential
    /// The discriminator's optimizer; nil for a copy of the student's (kind, settings and
    /// learning-rate schedule), which trains it as a shared optimizer did.
    public let optimizer: Optimizer?
    /// Its learning rate per step; nil for the trainer's schedule.
    public let schedule: LearningRateSchedule?
    public var name: String { "meal" }
    public var optimizedModules: [OptimizedModule] {
        [OptimizedModule(name: "meal", module: discriminator, optimizer: optimizer, schedule: schedule, pass: .sharedPass)]
    }

    /// `D`: `classes → hidden → hidden → 1` with ReLUs.
    public init(classes: Int, hidden: Int = 64, optimizer: Optimizer? = nil, schedule: LearningRateSchedule? = nil,
                using generator: inout RandomGenerator) {
        (self.optimizer, self.schedule) = (optimizer, schedule)
        discriminator = Sequential([
            Linear(classes, hidden, using: &generator), Activation(.relu),
            Linear(hidden, hidden, using: &generator), Activation(.relu),
            Linear(hidden, 1, using: &generator),
        ])
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let student = batch.studentLogits.softmax(axis: 1), teacher = batch.requireTeacherLogits(name).detached().softmax(axis: 1)
        let n = student.shape[0]
        let (real, fake) = (Tensor.ones([n, 1]), Tensor.zeros([n, 1]))
        let discriminatorLoss = binaryCrossEntropy(logits: discriminator(teacher), targets: real)
            + binaryCrossEntropy(logits: discriminator(student.detached()), targets: fake)
        let studentLoss = discriminator.withFrozenParameters { binaryCrossEntropy(logits: discriminator(student), targets: real) }
        return discriminatorLoss + studentLoss
    }
}

extension MEALV2Discriminator: ConfigurableLossTerm {
    public static let configName = "meal"
    public static let configKeys = "hidden, optimizer (MEAL V2's discriminator on the outputs; its optimizer defaults to a copy of the student's)"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        // Its own optimizer, at a constant learning rate, where the config names one; else a
        // copy of the student's, on the student's schedule.
        let optimizer = try entry.optional("optimizer").map(context.readOptimizer)
        return Self(classes: context.classes, hidden: try entry.value("hidden", default: 64, in: 1...65_536), optimizer: optimizer?.optimizer,
                    schedule: optimizer.map { .constant($0.learningRate) }, using: &generator)
    }
}
