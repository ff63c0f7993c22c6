import Distillation
import Robustness

/// The robust training methods a config's `method:` section names. They replace `losses:`:
///
/// ```yaml
/// method: {name: pgd-at, epsilon: 0.1, norm: linf, steps: 7, step_size: 0.03}
/// method: {name: trades, epsilon: 0.1, beta: 6}
/// method: {name: ard, epsilon: 0.1, alpha: 0.9, temperature: 4}     # needs teacher (robust)
/// method: {name: rslad, epsilon: 0.1}                                # needs teacher (robust)
/// method: {name: mtard, epsilon: 0.1, temperature_rate: 0.1}         # needs teacher (robust) and clean_teacher
/// method: {name: hard, epsilon: 0.2, steps: 5, temperature: 4}        # HARD augmentation; needs a teacher model
/// ```
public enum MethodCatalog {
    public static let names = ["pgd-at", "trades", "ard", "rslad", "mtard", "hard"]

    /// The objective, and the threat model it trains against (the summary evaluates at it).
    public static func build(
        _ section: ConfigNode, teacher: (any Teacher)?, cleanTeacher: (any Teacher)?
    ) throws -> (objective: any TrainingObjective, threat: ThreatModel) {
        let name = try section.choice("name", from: names, what: "method")
        let norm = try section.choice("norm", from: ThreatModel.Norm.allCases.map(\.rawValue), default: "linf")
        let epsilonNode = try section.required("epsilon", "the perturbation budget")
        let epsilon: Float = try epsilonNode.value()
        guard epsilon > 0 else { throw epsilonNode.error("must be positive, found \(epsilon)") }
        let threat = ThreatModel(norm: ThreatModel.Norm(rawValue: norm)!, epsilon: epsilon)
        let steps: Int = try section.value("steps", default: 10)
        guard steps > 0 else { throw (try section.optional("steps") ?? section).error("must be positive, found \(steps)") }
        let attack = PGD(threat, steps: steps, stepSize: try section.value("step_size", default: 2.5 * epsilon / Float(steps)))
        func requireTeacher() throws -> any Teacher {
            guard let teacher else { throw section.error("method '\(name)' distills from a (robust) teacher: add a `teacher:` section") }
            return teacher
        }
        let objective: any TrainingObjective
        switch name {
        case "pgd-at":
            objective = AdversarialTraining(attack: attack)
        case "trades":
            objective = TRADES(attack: attack, beta: try section.value("beta", default: 6))
        case "ard":
            objective = ARD(teacher: try requireTeacher(), attack: attack, alpha: try section.value("alpha", default: 1),
                            temperature: try section.value("temperature", default: 30))
        case "rslad":
            objective = RSLAD(teacher: try requireTeacher(), attack: attack, adversarialWeight: try section.value("adversarial_weight", default: 5.0 / 6.0))
        case "hard":
            guard let model = (try requireTeacher() as? ModelTeacher)?.model else {
                throw section.error("method 'hard' differentiates through the teacher: it needs a teacher model (not an ensemble or a cache)")
            }
            objective = HARD(teacher: model, augmentation: attack, temperature: try section.value("temperature", default: 4),
                             augmentedWeight: try section.value("augmented_weight", default: 0.5), labelWeight: try section.value("label_weight", default: 0))
        default:
            guard let cleanTeacher else { throw section.error("method 'mtard' needs a `clean_teacher:` section besides the robust `teacher:`") }
            objective = MTARD(cleanTeacher: cleanTeacher, robustTeacher: try requireTeacher(), attack: attack,
                              temperatureRate: try section.value("temperature_rate", default: 0.1), balancePower: try section.value("balance_power", default: 1))
        }
        if ["pgd-at", "trades"].contains(name), teacher != nil {
            throw section.error("method '\(name)' trains without a teacher: remove the `teacher:` section (or use ard, rslad or mtard)")
        }
        try section.finish()
        return (objective, threat)
    }
}
