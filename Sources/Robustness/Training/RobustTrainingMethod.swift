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
        let threat = try ThreatModel(config: entry)
        let epsilon = threat.epsilon
        let steps: Int = try entry.positiveValue("steps", default: 10)
        return PGD(threat, steps: steps, stepSize: try entry.positiveValue("step_size", default: 2.5 * epsilon / Float(steps)))
    }
}

/// The teacher a method's needs guarantee (`MethodNeed.teacher`), or an error at `entry`.
func requiredTeacher(_ teacher: (any Teacher)?, _ entry: any ConfigEntry, method: String) throws -> any Teacher {
    guard let teacher else { throw entry.error("method '\(method)' distills from a teacher: add a `teacher:` section") }
    return teacher
}
