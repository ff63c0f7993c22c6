import Configuration
import Datasets
import NN
import Tensors
import Training

/// Runs `body` with `model` in inference mode (batch-norm statistics untouched, no
/// dropout), as adversarial examples are crafted in every method here.
func inInferenceMode<Result>(_ model: Module, _ body: () -> Result) -> Result {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    return body()
}

/// The per-sample KL divergence `KL(reference ‖ softmax(logits))` `[N]`: what TRADES, RSLAD
/// and MTARD maximise to craft their adversarial examples.
func divergence(from reference: Tensor, logits: Tensor) -> Tensor {
    klDivergence(logProbabilities: logits.logSoftmax(axis: 1), target: reference, reduction: .none).sum(axes: [1])
}

/// A start just off the clean input (`x + 0.001·N(0, 1)`), as TRADES and RSLAD begin their
/// inner maximisation: at `x` itself the divergence and its gradient are zero.
func jitteredStart(_ inputs: Tensor, using generator: inout RandomGenerator) -> Tensor {
    inputs + Tensor.normal(inputs.shape, standardDeviation: 0.001, using: &generator)
}

/// Adversarial training (Madry et al., 2018): the model learns from PGD examples crafted
/// against itself at every step, minimising `CE(f(x_adv), y)` — the saddle-point problem
/// `min_θ E max_{δ∈B(ε)} L(f(x + δ), y)`.
public struct AdversarialTraining: TrainingObjective {
    public let attack: PGD
    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(attack: PGD) { self.attack = attack }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Batch {
        let labels = try requireLabels(batch, "adversarial training")
        let adversarial = inInferenceMode(student) { attack.perturb(student, inputs: batch.inputs, labels: labels, using: &generator) }
        return batch.replacing(inputs: adversarial)
    }

    public func loss(_ adversarial: Batch, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let loss = crossEntropy(logits: student(adversarial.inputs), labels: adversarial.labels!)
        return (loss, ["adversarial_ce": loss.item])
    }
}

/// TRADES (Zhang et al., 2019): accuracy and robustness traded explicitly,
/// `CE(f(x), y) + β·KL(f(x) ‖ f(x′))`, where `x′` maximises that KL within the ε-ball
/// (PGD from `x + 0.001·N(0, 1)`). Larger β: more robust, less accurate.
public struct TRADES: TrainingObjective {
    public let attack: PGD
    public let beta: Float
    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(attack: PGD, beta: Float = 6) { (self.attack, self.beta) = (attack, beta) }

    public struct Prepared {
        let clean: Tensor, adversarial: Tensor, labels: Tensor
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let labels = try requireLabels(batch, "TRADES")
        let adversarial = inInferenceMode(student) { () -> Tensor in
            let reference = withoutGradients { student(batch.inputs).softmax(axis: 1) }
            return attack.maximize(student, around: batch.inputs, start: jitteredStart(batch.inputs, using: &generator),
                                   objective: { divergence(from: reference, logits: $0) }, using: &generator)
        }
        return Prepared(clean: batch.inputs, adversarial: adversarial, labels: labels)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let clean = student(prepared.clean), adversarial = student(prepared.adversarial)
        let natural = crossEntropy(logits: clean, labels: prepared.labels)
        let robust = klDivergence(logProbabilities: adversarial.logSoftmax(axis: 1), target: clean.softmax(axis: 1))
        return (natural + beta * robust, ["ce": natural.item, "trades_kl": robust.item])
    }
}

/// The labels of a batch, or an error naming the method that needs them.
func requireLabels(_ batch: Batch, _ method: String) throws -> Tensor {
    guard let labels = batch.labels, !labels.integerScalars.contains(Int(Batch.unlabeledMarker)) else {
        throw DataError(method, "needs a label on every training sample")
    }
    return labels
}

// MARK: Config names

extension AdversarialTraining: RobustTrainingMethod {
    public static let configName = "pgd-at"
    public static let configKeys = "epsilon, norm, steps, step_size"
    public static var needs: Set<MethodNeed> { [.noTeacher] }
    public var threat: ThreatModel { attack.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        Self(attack: try PGD.trainingAttack(from: entry))
    }
}

extension TRADES: RobustTrainingMethod {
    public static let configName = "trades"
    public static let configKeys = "epsilon, norm, steps, step_size, beta"
    public static var needs: Set<MethodNeed> { [.noTeacher] }
    public var threat: ThreatModel { attack.threat }
    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        Self(attack: try PGD.trainingAttack(from: entry), beta: try entry.nonNegativeValue("beta", default: 6))
    }
}
