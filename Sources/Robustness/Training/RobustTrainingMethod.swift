import Configuration
import Training

/// A robust training method: it trains against a threat model, at which the run's summary
/// then evaluates robust accuracy.
public protocol RobustTrainingMethod: ConfigurableMethod {
    /// The threat model the method trains against.
    var threat: ThreatModel { get }
}

extension PGD {
    /// The training attack a robust method's section describes: `norm` (default `linf`),
    /// `epsilon` (required, positive), `steps` (default 10, positive) and `step_size`
    /// (default 2.5·ε/steps), each validated.
    public static func trainingAttack(from entry: any ConfigEntry) throws -> PGD {
        let norm = try entry.choice("norm", from: ThreatModel.Norm.allCases.map { $0.rawValue }, default: "linf")
        let epsilonEntry = try entry.required("epsilon", "the perturbation budget")
        let epsilon: Float = try epsilonEntry.value()
        guard epsilon > 0 else { throw epsilonEntry.error("must be positive, found \(epsilon)") }
        if let problem = ThreatModel.budgetProblem(epsilon, norm: ThreatModel.Norm(rawValue: norm)!) { throw epsilonEntry.error(problem) }
        let threat = ThreatModel(norm: ThreatModel.Norm(rawValue: norm)!, epsilon: epsilon)
        let steps: Int = try entry.positiveValue("steps", default: 10)
        return PGD(threat, steps: steps, stepSize: try entry.positiveValue("step_size", default: 2.5 * epsilon / Float(steps)))
    }
}

/// The teacher a method's needs guarantee (`MethodNeed.teacher`), or an error at `entry`.
func requiredTeacher(_ teacher: (any Teacher)?, _ entry: any ConfigEntry, method: String) throws -> any Teacher {
    guard let teacher else { throw entry.error("method '\(method)' distills from a teacher: add a `teacher:` section") }
    return teacher
}
