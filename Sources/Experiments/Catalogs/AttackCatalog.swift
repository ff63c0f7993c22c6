import Robustness

/// Attacks by name, for `distill attack --attacks …` and robustness summaries:
/// `fgsm`, `pgd-K` (K steps), `pgd-K-cw` (the CW margin loss), `mi-fgsm`, `apgd-ce`,
/// `apgd-cw`, `cw-l2` (its minimal perturbations projected onto the ε-ball).
public enum AttackCatalog {
    public static let examples = ["fgsm", "pgd-20", "pgd-20-cw", "mi-fgsm", "apgd-ce", "apgd-cw", "cw-l2"]

    /// The attack called `name` within `threat`, or nil for an unknown name.
    public static func attack(named name: String, threat: ThreatModel) -> (any Attack)? {
        switch name {
        case "fgsm": return FGSM(threat)
        case "fgsm-cw": return FGSM(threat, loss: .margin)
        case "mi-fgsm": return MIFGSM(threat)
        case "apgd-ce": return APGD(threat)
        case "apgd-cw": return APGD(threat, loss: .margin)
        case "cw-l2": return CarliniWagnerL2(threat: threat, inputRange: threat.inputRange)
        default:
            let parts = name.split(separator: "-")
            guard parts.count >= 2, parts[0] == "pgd", let steps = Int(parts[1]), steps > 0, parts.count == 2 || (parts.count == 3 && parts[2] == "cw") else {
                return nil
            }
            return PGD(threat, steps: steps, loss: parts.count == 3 ? .margin : .crossEntropy)
        }
    }
}
