import Datasets
import Foundation
import NN
import Tensors

/// One attack's result on a data set.
public struct AttackResult: Codable, Equatable, Sendable {
    public var attack: String
    /// The fraction of samples still classified correctly under the attack.
    public var accuracy: Double
    /// The largest perturbation the attack made, in the threat model's norm (a budget check).
    public var largestPerturbation: Double
}

/// Clean and robust accuracy of a model under a list of attacks.
public struct RobustnessReport: Codable, Equatable, Sendable {
    public var count: Int
    public var cleanAccuracy: Double
    public var attacks: [AttackResult]
    /// The fraction of samples that every attack leaves correctly classified (AutoAttack's
    /// "worst case over attacks").
    public var worstCaseAccuracy: Double

    /// The result of the attack called `name`.
    public subscript(name: String) -> AttackResult? { attacks.first { $0.attack == name } }

    /// The report as a Markdown table.
    public func markdown() -> String {
        var lines = ["| attack | accuracy | largest perturbation |", "|---|---|---|",
                     String(format: "| clean | %.2f%% | – |", cleanAccuracy * 100)]
        for result in attacks { lines.append(String(format: "| %@ | %.2f%% | %.4f |", result.attack, result.accuracy * 100, result.largestPerturbation)) }
        lines.append(String(format: "| worst case | %.2f%% | – |", worstCaseAccuracy * 100))
        return lines.joined(separator: "\n")
    }
}

/// Attacks `model` (put in inference mode) with each attack on `data` (its first `limit`
/// samples) and reports clean, per-attack and worst-case accuracy. Every attack sees the
/// same batches, with generators seeded from `seed`, the attack's position and the batch.
/// `progress`, when given, is told the samples done and their total after each batch.
public func evaluateRobustness<Data: Dataset>(
    _ model: Module, on data: Data, attacks: [any Attack], threat: ThreatModel? = nil, limit: Int? = nil, batchSize: Int = 128, seed: UInt64 = 0,
    progress: ((_ done: Int, _ total: Int) -> Void)? = nil
) throws -> RobustnessReport {
    model.eval()
    let count = min(limit ?? data.count, data.count)
    var cleanCorrect = 0, robustEverywhere = 0
    var correct = [Int](repeating: 0, count: attacks.count), largest = [Double](repeating: 0, count: attacks.count)
    for (batchIndex, start) in stride(from: 0, to: count, by: batchSize).enumerated() {
        let batch = data.batch(at: Array(start..<min(start + batchSize, count)))
        guard let labels = batch.labels else { throw DataError("robustness evaluation", "the evaluation data has no labels") }
        let truth = labels.integerScalars
        var survives = zip(withoutGradients { model(batch.inputs) }.argmax(axis: 1).integerScalars, truth).map { $0 == $1 }
        cleanCorrect += survives.filter { $0 }.count
        for (index, attack) in attacks.enumerated() {
            var generator = RandomGenerator(seed: seed &+ UInt64(index) &* 1_000_003 &+ UInt64(batchIndex))
            let adversarial = attack.perturb(model, inputs: batch.inputs, labels: labels, using: &generator)
            let predictions = withoutGradients { model(adversarial) }.argmax(axis: 1).integerScalars
            for i in truth.indices {
                let right = predictions[i] == truth[i]
                if right { correct[index] += 1 }
                survives[i] = survives[i] && right
            }
            if let threat { largest[index] = max(largest[index], Double(threat.perturbationSizes(adversarial, from: batch.inputs).max() ?? 0)) }
        }
        robustEverywhere += survives.filter { $0 }.count
        progress?(min(start + batchSize, count), count)
    }
    let n = Double(max(count, 1))
    return RobustnessReport(
        count: count, cleanAccuracy: Double(cleanCorrect) / n,
        attacks: attacks.indices.map { AttackResult(attack: attacks[$0].name, accuracy: Double(correct[$0]) / n, largestPerturbation: largest[$0]) },
        worstCaseAccuracy: Double(robustEverywhere) / n)
}

/// An attack crafted on another model (a surrogate trained independently) and applied to
/// the one under evaluation: a black-box check for gradient masking — if transferred
/// examples beat white-box ones, the white-box gradients were not telling the truth.
public struct TransferAttack: Attack {
    public let surrogate: Module
    public let attack: any Attack
    public var name: String { "transfer-" + attack.name }

    public init(from surrogate: Module, attack: any Attack) {
        surrogate.eval()
        (self.surrogate, self.attack) = (surrogate, attack)
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        attack.perturb(surrogate, inputs: inputs, labels: labels, targets: targets, using: &generator)
    }
}
