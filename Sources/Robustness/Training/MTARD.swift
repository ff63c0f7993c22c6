import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// Multi-teacher adversarial robustness distillation, MTARD (Zhao et al., 2022): a clean
/// teacher guides the student on clean inputs and a robust teacher on adversarial ones,
///
///     L = w_nat·KL(p_nat(x) ‖ s(x)) + w_adv·KL(p_adv(x_adv) ‖ s(x_adv)),
///     p_nat = softmax(t_nat/τ_nat), p_adv = softmax(t_adv/τ_adv),
///
/// with `x_adv` maximising `KL(p_adv(x) ‖ s(x′))` in the ε-ball. Two balances adapt as it trains:
///
/// - **Entropy-Based Balance**: each step moves the temperatures against the gap between
///   the teachers' mean entropies, `τ_nat −= η_τ·(H_nat − H_adv)`, `τ_adv −= η_τ·(H_adv − H_nat)`
///   (a hotter teacher is more uncertain), so that neither teacher's knowledge is much
///   sharper than the other's.
/// - **Normalization Loss Balance**: each loss relative to its value at the first step,
///   `r = L/L₀`, measures how far the student still is from that teacher; the weights are
///   `w_i = r_i^β / Σ r^β`, so the teacher the student learns from more slowly weighs more.
public final class MTARD: TrainingObjective {
    public let cleanTeacher: any Teacher
    public let robustTeacher: any Teacher
    public let attack: PGD
    public let temperatureRate: Float
    public let balancePower: Float
    public let temperatureRange: ClosedRange<Float>

    /// The current temperatures and weights (adapted every step).
    public private(set) var cleanTemperature: Float = 1, robustTemperature: Float = 1
    public private(set) var cleanWeight: Float = 0.5, robustWeight: Float = 0.5
    /// The teachers' mean entropies at the current temperatures, on the last batch.
    public private(set) var cleanEntropy: Float = 0, robustEntropy: Float = 0
    private var initialLosses: (clean: Float, robust: Float)?

    public init(
        cleanTeacher: any Teacher, robustTeacher: any Teacher, attack: PGD, temperatureRate: Float = 0.1, balancePower: Float = 1,
        temperatureRange: ClosedRange<Float> = 0.5...20
    ) {
        (self.cleanTeacher, self.robustTeacher, self.attack) = (cleanTeacher, robustTeacher, attack)
        (self.temperatureRate, self.balancePower, self.temperatureRange) = (temperatureRate, balancePower, temperatureRange)
    }

    /// Agreement is reported against the robust teacher.
    public var teacher: (any Teacher)? { robustTeacher }
    public var trainableModules: [Module] { [] }

    public struct Prepared {
        let clean: Tensor, adversarial: Tensor
        let cleanTargets: Tensor, robustTargets: Tensor
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let robustOnClean = try robustTeacher.outputs(for: batch, featurePaths: []).logits.softmax(axis: 1, temperature: robustTemperature)
        let adversarial = inInferenceMode(student) {
            attack.maximize(student, around: batch.inputs, start: jitteredStart(batch.inputs, using: &generator),
                            objective: { divergence(from: robustOnClean, logits: $0) }, using: &generator)
        }
        let cleanTargets = try cleanTeacher.outputs(for: batch, featurePaths: []).logits.softmax(axis: 1, temperature: cleanTemperature)
        let robustTargets = try robustTeacher.outputs(for: adversarial, featurePaths: []).logits.softmax(axis: 1, temperature: robustTemperature)
        // Entropy-Based Balance.
        (cleanEntropy, robustEntropy) = (Self.meanEntropy(cleanTargets), Self.meanEntropy(robustTargets))
        let gap = cleanEntropy - robustEntropy
        cleanTemperature = min(max(cleanTemperature - temperatureRate * gap, temperatureRange.lowerBound), temperatureRange.upperBound)
        robustTemperature = min(max(robustTemperature + temperatureRate * gap, temperatureRange.lowerBound), temperatureRange.upperBound)
        return Prepared(clean: batch.inputs, adversarial: adversarial, cleanTargets: cleanTargets, robustTargets: robustTargets)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let clean = klDivergence(logProbabilities: student(prepared.clean).logSoftmax(axis: 1), target: prepared.cleanTargets)
        let robust = klDivergence(logProbabilities: student(prepared.adversarial).logSoftmax(axis: 1), target: prepared.robustTargets)
        let total = cleanWeight * clean + robustWeight * robust
        // Normalization Loss Balance, for the next step.
        let (cleanValue, robustValue) = (clean.item, robust.item)
        let initial = initialLosses ?? (max(cleanValue, 1e-8), max(robustValue, 1e-8))
        initialLosses = initial
        let a = Float(pow(Double(cleanValue / initial.clean), Double(balancePower)))
        let b = Float(pow(Double(robustValue / initial.robust), Double(balancePower)))
        if a + b > 0 && (a + b).isFinite { (cleanWeight, robustWeight) = (a / (a + b), b / (a + b)) }
        return (total, ["mtard_nat": cleanValue, "mtard_adv": robustValue, "w_nat": cleanWeight, "tau_nat": cleanTemperature, "tau_adv": robustTemperature])
    }

    /// Mean Shannon entropy (nats) of the rows of a probability matrix.
    static func meanEntropy(_ probabilities: Tensor) -> Float {
        -(probabilities * maximum(probabilities, Tensor(1e-12)).log()).sum(axes: [1]).mean().item
    }

    public var adaptiveState: [String: Double] {
        var state = ["tau_nat": Double(cleanTemperature), "tau_adv": Double(robustTemperature),
                     "w_nat": Double(cleanWeight), "w_adv": Double(robustWeight)]
        if let initialLosses { (state["initial_nat"], state["initial_adv"]) = (Double(initialLosses.clean), Double(initialLosses.robust)) }
        return state
    }

    public func restoreAdaptiveState(_ state: [String: Double]) {
        if let value = state["tau_nat"] { cleanTemperature = Float(value) }
        if let value = state["tau_adv"] { robustTemperature = Float(value) }
        if let value = state["w_nat"] { cleanWeight = Float(value) }
        if let value = state["w_adv"] { robustWeight = Float(value) }
        if let clean = state["initial_nat"], let robust = state["initial_adv"] { initialLosses = (Float(clean), Float(robust)) }
    }
}

// MARK: Config name

extension MTARD: RobustTrainingMethod {
    public static let configName = "mtard"
    public static let configKeys = "epsilon, norm, steps, step_size, temperature_rate, balance_power"
    public static var needs: Set<MethodNeed> { [.teacher, .cleanTeacher] }
    public var threat: ThreatModel { attack.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let attack = try PGD.trainingAttack(from: entry)
        guard let cleanTeacher = context.cleanTeacher else {
            throw entry.error("method 'mtard' needs a `clean_teacher:` section besides the robust `teacher:`")
        }
        return Self(cleanTeacher: cleanTeacher, robustTeacher: try requiredTeacher(context.teacher, entry, method: configName), attack: attack,
                    temperatureRate: try entry.nonNegativeValue("temperature_rate", default: 0.1),
                    balancePower: try entry.nonNegativeValue("balance_power", default: 1))
    }
}
