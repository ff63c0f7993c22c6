import Configuration
import Tensors

/// What a loss term needs of a run, checked before it is built.
public enum LossTermNeed: Hashable, Sendable {
    /// A teacher's logits or features.
    case teacher
    /// Labels (at least on some samples).
    case labels
    /// A label on every sample (no unlabeled part).
    case everySampleLabeled
}

/// A loss term a config can name: its config name, its keys, what it needs, and how it builds
/// itself from its entry, with its own validation. The type sits in its family's file; its
/// target lists it (`DistillationRegistry.lossTerms`), and the config reader joins the lists.
///
/// ```swift
/// extension KnowledgeDistillationLoss: ConfigurableLossTerm {
///     public static let configName = "kd"
///     public static let configKeys = "temperature"
///     public static func build(from entry: any ConfigEntry, context: LossContext,
///                              using generator: inout RandomGenerator) throws -> Self {
///         Self(temperature: try entry.positiveValue("temperature", default: 4))
///     }
/// }
/// ```
public protocol ConfigurableLossTerm: LossTerm {
    /// The name in configs and metrics (`kd`).
    static var configName: String { get }
    /// The keys it reads besides `name` and `weight`, as listed in errors and the README.
    static var configKeys: String { get }
    /// What it needs of the run (a teacher by default).
    static var needs: Set<LossTermNeed> { get }
    /// The term from its config entry, each key validated; the caller finishes the entry.
    static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self
}

extension ConfigurableLossTerm {
    public static var needs: Set<LossTermNeed> { [.teacher] }
}
