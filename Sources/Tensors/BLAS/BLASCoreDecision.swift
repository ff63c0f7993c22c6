/// Whether a process should keep the BLAS core OpenBLAS chose when it loaded, or move to a
/// better one for this processor, and why. A pure function of the library, the processor
/// and the environment, so that each case can be tested on any machine.
///
/// OpenBLAS releases name the processors they know. On a newer one (an Intel model past the
/// release's table, say) a DYNAMIC_ARCH build falls back to a generic core such as
/// Prescott and runs at a fraction of the machine's speed. The cure is `OPENBLAS_CORETYPE`,
/// which the library reads only when it loads: hence a re-execution (see `BLASBackend`).
public struct BLASCoreDecision: Equatable, Sendable {
    /// What to do about the core.
    public enum Action: Equatable, Sendable {
        /// Run on the loaded core.
        case keep
        /// Try these cores, best first: the first whose self-test passes in a child
        /// process replaces the loaded one.
        case tryCores([String])
    }

    /// Who chose the core the process runs on.
    public enum Origin: String, Codable, Sendable {
        /// OpenBLAS, when it loaded.
        case library
        /// The user, with `OPENBLAS_CORETYPE`.
        case environment
        /// Distillery, which set `OPENBLAS_CORETYPE` and re-executed the process.
        case distillery
        /// OpenBLAS, after Distillery tried a better core and rejected it.
        case fallback
    }

    /// The variable OpenBLAS reads when it loads.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set, with the core OpenBLAS had chosen, on the process Distillery re-executes. It
    /// marks `OPENBLAS_CORETYPE` as Distillery's and prevents a second re-execution.
    public static let replacedCoreVariable = "DISTILLERY_BLAS_REPLACED_CORE"

    public var action: Action
    public var origin: Origin
    /// One sentence on how the core was chosen.
    public var reason: String
    /// The best core this library has for this processor (nil where none is known).
    public var bestCore: String?

    public init(action: Action, origin: Origin, reason: String, bestCore: String?) {
        self.action = action
        self.origin = origin
        self.reason = reason
        self.bestCore = bestCore
    }

    /// Decides for a process that loaded `build` on `processor` with `environment`.
    public static func decide(build: OpenBLASBuild, processor: ProcessorFeatures, environment: [String: String]) -> BLASCoreDecision {
        let version = build.version
        let best = version.flatMap { OpenBLASCore.best(for: processor, version: $0) }
        func keep(_ origin: Origin, _ reason: String) -> BLASCoreDecision {
            BLASCoreDecision(action: .keep, origin: origin, reason: reason, bestCore: best?.name)
        }
        let forced = environment[coreTypeVariable].flatMap { $0.isEmpty ? nil : $0 }

        if let replaced = environment[replacedCoreVariable] {
            let requested = forced ?? "(none)"
            let runs = requested.lowercased() == build.core.lowercased() ? "" : ", but the library runs \(build.core)"
            return keep(.distillery, "OpenBLAS chose \(replaced); Distillery set \(coreTypeVariable)=\(requested) after its self-test passed\(runs)")
        }
        if let forced {
            return keep(.environment, "\(coreTypeVariable)=\(forced) is set in the environment, and respected")
        }
        guard build.choosesCoreAtLoad else {
            return keep(.library, "this OpenBLAS is built for one core (no DYNAMIC_ARCH), so \(coreTypeVariable) cannot change it")
        }
        guard let version else { return keep(.library, "OpenBLAS's version is not known (\(build.configuration))") }
        guard let loadedLevel = OpenBLASCore.level(ofCoreNamed: build.core) else {
            return keep(.library, "OpenBLAS chose \(build.core), a core Distillery does not rank (newer than it knows, or not x86-64)")
        }
        guard let best, best.level > loadedLevel else {
            return keep(.library, "OpenBLAS chose \(build.core), the best core OpenBLAS \(version) has for this processor")
        }
        // A rejected core is followed by the next level down, not by a sibling of its level.
        let candidates = OpenBLASCore.candidates(for: processor, version: version).filter { $0.level > loadedLevel }.map(\.name)
        return BLASCoreDecision(
            action: .tryCores(candidates), origin: .library,
            reason: "OpenBLAS \(version) chose \(build.core), below what this processor supports (\(best.name))",
            bestCore: best.name)
    }
}
