import Foundation
import Tensors
import XCTest

/// Probing a core in a child process, and the re-execution onto a better core, for real:
/// this test binary plays the executable.
final class BLASBackendTests: XCTestCase {
    private let shell = URL(fileURLWithPath: "/bin/sh")

    /// A child that prints `line` and exits with `status`.
    private func printing(_ line: String, status: Int = 0) -> [String] { ["-c", "echo '\(line)'; exit \(status)"] }

    func testAProbeReadsItsChildsVerdict() {
        XCTAssertEqual(
            BLASBackend.probe(core: "SkylakeX", command: shell, arguments: printing("distillery-blas-probe core=SkylakeX passed=1 error=3.1e-08 case=1×1×1_AB gflops=165.2")),
            .passed(gigaflops: 165.2))
        guard case .rejected(let failed) = BLASBackend.probe(
            core: "SkylakeX", command: shell,
            arguments: printing("distillery-blas-probe core=SkylakeX passed=0 error=3.0e-01 case=17×33×65_AᵀB gflops=0.0", status: 1))
        else { return XCTFail("a failed self-test was accepted") }
        XCTAssertTrue(failed.contains("self-test failed: error 3.0e-01 at 17×33×65 AᵀB"), failed)
    }

    func testACrashAHangOrAnotherCoreRejectsTheCore() {
        let cases: [(arguments: [String], timeout: Double, expected: String)] = [
            (["-c", "kill -SEGV $$"], 30, "crashed (signal 11)"),
            (["-c", "kill -ILL $$"], 30, "crashed (signal 4)"),
            (["-c", "exec sleep 60"], 0.5, "did not finish within 0 s"),
            (printing("some other output", status: 3), 30, "exited with status 3 and no result"),
            (printing("distillery-blas-probe core=Haswell passed=1 error=0 case=x gflops=1"), 30, "does not have it (the probe ran Haswell)"),
        ]
        for test in cases {
            let start = Date()
            let outcome = BLASBackend.probe(core: "SapphireRapids", command: shell, arguments: test.arguments, timeout: test.timeout)
            guard case .rejected(let why) = outcome else { XCTFail("\(test.arguments) was accepted"); continue }
            XCTAssertTrue(why.contains(test.expected), "\(why) for \(test.arguments)")
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the probe returns soon after its timeout")
        }
        guard case .rejected(let why) = BLASBackend.probe(core: "Haswell", command: URL(fileURLWithPath: "/nonexistent/distill")) else {
            return XCTFail("a probe that cannot start was accepted")
        }
        XCTAssertTrue(why.contains("could not start"), why)
    }

    // MARK: The whole round, in child processes of this test binary

    private struct ChildFailure: Error, CustomStringConvertible { let description: String }

    private static let childVariable = "DISTILLERY_BLAS_SELECTION_CHILD"
    private static let reportPrefix = "BLAS-REPORT "

    /// In a child (and its probe and re-execution): select the core, print the report.
    private func runChildIfAsked() -> Bool {
        guard ProcessInfo.processInfo.environment[Self.childVariable] != nil else { return false }
        BLASBackend.selectCore()
        let report = try! JSONEncoder().encode(BLASBackend.report)
        print(Self.reportPrefix + String(decoding: report, as: UTF8.self))
        return true
    }

