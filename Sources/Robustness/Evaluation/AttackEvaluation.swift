import Configuration
import Datasets
import Foundation
import NN
import Tensors

/// A classifier evaluated under attacks named by the registry, at one threat model: what
/// `distill attack` runs, and what a run's `evaluation:` section asks its summary to report.
///
/// Every attack sees the same samples (the first `limit`), with generators drawn from `seed`,
/// so two models evaluated alike are compared on equal terms.
public struct AttackEvaluation {
    public let threat: ThreatModel
    /// The attacks, in the order the report lists them.
    public private(set) var attacks: [any Attack]
    /// The names the attacks were asked for by (a transfer attack has none).
    public let names: [String]
    /// Attack only the first `limit` samples (all when nil).
    public var limit: Int?
    public var seed: UInt64

    /// The attacks called `names` (`fgsm`, `pgd-20`, …) at `threat`; an unknown name throws
    /// `UnknownAttackError`, listing every name.
    public init(attacks names: [String], threat: ThreatModel, limit: Int? = nil, seed: UInt64 = 0) throws {
        self.threat = threat
        self.attacks = try names.map { try Self.attack(named: $0, threat: threat) }
        self.names = names
        (self.limit, self.seed) = (limit, seed)
    }

    /// What a robust run reports when its config does not say: PGD-20 with cross-entropy and
    /// with the CW margin loss, on up to 1,000 validation samples.
    public static let defaultAttacks = ["pgd-20", "pgd-20-cw"]
    public static let defaultLimit = 1000

    /// Every name an attack answers to; a family's as its pattern (`pgd-<steps>`).
    public static var attackNames: [String] { RobustnessRegistry.attacks.flatMap { $0.attackNames } }

    /// The attack called `name` within `threat`.
    public static func attack(named name: String, threat: ThreatModel) throws -> any Attack {
        for type in RobustnessRegistry.attacks {
            if let attack = type.named(name, threat: threat) { return attack }
        }
        throw UnknownAttackError(name: name, valid: attackNames)
    }

    /// Adds PGD-20 crafted on `surrogate`, an independently trained model: a black-box check
    /// for gradient masking.
    public mutating func addTransfer(from surrogate: Module) {
        attacks.append(TransferAttack(from: surrogate, attack: PGD(threat, steps: 20)))
    }

