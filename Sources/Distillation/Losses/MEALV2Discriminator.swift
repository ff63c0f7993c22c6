import NN
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
/// `EnsembleTeacher` for the full MEAL V2 objective; the discriminator trains with the student.
public final class MEALV2Discriminator: LossTerm {
    public let discriminator: Sequential
    public var name: String { "meal" }
    public var trainableModules: [Module] { [discriminator] }

    /// `D`: `classes → hidden → hidden → 1` with ReLUs.
    public init(classes: Int, hidden: Int = 64, using generator: inout RandomGenerator) {
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
