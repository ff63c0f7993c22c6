import Configuration
import Distillation
import Generative
import Graphs
import Language
import NN
import Robustness
import Training

/// The training methods a config's `method:` section names: the targets' registries joined,
/// and any method a program registers itself. A method replaces `losses:`:
///
/// ```yaml
/// method: {name: pgd-at, epsilon: 0.1, norm: linf, steps: 7, step_size: 0.03}
/// method: {name: trades, epsilon: 0.1, beta: 6}
/// method: {name: ard, epsilon: 0.1, alpha: 0.9, temperature: 4}     # needs teacher (robust)
/// method: {name: rslad, epsilon: 0.1}                                # needs teacher (robust)
/// method: {name: mtard, epsilon: 0.1, temperature_rate: 0.1}         # needs teacher (robust) and clean_teacher
/// method: {name: hard, epsilon: 0.2, steps: 5, temperature: 4}        # HARD augmentation; needs a teacher model
/// method: {name: denoising, process: rectified-flow, target: velocity}  # trains a diffusion or flow model (denoising-mlp, unet)
/// method: {name: lm-kd, beta: 0.5, on_policy_fraction: 0.5, prompt_length: 8}  # GKD; a gpt teacher and student
/// method: {name: minillm, prompt_length: 8}                          # reverse KL by policy gradient
/// ```
public enum MethodCatalog {
    private static let added = RegisteredEntries<any ConfigurableMethod.Type>()

    /// Every method a config can name, in the order errors list them.
    public static var registered: [any ConfigurableMethod.Type] { RobustnessRegistry.methods + GenerativeRegistry.methods + GraphRegistry.methods + LanguageRegistry.methods + added.all }

    /// Makes `type` available to configs by its `configName`; a name taken already is refused.
    public static func register(_ type: any ConfigurableMethod.Type) throws {
        let name = type.configName
        if let holder = registered.first(where: { $0.configName == name }) {
            throw RegistrationError(kind: "method", name: name, holder: "\(holder)", newcomer: "\(type)")
        }
        added.append(type)
    }

    public static var names: [String] { registered.map { $0.configName } }

    /// The objective, and the threat model it trains against when it is a robust method (the
    /// summary evaluates at it).
    public static func build(
        _ section: some ConfigEntry, teacher: (any Teacher)?, cleanTeacher: (any Teacher)?, teacherModel: Module? = nil, student: Module? = nil,
        teacherReplica: (() throws -> Module)? = nil, sampleShape: [Int] = [], loadModel: ((any ConfigEntry) throws -> Module)? = nil
    ) throws -> (objective: any TrainingObjective, threat: ThreatModel?) {
        let types = registered
        let name = try section.choice("name", from: types.map { $0.configName }, what: "method")
        let type = types.first { $0.configName == name }!
        if type.needs.contains(.teacher) && teacher == nil {
            throw section.error("method '\(name)' distills from a teacher: add a `teacher:` section")
        }
        if type.needs.contains(.cleanTeacher) && cleanTeacher == nil {
            throw section.error("method '\(name)' needs a `clean_teacher:` section besides the robust `teacher:`")
        }
        // The section's own keys first: a missing epsilon is the first thing to fix.
        let objective = try type.build(from: section, context: MethodContext(teacher: teacher, cleanTeacher: cleanTeacher, teacherModel: teacherModel, student: student,
                                                                                teacherReplica: teacherReplica, sampleShape: sampleShape, loadModel: loadModel))
        if type.needs.contains(.noTeacher) && teacher != nil {
            let distilling = types.filter { $0.needs.contains(.teacher) }.map { $0.configName }
            throw section.error("method '\(name)' trains without a teacher: remove the `teacher:` section (or use \(distilling.joined(separator: ", ")))")
        }
        try section.finish()
        return (objective, (objective as? any RobustTrainingMethod)?.threat)
    }
}
