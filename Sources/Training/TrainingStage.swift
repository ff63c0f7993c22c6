import NN
import Optim

/// A stage an objective trains before its main training: RepDistiller's `init`, where AB and
/// FSP fit the student's feature layers to the teacher's, and FT fits its paraphraser to the
/// teacher's features, each for epochs of its own under an optimizer of its own.
///
/// A stage's `objective` says what it minimises; its `trainableModules` are the modules the
/// stage trains besides the student (AB's connectors, FT's paraphraser). The trainer runs the
/// stages in order before the main epochs, saving a checkpoint after each of their epochs
/// (`stage` and the stage's epoch in its notes), so that a resumed run skips the stages it
/// finished and continues an unfinished one exactly. Stage epochs are written to the metrics
/// with their `stage` name, and are not evaluated.
public struct TrainingStage {
    /// The student's mode during the stage (RepDistiller runs its `init` with the student in
    /// `eval()`: its batch-norm layers normalise by their running statistics and keep them).
    public enum StudentMode: String, Sendable {
        case training, inference
    }

    /// The name in checkpoints, metrics and progress lines: no dots.
    public let name: String
    public let epochs: Int
    public let objective: any TrainingObjective
    /// The stage's own optimizer, over the modules it trains (and the student, when
    /// `trainsStudent`).
    public let optimizer: Optimizer
    /// The learning rate per stage step (numbered from 0 in each stage).
    public let schedule: LearningRateSchedule
    /// Whether the student's parameters train in this stage. Only those the stage's loss
    /// reaches move: the others get no gradient, and so neither weight decay nor momentum
    /// (RepDistiller's `init` trains the student's feature layers, not its classifier).
    public let trainsStudent: Bool
    public let studentMode: StudentMode

    public init(name: String, epochs: Int, objective: any TrainingObjective, optimizer: Optimizer, schedule: LearningRateSchedule,
                trainsStudent: Bool, studentMode: StudentMode) {
        (self.name, self.epochs, self.objective, self.optimizer, self.schedule) = (name, epochs, objective, optimizer, schedule)
        (self.trainsStudent, self.studentMode) = (trainsStudent, studentMode)
    }
}