    /// Runs this test in a child with `environment` changes, and returns its report and the
    /// shim's log of process starts.
    private func runChild(_ changes: [String: String?], shim: URL, log: URL) throws -> (BLASReport, [String], stderr: String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["TensorsTests.BLASBackendTests/testAGenericCoreIsReplacedOnceAfterItsSelfTest"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = "1"
        environment["LD_PRELOAD"] = shim.path
        environment["SHIM_LOG"] = log.path
        for (name, value) in changes { environment[name] = value }
        child.environment = environment
        let output = Pipe(), errors = Pipe()
        child.standardOutput = output
        child.standardError = errors
        try? FileManager.default.removeItem(at: log)
        try child.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix(Self.reportPrefix) }) else {
            throw ChildFailure(description: "the child printed no report (status \(child.terminationStatus)):\n\(text)\n\(errorText)")
        }
        let report = try JSONDecoder().decode(BLASReport.self, from: Data(line.dropFirst(Self.reportPrefix.count).utf8))
        let starts = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        return (report, starts, errorText)
    }

    /// Compiles the shim that makes OpenBLAS load its generic core (Fixtures/generic-core-shim.c).
    private func compileShim(into folder: URL) throws -> URL {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/generic-core-shim.c")
        let library = folder.appendingPathComponent("generic-core-shim.so")
        for compiler in ["cc", "clang", "gcc"] {
            let build = Process()
            build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            build.arguments = [compiler, "-shared", "-fPIC", "-O1", "-o", library.path, source.path, "-ldl"]
            build.standardOutput = FileHandle.nullDevice
            build.standardError = FileHandle.nullDevice
            try build.run()
            build.waitUntilExit()
            if build.terminationStatus == 0 { return library }
        }
        throw XCTSkip("no C compiler (cc, clang, gcc) to build the generic-core shim")
    }

    /// On a library that loaded its generic core, the process probes the best core in a
    /// child, re-executes itself once onto it, and reports it; with the user's own
    /// `OPENBLAS_CORETYPE` nothing is probed and nothing re-executed.
    func testAGenericCoreIsReplacedOnceAfterItsSelfTest() throws {
        if runChildIfAsked() { return }
        #if !(os(Linux) && arch(x86_64))
        throw XCTSkip("the re-execution is for Linux on x86-64")
        #else
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("blas-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let shim = try compileShim(into: folder), log = folder.appendingPathComponent("starts.log")

        let (report, starts, errors) = try runChild(
            [BLASCoreDecision.coreTypeVariable: nil, BLASCoreDecision.replacedCoreVariable: nil], shim: shim, log: log)
        let mains = starts.filter { $0.hasPrefix("main ") }, probes = starts.filter { $0.hasPrefix("probe ") }
        guard let best = report.bestCore, OpenBLASCore.level(ofCoreNamed: best)! > .sse3 else {
            throw XCTSkip("this processor has no core above Prescott to move to")
        }
        switch report.origin {
        case .distillery:
            // One probe, one re-execution (the same process image replaced: same PID).
            XCTAssertEqual(report.core.lowercased(), best.lowercased())
            XCTAssertEqual(probes.count, 1, "\(starts)")
            XCTAssertEqual(mains.count, 2, "\(starts)")
            XCTAssertEqual(Set(mains).count, 1, "the re-execution keeps the process: \(starts)")
            XCTAssertTrue(report.reason.contains("OpenBLAS chose Prescott"), report.reason)
            XCTAssertNil(report.advice)
        case .fallback:
            // The candidates failed their self-test here: no re-execution, and it is said.
            XCTAssertEqual(report.core, "Prescott")
            XCTAssertEqual(mains.count, 1, "\(starts)")
            XCTAssertGreaterThanOrEqual(probes.count, 1, "\(starts)")
            XCTAssertTrue(errors.contains("BLAS: OpenBLAS chose Prescott; Distillery tried"), errors)
        default:
            XCTFail("unexpected origin \(report.origin): \(report.reason)")
        }

        let (kept, keptStarts, _) = try runChild([BLASCoreDecision.coreTypeVariable: "Prescott"], shim: shim, log: log)
        XCTAssertEqual(kept.origin, .environment)
        XCTAssertEqual(kept.core, "Prescott")
        XCTAssertEqual(keptStarts.count, 1, "a user's OPENBLAS_CORETYPE: no probe, no re-execution: \(keptStarts)")
        XCTAssertEqual(kept.advice?.contains("set OPENBLAS_CORETYPE=\(best)"), true, kept.advice ?? "no advice")
        #endif
    }
}
