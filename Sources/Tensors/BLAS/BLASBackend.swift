import CBLAS
import Foundation

/// The BLAS library under the engine: what it runs and why (`report`), and, for
/// executables, the move to a better core than OpenBLAS chose (`selectCore()`).
public enum BLASBackend {
    /// Set on a child process to make it run the BLAS self-test and exit (see `probe`).
    public static let probeVariable = "DISTILLERY_BLAS_PROBE"
    /// The first word of the line a probe prints.
    static let probeLinePrefix = "distillery-blas-probe"

    nonisolated(unsafe) private static var selection: BLASCoreDecision?

    /// Moves the process onto the best BLAS core for this processor where OpenBLAS chose a
    /// lesser one: for an executable's first line, before anything else runs.
    ///
    /// OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so a better core needs a new
    /// process image. Where `BLASCoreDecision` finds one, each candidate (best first) runs
    /// `BLASSelfTest` in a child process with `OPENBLAS_CORETYPE` set; the first that passes
    /// is set in this process's environment, with `DISTILLERY_BLAS_REPLACED_CORE` as the
    /// guard against a second round, and the process re-executes itself with the same
    /// arguments. A candidate that fails, crashes or hangs is rejected; with none left, the
    /// process goes on with OpenBLAS's own choice and says why on standard error. A user's
    /// own `OPENBLAS_CORETYPE` is always kept.
    ///
    /// In a process started as a probe (`DISTILLERY_BLAS_PROBE` set) it runs the self-test,
    /// prints one line and exits.
    public static func selectCore() {
        let environment = ProcessInfo.processInfo.environment
        if environment[probeVariable] != nil { runProbeAndExit() }
        let build = OpenBLASBuild.loaded
        let decision = BLASCoreDecision.decide(build: build, processor: .current, environment: environment)
        guard case .tryCores(let cores) = decision.action else {
            selection = decision
            return
        }
        var rejections: [String] = []
        for core in cores.prefix(3) {
            switch probe(core: core) {
            case .passed:
                let failure = reexecute(withCore: core, replacing: build.core)
                rejections.append("\(core) (re-executing failed: \(failure))")
            case .rejected(let why):
                rejections.append("\(core) (\(why))")
            }
        }
        let reason = "OpenBLAS chose \(build.core); Distillery tried \(rejections.joined(separator: ", ")) and kept \(build.core)"
        selection = BLASCoreDecision(action: .keep, origin: .fallback, reason: reason, bestCore: decision.bestCore)
        let program = URL(fileURLWithPath: CommandLine.arguments.first ?? "distillery").lastPathComponent
        FileHandle.standardError.write(Data("\(program): BLAS: \(reason)\n".utf8))
    }

    /// Replaces the process image with this executable, same arguments, on `core`. Returns
    /// only on failure, with the reason (the environment is left as it was).
    private static func reexecute(withCore core: String, replacing loaded: String) -> String {
        #if os(Linux)
        setenv(BLASCoreDecision.coreTypeVariable, core, 1)
        setenv(BLASCoreDecision.replacedCoreVariable, loaded, 1)
        fflush(stdout)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let failure = String(cString: strerror(errno))
        unsetenv(BLASCoreDecision.coreTypeVariable)
        unsetenv(BLASCoreDecision.replacedCoreVariable)
        return failure
        #else
        return "re-execution is implemented for Linux only"
        #endif
    }

    // MARK: Probing a core in a child process

    /// How a core fared in a child process.
    public enum ProbeOutcome: Equatable, Sendable {
        /// The self-test passed on the core; `gigaflops` is its `sgemm` speed at 512.
        case passed(gigaflops: Double)
        /// The core was not used, and why (self-test failed, crash, hang, unknown core).
        case rejected(String)
    }

