import Configuration
import NN
import Optim
import Tensors
import Training

/// A stage a loss term trains in before the main training (RepDistiller's `init`): AB and FSP
/// fit the student's feature layers to the teacher's there and take no part afterwards; FT
/// fits its paraphraser to the teacher's features there, then transfers through it.
///
/// `WeightedLoss` collects its terms' stages, and `DistillationObjective` turns each into a
/// `TrainingStage` whose objective is the stage's `loss` against the same teacher.
public struct LossTermStage {
    /// How the stage stands to the term that declares it.
    public enum Role: Sendable {
        /// The term trains only in the stage, weighted there by its `weight` (AB, FSP).
        case replacesTheTerm
        /// The stage readies a module the term then uses in the main training, where its
        /// `weight` applies; the stage's loss is unweighted (FT's paraphraser).
        case precedesTheTerm
    }

    public let name: String
    public let settings: StageSettings
    /// What the stage minimises; its `trainableModules` are what the stage trains besides
    /// the student.
    public let loss: any LossTerm
    public let trainsStudent: Bool
    public let studentMode: TrainingStage.StudentMode
    public let role: Role

    public init(name: String, settings: StageSettings, loss: any LossTerm, trainsStudent: Bool, studentMode: TrainingStage.StudentMode, role: Role) {
        (self.name, self.settings, self.loss) = (name, settings, loss)
        (self.trainsStudent, self.studentMode, self.role) = (trainsStudent, studentMode, role)
    }
}

/// How long and by what a stage trains: a config's
///
/// ```yaml
/// initialisation: {epochs: 30, optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, weight_decay: 5.0e-4}}
/// ```
///
/// Both keys are optional; the defaults are RepDistiller's (`--init_epochs 30`, and its
/// main optimizer's SGD at 0.05 with momentum 0.9 and weight decay 5·10⁻⁴), at a constant
/// learning rate as its `init` has.
public struct StageSettings {
    public let epochs: Int
    public let optimizer: Optimizer
    public let learningRate: Float

    public init(epochs: Int, optimizer: Optimizer, learningRate: Float) {
        (self.epochs, self.optimizer, self.learningRate) = (epochs, optimizer, learningRate)
    }

    /// RepDistiller's `init` (`--init_epochs`).
    public static let defaultEpochs = 30

    /// The settings under `key` of a term's entry, each key defaulted as above and checked.
    public static func read(_ key: String, of entry: any ConfigEntry, context: LossContext, defaultLearningRate: Float = 0.05) throws -> StageSettings {
        guard let section = try entry.optional(key) else {
            return StageSettings(epochs: defaultEpochs, optimizer: SGD(learningRate: defaultLearningRate, momentum: 0.9, weightDecay: 5e-4),
                                 learningRate: defaultLearningRate)
        }
        let epochs: Int = try section.value("epochs", default: defaultEpochs, in: 1...100_000)
        let optimizer = try section.optional("optimizer").map(context.readOptimizer)
            ?? (SGD(learningRate: defaultLearningRate, momentum: 0.9, weightDecay: 5e-4), defaultLearningRate)
        try section.finish()
        return StageSettings(epochs: epochs, optimizer: optimizer.optimizer, learningRate: optimizer.learningRate)
    }
}
