import Configuration
import Distillation
import Foundation
import Graphs
import Robustness
import Tensors

/// The loss terms a configuration can name: the targets' registries joined, and any term a
/// program registers itself. Each entry of `losses:` is a mapping with `name`, `weight`
/// (default 1) and the term's own keys; the total is the weighted sum.
///
/// ```yaml
/// losses:
///   - {name: kd, weight: 0.9, temperature: 4}
///   - {name: ce, weight: 0.1}
///   - {name: fitnets, weight: 100, student: layer2, teacher: layer3}
/// ```
public enum LossCatalog {
    /// Terms registered at run time (a program's own), after the targets' own.
    private static let added = RegisteredEntries<any ConfigurableLossTerm.Type>()

    /// Every term a config can name, in the order errors list them.
    public static var registered: [any ConfigurableLossTerm.Type] {
        DistillationRegistry.lossTerms + RobustnessRegistry.lossTerms + GraphRegistry.lossTerms + added.all
    }

    /// Makes `type` available to configs by its `configName`; a name taken already is refused.
    public static func register(_ type: any ConfigurableLossTerm.Type) throws {
        let name = type.configName
        if let holder = registered.first(where: { $0.configName == name }) {
            throw RegistrationError(kind: "loss", name: name, holder: "\(holder)", newcomer: "\(type)")
        }
        added.append(type)
    }

    /// Every term name with its keys, as listed in errors and in the README.
    public static var terms: [(name: String, keys: String)] { registered.map { ($0.configName, $0.configKeys) } }

    public static var names: [String] { registered.map { $0.configName } }

    /// Builds the weighted sum from the `losses` list.
    public static func build(_ list: some ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> WeightedLoss {
        let entries = try list.elements()
        guard !entries.isEmpty else { throw list.error("expected at least one loss term") }
        let loss = WeightedLoss(try entries.map { entry in
            let term = try buildTerm(entry, context: context, using: &generator)
            let weight: Float = try entry.value("weight", default: 1, in: 0...1e6)
            try entry.finish()
            return (weight, term)
        })
        guard !loss.terms.isEmpty else {
            let staged = loss.stages.map { "'\($0.stage.name)'" }.joined(separator: ", ")
            throw list.error("\(staged) train\(loss.stages.count == 1 ? "s" : "") only in an initialisation stage; add a term for the main training after it, such as {name: ce}")
        }
        return loss
    }

    private static func buildTerm(_ entry: some ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> any LossTerm {
        let types = registered
        let name = try entry.choice("name", from: types.map { $0.configName }, what: "loss")
        let type = types.first { $0.configName == name }!
        if type.needs.contains(.teacher) && !context.hasTeacher {
            let free = types.filter { !$0.needs.contains(.teacher) }.map { "'\($0.configName)'" }
            throw entry.error("loss '\(name)' needs a teacher, and this run has none (only \(free.joined(separator: " and ")) train\(free.count == 1 ? "s" : "") without one)")
        }
        if type.needs.contains(.labels) && !context.hasLabels {
            throw entry.error("loss '\(name)' needs labels, and data.labels is false")
        }
        if type.needs.contains(.everySampleLabeled) && context.hasUnlabeledSamples {
            throw entry.error("loss '\(name)' needs every sample's label; drop data.labeled_fraction and data.labels")
        }
        return try type.build(from: entry, context: context, using: &generator)
    }
}

/// A name registered twice.
public struct RegistrationError: Error, CustomStringConvertible {
    public let kind: String, name: String, holder: String, newcomer: String
    public var description: String { "cannot register \(newcomer) as \(kind) '\(name)': \(holder) has that name" }
}
