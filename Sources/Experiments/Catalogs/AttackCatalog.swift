import Robustness

/// Attacks by name, for `distill attack --attacks …` and a run's `evaluation: {attacks: …}`:
/// the names the registered attack types answer to (`RobustnessRegistry.attacks`): `fgsm`,
/// `pgd-K` (K steps), `pgd-K-cw` (the CW margin loss), `mi-fgsm`, `apgd-ce`, `apgd-cw`,
/// `cw-l2` (its minimal perturbations projected onto the ε-ball). The catalog beside the
/// others; `AttackEvaluation` in `Robustness` resolves the names.
public enum AttackCatalog {
    /// Every name; a family's as its name pattern (`pgd-<steps>` for `pgd-20`).
    public static var names: [String] { AttackEvaluation.attackNames }

    /// The attack called `name` within `threat`; an unknown name is an error listing them all.
    public static func attack(named name: String, threat: ThreatModel) throws -> any Attack {
        try AttackEvaluation.attack(named: name, threat: threat)
    }
}
