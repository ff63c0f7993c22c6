import Distillation
import Training

/// What this target offers to configs by name (see `DistillationRegistry`).
public enum RobustnessRegistry {
    /// The loss terms.
    public static let lossTerms: [any ConfigurableLossTerm.Type] = [DefensiveDistillationLoss.self]
    /// The training methods (a config's `method:`), in the order errors list them.
    public static let methods: [any ConfigurableMethod.Type] = [
        AdversarialTraining.self, TRADES.self, ARD.self, RSLAD.self, MTARD.self, HARD.self,
    ]
    /// The attacks, by the names they answer to.
    public static let attacks: [any NamedAttack.Type] = [FGSM.self, PGD.self, MIFGSM.self, APGD.self, CarliniWagnerL2.self]
}
