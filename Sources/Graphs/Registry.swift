import Distillation

/// What this target offers to configs by name (see `DistillationRegistry`).
public enum GraphRegistry {
    /// The loss terms.
    public static let lossTerms: [any ConfigurableLossTerm.Type] = [LowFrequencyDistillation.self, HighFrequencyDistillation.self, SoftTokenDistillation.self]
    /// The training methods.
    public static let methods: [any ConfigurableMethod.Type] = [VQGraphTraining.self]
}
