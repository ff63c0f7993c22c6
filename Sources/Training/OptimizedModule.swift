import NN
import Optim

/// A module an objective trains with an optimizer of its own, beside the student: MEAL V2's
/// discriminator, a GAN's discriminator, DMD2's fake-score network.
///
/// The trainer steps these modules in the objective's declared order: each `.ownPass`
/// module `updatesPerStep` times before the student's update, each from its own loss pass;
/// each `.sharedPass` module once, with the student, from the student's pass. Their weights
/// and optimizer states go into the run's one checkpoint.
public struct OptimizedModule {
    /// Where a module's gradients come from.
    public enum Pass: Sendable {
        /// The student's loss pass: one total whose parts each reach only their own player
        /// (MEAL V2's two binary cross-entropies).
        case sharedPass
        /// A pass of its own, `TrainingObjective.loss(_:student:updating:update:)`, run before the
        /// student's (a fake score fitted to the generator's current samples, a critic).
        case ownPass
    }

    /// The name in checkpoints (`modules.<name>.*`, `optimizers.<name>.*`) and metrics: no dots.
    public let name: String
    public let module: Module
    /// Its optimizer; nil for a copy of the student's (same kind and settings, state of its own).
    public let optimizer: Optimizer?
    /// Its learning rate per step; nil for the trainer's schedule.
    public let schedule: LearningRateSchedule?
    public let pass: Pass
    /// Updates per trainer step (an own-pass module only): 5 for a fake score updated five
    /// times per generator step.
    public let updatesPerStep: Int

    public init(name: String, module: Module, optimizer: Optimizer? = nil, schedule: LearningRateSchedule? = nil,
                pass: Pass = .sharedPass, updatesPerStep: Int = 1) {
        (self.name, self.module, self.optimizer, self.schedule) = (name, module, optimizer, schedule)
        (self.pass, self.updatesPerStep) = (pass, updatesPerStep)
    }
}

/// A trainer that cannot run as set up (a programming mistake the trainer can name).
public struct TrainerSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
