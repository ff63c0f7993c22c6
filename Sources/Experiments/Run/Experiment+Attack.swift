import Datasets
import Foundation
import NN
import Robustness

/// `distill attack`: the run's trained model under an `AttackEvaluation`, on its validation
/// data.
extension Experiment {
    /// Whether attacks can run on `model`: a classifier of one input tensor (the attacks follow
    /// the gradient of its logits with respect to that tensor), not a GPT, graph network or
    /// denoiser. The run's `evaluation:` section and `distill attack` both ask.
    static func takesAttacks(_ model: Module, classifies: Bool) -> Bool { classifies && !(model is any TaskModel) }

    /// Why attacks cannot run on `model`, in the words both refusals use.
    static func notAttackable(_ model: String) -> String {
        "attacks perturb a classifier's input tensor along its gradient; \(model) is not such a classifier"
    }

    /// A problem with attacking this run's model, in words; nil when there is none.
    public enum AttackRefusal: Error, CustomStringConvertible {
        case noValidationData(config: String)
        case notAClassifier(config: String, model: String)
        /// A budget (`epsilon` or one of the curve's) too large for the data's inputs.
        case budget(isCurve: Bool, problem: String)

        public var description: String {
            switch self {
            case .noValidationData(let config): "\(config): data.validation is none: nothing to attack"
            case .notAClassifier(let config, let model): "\(config): \(Experiment.notAttackable(model))"
            case .budget(let isCurve, let problem): "--\(isCurve ? "curve" : "epsilon") \(problem)"
            }
        }
    }

    /// Attacks the model (holding its trained weights) by `evaluation`, and with
    /// `curveBudgets` draws accuracy against ε; writes the report and the curve into the
    /// run's folder. Nothing is attacked when a budget is beyond the data's inputs.
    public func attack(by evaluation: AttackEvaluation, curveBudgets: [Float] = [],
                       progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> AttackOutcome {
        guard let validation = data.validation else { throw AttackRefusal.noValidationData(config: configFile) }
        guard Self.takesAttacks(model, classifies: evaluatesClassification) else { throw AttackRefusal.notAClassifier(config: configFile, model: modelName) }
        let inputDimension = data.sampleShape.reduce(1, *)
        for (budget, isCurve) in [(evaluation.threat.epsilon, false)] + curveBudgets.map({ ($0, true) }) {
            if let problem = ThreatModel.budgetProblem(budget, norm: evaluation.threat.norm, inputDimension: inputDimension) {
                throw AttackRefusal.budget(isCurve: isCurve, problem: problem)
            }
        }
        return try evaluation.run(model, on: AnyDataset(validation), curveBudgets: curveBudgets, label: modelName, dataName: data.name,
                                  writingTo: outputDirectory, progress: progress)
    }
}
