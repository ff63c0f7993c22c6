import Tensors
import XCTest

/// The core decision, case by case: generic, known and unknown cores, versions, a user's
/// override, builds that cannot switch, and the guard against a second re-execution.
final class BLASCoreDecisionTests: XCTestCase {
    private static let avx512: Set<ProcessorFeatures.Feature> = [
        .sse3, .ssse3, .sse4_1, .sse4_2, .avx, .fma, .avx2, .avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl,
    ]
    /// The issue's machine: an Intel Xeon of family 6, model 207 (Emerald Rapids).
    private let emeraldRapids = ProcessorFeatures(
        vendor: "GenuineIntel", family: 6, model: 207, features: avx512.union([.avx512_bf16, .amx_tile, .amx_bf16, .amx_int8]))
    private let zen5 = ProcessorFeatures(vendor: "AuthenticAMD", family: 26, model: 2, features: avx512.union([.avx512_bf16]))
    private let zen3 = ProcessorFeatures(vendor: "AuthenticAMD", family: 25, model: 1, features: [.sse3, .ssse3, .sse4_1, .sse4_2, .avx, .fma, .avx2])
    private let alderLake = ProcessorFeatures(vendor: "GenuineIntel", family: 6, model: 151, features: [.sse3, .ssse3, .sse4_1, .sse4_2, .avx, .fma, .avx2])
    /// AVX-512 silicon under an operating system that does not save its registers: the
    /// feature reader leaves the AVX-512 flags out, as OpenBLAS does.
    private let avx512Disabled = ProcessorFeatures(vendor: "GenuineIntel", family: 6, model: 85, features: [.sse3, .ssse3, .sse4_1, .sse4_2, .avx, .fma, .avx2])
    private let arm = ProcessorFeatures(vendor: "", family: 0, model: 0, features: [])

    private func build(_ version: String, core: String, dynamic: Bool = true) -> OpenBLASBuild {
        OpenBLASBuild(configuration: "OpenBLAS \(version) NO_LAPACKE\(dynamic ? " DYNAMIC_ARCH" : "") NO_AFFINITY \(core) MAX_THREADS=64", core: core)
    }

    func testEachCase() {
        struct Case {
            let name: String, build: OpenBLASBuild, processor: ProcessorFeatures, environment: [String: String]
            let action: BLASCoreDecision.Action, origin: BLASCoreDecision.Origin, best: String?
        }
        let cases = [
            Case(name: "generic Prescott on Emerald Rapids, 0.3.21", build: build("0.3.21", core: "Prescott"), processor: emeraldRapids, environment: [:],
                 action: .tryCores(["Cooperlake", "SkylakeX", "Haswell", "Sandybridge", "Nehalem", "Core2"]), origin: .library, best: "Cooperlake"),
            Case(name: "the same with a release that has Sapphire Rapids kernels", build: build("0.3.26", core: "Prescott"), processor: emeraldRapids, environment: [:],
                 action: .tryCores(["SapphireRapids", "Cooperlake", "SkylakeX", "Haswell", "Sandybridge", "Nehalem", "Core2"]), origin: .library, best: "SapphireRapids"),
            Case(name: "a release before Cooper Lake kernels", build: build("0.3.10", core: "Prescott"), processor: emeraldRapids, environment: [:],
                 action: .tryCores(["SkylakeX", "Haswell", "Sandybridge", "Nehalem", "Core2"]), origin: .library, best: "SkylakeX"),
            Case(name: "Haswell kernels on AVX-512 silicon (an AVX2 core of the family's table)", build: build("0.3.21", core: "Haswell"), processor: zen5, environment: [:],
                 action: .tryCores(["Cooperlake", "SkylakeX"]), origin: .library, best: "Cooperlake"),
            Case(name: "Zen kernels on a Zen 5 (case of the name ignored)", build: build("0.3.21", core: "ZEN"), processor: zen5, environment: [:],
                 action: .tryCores(["Cooperlake", "SkylakeX"]), origin: .library, best: "Cooperlake"),
            Case(name: "an AMD AVX2 part on a generic core gets the Zen kernels", build: build("0.3.21", core: "Prescott"), processor: zen3, environment: [:],
                 action: .tryCores(["Zen", "Sandybridge", "Nehalem", "Core2"]), origin: .library, best: "Zen"),
            Case(name: "an Intel AVX2 part on a generic core gets the Haswell kernels", build: build("0.3.21", core: "Core2"), processor: alderLake, environment: [:],
                 action: .tryCores(["Haswell", "Sandybridge", "Nehalem"]), origin: .library, best: "Haswell"),
            Case(name: "OpenBLAS's own best core", build: build("0.3.21", core: "Cooperlake"), processor: zen5, environment: [:],
                 action: .keep, origin: .library, best: "Cooperlake"),
            Case(name: "Zen and Haswell are one level", build: build("0.3.21", core: "Haswell"), processor: zen3, environment: [:],
                 action: .keep, origin: .library, best: "Zen"),
            Case(name: "AVX-512 the operating system does not enable", build: build("0.3.21", core: "Haswell"), processor: avx512Disabled, environment: [:],
                 action: .keep, origin: .library, best: "Haswell"),
            Case(name: "a user's OPENBLAS_CORETYPE", build: build("0.3.21", core: "Haswell"), processor: zen5, environment: ["OPENBLAS_CORETYPE": "Haswell"],
                 action: .keep, origin: .environment, best: "Cooperlake"),
            Case(name: "a user's OPENBLAS_CORETYPE even on a generic core", build: build("0.3.21", core: "Prescott"), processor: emeraldRapids, environment: ["OPENBLAS_CORETYPE": "Prescott"],
                 action: .keep, origin: .environment, best: "Cooperlake"),
            Case(name: "an empty OPENBLAS_CORETYPE chooses nothing", build: build("0.3.21", core: "Prescott"), processor: emeraldRapids, environment: ["OPENBLAS_CORETYPE": ""],
                 action: .tryCores(["Cooperlake", "SkylakeX", "Haswell", "Sandybridge", "Nehalem", "Core2"]), origin: .library, best: "Cooperlake"),
            Case(name: "an unknown future core", build: build("0.4.2", core: "GraniteRapids"), processor: emeraldRapids, environment: [:],
                 action: .keep, origin: .library, best: "SapphireRapids"),
            Case(name: "a build for one core", build: build("0.3.21", core: "Prescott", dynamic: false), processor: emeraldRapids, environment: [:],
                 action: .keep, origin: .library, best: "Cooperlake"),
            Case(name: "another architecture", build: build("0.3.21", core: "NEOVERSEN1"), processor: arm, environment: [:],
                 action: .keep, origin: .library, best: nil),
            Case(name: "a process Distillery re-executed", build: build("0.3.21", core: "Cooperlake"), processor: emeraldRapids,
                 environment: ["OPENBLAS_CORETYPE": "Cooperlake", "DISTILLERY_BLAS_REPLACED_CORE": "Prescott"],
                 action: .keep, origin: .distillery, best: "Cooperlake"),
        ]
        for test in cases {
            let decision = BLASCoreDecision.decide(build: test.build, processor: test.processor, environment: test.environment)
            XCTAssertEqual(decision.action, test.action, test.name)
            XCTAssertEqual(decision.origin, test.origin, test.name)
            XCTAssertEqual(decision.bestCore, test.best, test.name)
            XCTAssertFalse(decision.reason.isEmpty, test.name)
        }
    }

