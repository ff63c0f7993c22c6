/// An attack a command line or a config can name (`distill attack --attacks fgsm pgd-20`).
/// Each type lists the names it answers to; a family whose name carries a parameter is
/// listed as its name pattern (`pgd-<steps>` for `pgd-1`, `pgd-20`, …), which `named(_:)`
/// parses in full. Its target lists the type (`RobustnessRegistry.attacks`).
public protocol NamedAttack: Attack {
    /// The names this type answers to, as errors and help list them.
    static var attackNames: [String] { get }
    /// The attack called `name` within `threat`, or nil when the name is not one of this type's.
    static func named(_ name: String, threat: ThreatModel) -> Self?
}

extension FGSM: NamedAttack {
    public static var attackNames: [String] { ["fgsm", "fgsm-cw"] }
    public static func named(_ name: String, threat: ThreatModel) -> Self? {
        switch name {
        case "fgsm": Self(threat)
        case "fgsm-cw": Self(threat, loss: .margin)
        default: nil
        }
    }
}

extension PGD: NamedAttack {
    /// K steps on cross-entropy, or on the CW margin with `-cw`.
    public static var attackNames: [String] { ["pgd-<steps>", "pgd-<steps>-cw"] }
    public static func named(_ name: String, threat: ThreatModel) -> Self? {
        let parts = name.split(separator: "-")
        guard parts.count >= 2, parts[0] == "pgd", let steps = Int(parts[1]), steps > 0, parts.count == 2 || (parts.count == 3 && parts[2] == "cw") else {
            return nil
        }
        return Self(threat, steps: steps, loss: parts.count == 3 ? .margin : .crossEntropy)
    }
}

extension MIFGSM: NamedAttack {
    public static var attackNames: [String] { ["mi-fgsm"] }
    public static func named(_ name: String, threat: ThreatModel) -> Self? { name == "mi-fgsm" ? Self(threat) : nil }
}

extension APGD: NamedAttack {
    public static var attackNames: [String] { ["apgd-ce", "apgd-cw"] }
    public static func named(_ name: String, threat: ThreatModel) -> Self? {
        switch name {
        case "apgd-ce": Self(threat)
        case "apgd-cw": Self(threat, loss: .margin)
        default: nil
        }
    }
}

extension CarliniWagnerL2: NamedAttack {
    /// Its minimal perturbations, projected onto the ε-ball.
    public static var attackNames: [String] { ["cw-l2"] }
    public static func named(_ name: String, threat: ThreatModel) -> Self? {
        name == "cw-l2" ? Self(threat: threat, inputRange: threat.inputRange) : nil
    }
}