    /// Clean, per-attack and worst-case accuracy of `model` on `data`; `progress` hears the
    /// samples done and their total after each batch.
    public func report<Data: Dataset>(_ model: Module, on data: Data, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> RobustnessReport {
        try evaluateRobustness(model, on: data, attacks: attacks, threat: threat, limit: limit, seed: seed, progress: progress)
    }

    /// Accuracy of `model` under the attack called `name` at each budget (0 is the clean
    /// accuracy), as one series of an `AccuracyCurve`.
    public func curve<Data: Dataset>(_ model: Module, on data: Data, attack name: String, budgets: [Float], label: String) throws -> AccuracyCurve.Series {
        _ = try Self.attack(named: name, threat: threat)
        return try AccuracyCurve.measure(model, on: data, epsilons: budgets.sorted(), label: label, limit: limit, seed: seed) {
            try! Self.attack(named: name, threat: ThreatModel(norm: threat.norm, epsilon: $0))
        }
    }
}

/// An attack name no registered attack answers to, with every name that would do.
public struct UnknownAttackError: Error, CustomStringConvertible {
    public let name: String, valid: [String]
    public var description: String { "unknown attack '\(name)' (valid: \(valid.joined(separator: ", ")))" }
}

extension AttackEvaluation {
    /// A run's `evaluation:` section:
    ///
    ///     evaluation:
    ///       attacks: [pgd-20, pgd-20-cw]         # names from the attack registry; [] for none
    ///       threat: {norm: linf, epsilon: 0.3}   # default: the robust method's threat model
    ///       limit: 1000                          # validation samples attacked
    ///
    /// `threat` is the run's robust method's, when it has one and the section gives none;
    /// `inputDimension` bounds an L2 budget. Nil when the section lists no attacks.
    public init?(config entry: some ConfigEntry, methodThreat: ThreatModel?, inputDimension: Int, seed: UInt64) throws {
        let names: [String] = try entry.values("attacks", default: methodThreat == nil ? [] : Self.defaultAttacks)
        let threat: ThreatModel
        if let threatEntry = try entry.optional("threat") {
            threat = try ThreatModel(config: threatEntry, inputDimension: inputDimension)
            try threatEntry.finish()
        } else if let methodThreat {
            threat = methodThreat
        } else {
            guard names.isEmpty else { throw entry.error("attacks need a threat model: add `threat: {norm: linf, epsilon: …}` (this run's method has none)") }
            threat = ThreatModel(norm: .linf, epsilon: 0)
        }
        let limit: Int = try entry.value("limit", default: Self.defaultLimit, in: 1...Int(Int32.max))
        try entry.finish()
        guard !names.isEmpty else { return nil }
        let attacksEntry = try entry.optional("attacks")
        do {
            try self.init(attacks: names, threat: threat, limit: limit, seed: seed)
        } catch let error as UnknownAttackError {
            let index = names.firstIndex(of: error.name)!
            throw (try attacksEntry?.elements()[index] ?? entry).error(error.description)
        }
    }
}

extension ThreatModel {
    /// A threat model from a config entry's `norm` (`linf` or `l2`, default `linf`) and
    /// `epsilon` (required, positive, within the input range [0, 1], for `inputDimension`
    /// inputs when known); the entry's other keys are its reader's.
    public init(config entry: some ConfigEntry, inputDimension: Int? = nil) throws {
        let norm = Norm(rawValue: try entry.choice("norm", from: Norm.allCases.map(\.rawValue), default: Norm.linf.rawValue, what: "norm"))!
        let epsilonEntry = try entry.required("epsilon", "the perturbation budget")
        let epsilon: Float = try epsilonEntry.value()
        guard epsilon > 0 else { throw epsilonEntry.error("must be positive, found \(epsilon)") }
        if let problem = Self.budgetProblem(epsilon, norm: norm, inputDimension: inputDimension) { throw epsilonEntry.error(problem) }
        self.init(norm: norm, epsilon: epsilon)
    }
}

/// What `AttackEvaluation.run` measured and where it wrote it.
public struct AttackOutcome {
    public let report: RobustnessReport
    /// Accuracy against ε under the first attack, when budgets were given.
    public let curve: AccuracyCurve.Series?
    /// `robustness-<norm>-<ε>.json`, the report.
    public let reportFile: URL
    /// `accuracy-vs-epsilon-<norm>.svg`, the curve.
    public let curveFile: URL?
}

extension AttackEvaluation {
    /// Runs every attack on `data`, and with `curveBudgets` the first named attack at each budget,
    /// then writes the report as JSON (and the curve as SVG) into `folder`, atomically.
    /// `label` names the model in the curve, `dataName` the data in its title.
    public func run<Samples: Dataset>(
        _ model: Module, on data: Samples, curveBudgets: [Float] = [], label: String, dataName: String, writingTo folder: URL,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> AttackOutcome {
        let report = try self.report(model, on: data, progress: progress)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let reportFile = folder.appendingPathComponent("robustness-\(threat.norm.rawValue)-\(threat.epsilon).json")
        try AtomicFile.write(encoder.encode(report), to: reportFile)
        guard !curveBudgets.isEmpty, let first = names.first else {
            return AttackOutcome(report: report, curve: nil, reportFile: reportFile, curveFile: nil)
        }
        let series = try curve(model, on: data, attack: first, budgets: curveBudgets, label: "\(label), \(first)")
        let plot = AccuracyCurve(title: "\(dataName): accuracy under \(first)", norm: threat.norm, series: [series])
        let curveFile = folder.appendingPathComponent("accuracy-vs-epsilon-\(threat.norm.rawValue).svg")
        try AtomicFile.write(Data(plot.svg().utf8), to: curveFile)
        return AttackOutcome(report: report, curve: series, reportFile: reportFile, curveFile: curveFile)
    }
}