    /// Whatever the library does with the core it is given, the second process never asks
    /// for a third: the guard variable ends the round.
    func testReexecutionHappensAtMostOnce() {
        for coreAfterReexecution in ["Cooperlake", "Prescott"] {  // the library honours the request, or ignores it
            var environment: [String: String] = [:]
            var core = "Prescott", reexecutions = 0
            while true {
                let decision = BLASCoreDecision.decide(build: build("0.3.21", core: core), processor: emeraldRapids, environment: environment)
                guard case .tryCores(let cores) = decision.action else {
                    XCTAssertEqual(decision.origin, .distillery)
                    break
                }
                XCTAssertLessThan(reexecutions, 1, "a second re-execution")
                if reexecutions >= 1 { break }
                // What `BLASBackend.selectCore()` sets before it re-executes.
                environment[BLASCoreDecision.coreTypeVariable] = cores[0]
                environment[BLASCoreDecision.replacedCoreVariable] = core
                core = coreAfterReexecution
                reexecutions += 1
            }
            XCTAssertEqual(reexecutions, 1)
            let final = BLASCoreDecision.decide(build: build("0.3.21", core: core), processor: emeraldRapids, environment: environment)
            XCTAssertEqual(final.reason.contains("but the library runs Prescott"), coreAfterReexecution == "Prescott", final.reason)
        }
    }

    func testVersionsAndBuildsParse() {
        XCTAssertEqual(OpenBLASVersion("0.3.21"), OpenBLASVersion(0, 3, 21))
        XCTAssertEqual(OpenBLASVersion("0.3.28.dev"), OpenBLASVersion(0, 3, 28))
        XCTAssertEqual(OpenBLASVersion("0.4"), OpenBLASVersion(0, 4, 0))
        XCTAssertNil(OpenBLASVersion("Haswell"))
        XCTAssertLessThan(OpenBLASVersion(0, 3, 9), OpenBLASVersion(0, 3, 10))
        XCTAssertEqual(build("0.3.21", core: "Haswell").version, OpenBLASVersion(0, 3, 21))
        XCTAssertTrue(build("0.3.21", core: "Haswell").choosesCoreAtLoad)
        XCTAssertFalse(build("0.3.21", core: "Haswell", dynamic: false).choosesCoreAtLoad)
    }

    /// The loaded library and this processor read back consistently.
    func testThisMachineReadsConsistently() {
        let loaded = OpenBLASBuild.loaded
        XCTAssertTrue(loaded.configuration.hasPrefix("OpenBLAS "), loaded.configuration)
        XCTAssertNotNil(loaded.version, loaded.configuration)
        XCTAssertFalse(loaded.core.isEmpty)
        let report = BLASBackend.report
        XCTAssertEqual(report.core, loaded.core)
        XCTAssertEqual(report.threads, Parallelism.threadCount)
        #if arch(x86_64)
        let processor = ProcessorFeatures.current
        XCTAssertFalse(processor.vendor.isEmpty)
        XCTAssertTrue(processor.supports([.sse3]), "every x86-64 processor OpenBLAS runs on has SSE3: \(processor)")
        // The flags the kernel reports agree with CPUID (Linux names them alike; SSE3 is `pni`).
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
            let flags = Set(flagsLine.split(separator: " ").map(String.init))
            for feature in ProcessorFeatures.Feature.allCases where feature != .sse3 {
                XCTAssertEqual(processor.features.contains(feature), flags.contains(feature.rawValue), "\(feature.rawValue)")
            }
        }
        #endif
    }
}
