import CBLAS

/// An OpenBLAS release number, `0.3.21`.
public struct OpenBLASVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        (self.major, self.minor, self.patch) = (major, minor, patch)
    }

    /// Reads `0.3.21` (or `0.3.21.dev`); nil where the text is not a version.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".").prefix(3).map { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2, parts.allSatisfy({ $0 != nil }) else { return nil }
        self.init(parts[0]!, parts[1]!, parts.count > 2 ? parts[2]! : 0)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// The OpenBLAS library this process loaded: its release, how it was built and the kernel
/// set ("core") it runs.
public struct OpenBLASBuild: Equatable, Sendable {
    /// `openblas_get_config()`: `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64`.
    public var configuration: String
    /// `openblas_get_corename()`: the core in use.
    public var core: String

    public init(configuration: String, core: String) {
        self.configuration = configuration
        self.core = core
    }

    /// The loaded library, read now.
    public static var loaded: OpenBLASBuild {
        OpenBLASBuild(configuration: String(cString: openblas_get_config()), core: String(cString: openblas_get_corename()))
    }

    /// The release, from the configuration's second word; nil where it does not parse.
    public var version: OpenBLASVersion? {
        let words = configuration.split(separator: " ")
        return words.count > 1 ? OpenBLASVersion(words[1]) : nil
    }

    /// Whether the library carries several cores and picks one when it loads (so that
    /// `OPENBLAS_CORETYPE` can change it). A build for one core ignores the variable.
    public var choosesCoreAtLoad: Bool { configuration.split(separator: " ").contains("DYNAMIC_ARCH") }
}

/// One of OpenBLAS's x86-64 cores as `OPENBLAS_CORETYPE` names it, with the instructions
/// its kernels use.
public struct OpenBLASCore: Hashable, Sendable {
    /// How far up the x86-64 extensions a core's kernels reach. Cores of one level use the
    /// same instructions; a higher level is faster for BLAS on a processor that has it.
    public enum Level: Int, Comparable, Sendable {
        case baseline, sse3, ssse3, sse4, avx, avx2, avx512, avx512BF16, amx

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let name: String
    public let level: Level
    /// The processor features without which its kernels cannot run.
    public let requires: Set<ProcessorFeatures.Feature>
    /// The first release whose DYNAMIC_ARCH builds carry it. A core this table dates too
    /// early is harmless: a library that does not know a forced name keeps its own choice,
    /// and the probe sees that.
    public let since: OpenBLASVersion
    /// The vendors whose processors it is tuned for (empty: any).
    public let tunedFor: Set<String>

    /// The cores Distillery may switch to, best first within a level.
    public static let selectable: [OpenBLASCore] = {
        let avx512: Set<ProcessorFeatures.Feature> = [.avx2, .fma, .avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl]
        return [
            OpenBLASCore(name: "SapphireRapids", level: .amx, requires: avx512.union([.avx512_bf16, .amx_tile, .amx_bf16, .amx_int8]),
                         since: OpenBLASVersion(0, 3, 22), tunedFor: []),
            OpenBLASCore(name: "Cooperlake", level: .avx512BF16, requires: avx512.union([.avx512_bf16]),
                         since: OpenBLASVersion(0, 3, 11), tunedFor: []),
            OpenBLASCore(name: "SkylakeX", level: .avx512, requires: avx512, since: OpenBLASVersion(0, 3, 0), tunedFor: []),
            OpenBLASCore(name: "Zen", level: .avx2, requires: [.avx, .avx2, .fma], since: OpenBLASVersion(0, 2, 20),
                         tunedFor: ["AuthenticAMD", "HygonGenuine"]),
            OpenBLASCore(name: "Haswell", level: .avx2, requires: [.avx, .avx2, .fma], since: OpenBLASVersion(0, 2, 9), tunedFor: []),
            OpenBLASCore(name: "Sandybridge", level: .avx, requires: [.avx], since: OpenBLASVersion(0, 2, 0), tunedFor: []),
            OpenBLASCore(name: "Nehalem", level: .sse4, requires: [.ssse3, .sse4_1, .sse4_2], since: OpenBLASVersion(0, 1, 0), tunedFor: []),
            OpenBLASCore(name: "Core2", level: .ssse3, requires: [.ssse3], since: OpenBLASVersion(0, 1, 0), tunedFor: []),
            OpenBLASCore(name: "Prescott", level: .sse3, requires: [.sse3], since: OpenBLASVersion(0, 1, 0), tunedFor: []),
        ]
    }()

    /// The level of every x86-64 core name OpenBLAS reports, lowercased (OpenBLAS matches
    /// `OPENBLAS_CORETYPE` without regard to case).
    static let levels: [String: Level] = {
        var levels: [String: Level] = [
            "katmai": .baseline, "coppermine": .baseline, "northwood": .baseline, "banias": .baseline,
            "athlon": .baseline, "opteron": .baseline,
            "atom": .sse3, "opteron_sse3": .sse3, "barcelona": .sse3, "nano": .sse3,
            "penryn": .ssse3, "dunnington": .ssse3, "bobcat": .ssse3,
            "bulldozer": .avx, "piledriver": .avx, "steamroller": .avx, "excavator": .avx,
        ]
        for core in selectable { levels[core.name.lowercased()] = core.level }
        return levels
    }()

    /// The level of the core named `name`; nil for a name this table does not know (a
    /// newer core than Distillery knows of, or another architecture's).
    public static func level(ofCoreNamed name: String) -> Level? { levels[name.lowercased()] }

    /// The cores `version` carries that run on `processor`, one per level (the one tuned for
    /// its vendor where there is one), best first; empty where none fits (not x86).
    public static func candidates(for processor: ProcessorFeatures, version: OpenBLASVersion) -> [OpenBLASCore] {
        let fitting = selectable.filter { $0.since <= version && processor.supports($0.requires) }
        var byLevel: [OpenBLASCore] = []
        for core in fitting where !byLevel.contains(where: { $0.level == core.level }) {
            let tied = fitting.filter { $0.level == core.level }
            byLevel.append(tied.first { $0.tunedFor.contains(processor.vendor) } ?? tied.first { $0.tunedFor.isEmpty } ?? core)
        }
        return byLevel
    }

    /// The best core `version` carries for `processor`, or nil where none fits (not x86).
    public static func best(for processor: ProcessorFeatures, version: OpenBLASVersion) -> OpenBLASCore? {
        candidates(for: processor, version: version).first
    }
}