    /// This executable (the program a probe or a re-execution runs).
    public static var currentExecutable: URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path)
    }

    /// Runs `command` (default: this executable with this process's arguments; it must call
    /// `selectCore()` before it reads them) as a child with `OPENBLAS_CORETYPE=core` and
    /// `DISTILLERY_BLAS_PROBE=1`, and reads the line its self-test prints. A child that
    /// fails, crashes, runs another core or outlives `timeout` seconds rejects the core.
    public static func probe(core: String, command: URL = currentExecutable, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                             timeout: Double = 30) -> ProbeOutcome {
        let child = Process()
        child.executableURL = command
        child.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[BLASCoreDecision.coreTypeVariable] = core
        environment[probeVariable] = "1"
        environment[BLASCoreDecision.replacedCoreVariable] = nil
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in finished.signal() }
        do { try child.run() } catch { return .rejected("its probe could not start: \(error.localizedDescription)") }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(child.processIdentifier, SIGKILL)
            finished.wait()
            return .rejected("its self-test did not finish within \(Int(timeout)) s")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if child.terminationReason == .uncaughtSignal {
            return .rejected("its self-test crashed (signal \(child.terminationStatus))")
        }
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix(probeLinePrefix + " ") }) else {
            return .rejected("its self-test exited with status \(child.terminationStatus) and no result")
        }
        var fields: [String: String] = [:]
        for field in line.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        let ran = fields["core"] ?? "?"
        guard ran.lowercased() == core.lowercased() else {
            return .rejected("this OpenBLAS does not have it (the probe ran \(ran))")
        }
        guard fields["passed"] == "1", child.terminationStatus == 0 else {
            let worst = (fields["case"] ?? "?").replacingOccurrences(of: "_", with: " ")
            return .rejected("its self-test failed: error \(fields["error"] ?? "?") at \(worst)")
        }
        return .passed(gigaflops: Double(fields["gflops"] ?? "") ?? 0)
    }

    /// The probe's side: self-test, speed, one line, exit.
    private static func runProbeAndExit() -> Never {
        let result = BLASSelfTest.run()
        let gigaflops = result.passed ? measureProductSpeed() : 0
        let worstCase = result.worstCase.replacingOccurrences(of: " ", with: "_")
        print("\(probeLinePrefix) core=\(OpenBLASBuild.loaded.core) passed=\(result.passed ? 1 : 0) "
              + "error=\(String(format: "%.2e", result.worstError)) case=\(worstCase) gflops=\(String(format: "%.1f", gigaflops))")
        fflush(stdout)
        exit(result.passed ? 0 : 1)
    }

    /// `sgemm` GFLOP/s at 512×512×512, best of a few runs.
    private static func measureProductSpeed() -> Double {
        let n = 512
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<8 {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLASSelfTest.openBLAS(false, false, n, n, n, a.baseAddress!, b.baseAddress!, 0, c.baseAddress!)
                    }
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    // MARK: What runs

    /// The facts about the BLAS under the engine, now: library, core, how it was chosen,
    /// threads and the processor's features. Library users, who get no re-execution, find
    /// in `advice` the `OPENBLAS_CORETYPE` to set where a better core exists.
    public static var report: BLASReport {
        let build = OpenBLASBuild.loaded
        let processor = ProcessorFeatures.current
        let decision = selection ?? BLASCoreDecision.decide(build: build, processor: processor, environment: ProcessInfo.processInfo.environment)
        return BLASReport(build: build, decision: decision, processor: processor, threads: Parallelism.threadCount)
    }
}

/// What BLAS a process runs, as `distill doctor` prints it and `summary.json` records it.
public struct BLASReport: Codable, Equatable, Sendable {
    /// `OpenBLAS 0.3.21`.
    public var library: String
    /// OpenBLAS's build configuration (`DYNAMIC_ARCH`, thread limit, …).
    public var configuration: String
    /// The core in use (`Haswell`, `SkylakeX`, …).
    public var core: String
    /// Who chose it: the library, the environment, Distillery, or the library after Distillery's try failed.
    public var origin: BLASCoreDecision.Origin
    /// How it was chosen, in one sentence.
    public var reason: String
    /// The best core this OpenBLAS has for this processor.
    public var bestCore: String?
    /// What to set for a faster core, where there is one; nil where the best runs.
    public var advice: String?
    /// The threads of the engine and of BLAS.
    public var threads: Int
    /// The processor, `AMD EPYC (AuthenticAMD family 26 model 2)`.
    public var processor: String
    /// Its vector extensions usable here.
    public var features: [String]

    public init(build: OpenBLASBuild, decision: BLASCoreDecision, processor: ProcessorFeatures, threads: Int) {
        library = build.version.map { "OpenBLAS \($0)" } ?? "OpenBLAS"
        configuration = build.configuration
        core = build.core
        origin = decision.origin
        reason = decision.reason
        bestCore = decision.bestCore
        self.threads = threads
        self.processor = processor.identity
        features = processor.features.sorted().map(\.rawValue)
        if let best = decision.bestCore, best.lowercased() != build.core.lowercased(), decision.origin != .distillery {
            advice = decision.origin == .fallback
                ? "\(best) was rejected on this machine: keep OpenBLAS's choice"
                : "this processor supports \(best): set \(BLASCoreDecision.coreTypeVariable)=\(best) before the process starts "
                    + "(`distill doctor --probe` tests it here first)"
        }
    }
}
