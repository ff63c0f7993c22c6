import Robustness

/// Attacks by name, for `distill attack --attacks …` and robustness summaries: the names the
/// registered attack types answer to (`RobustnessRegistry.attacks`): `fgsm`, `pgd-K` (K
/// steps), `pgd-K-cw` (the CW margin loss), `mi-fgsm`, `apgd-ce`, `apgd-cw`, `cw-l2` (its
/// minimal perturbations projected onto the ε-ball).
public enum AttackCatalog {
    /// Every name; a family's as its name pattern (`pgd-<steps>` for `pgd-20`).
    public static var names: [String] { RobustnessRegistry.attacks.flatMap { $0.attackNames } }

    /// The attack called `name` within `threat`; an unknown name is an error listing them all.
    public static func attack(named name: String, threat: ThreatModel) throws -> any Attack {
        for type in RobustnessRegistry.attacks {
            if let attack = type.named(name, threat: threat) { return attack }
        }
        throw UnknownNameError(kind: "attack", name: name, valid: names)
    }
}

/// A name no registry holds, with every name that would do.
public struct UnknownNameError: Error, CustomStringConvertible {
    public let kind: String, name: String, valid: [String]
    public var description: String { "unknown \(kind) '\(name)' (valid: \(valid.joined(separator: ", ")))" }
}
