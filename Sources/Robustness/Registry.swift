import Distillation

/// What this target offers to configs by name (see `DistillationRegistry`).
public enum RobustnessRegistry {
    /// The loss terms.
    public static let lossTerms: [any ConfigurableLossTerm.Type] = [DefensiveDistillationLoss.self]
}
