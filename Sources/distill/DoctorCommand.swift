import ArgumentParser
import Foundation
import Tensors

/// `distill doctor`: what BLAS runs under the engine, how its core was chosen, and what
/// would make it faster on this machine.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the BLAS library, its core and how it was chosen, the thread count and the processor's features.")

    @Flag(help: "Also run the BLAS self-test and an sgemm speed test in child processes, on the core in use and on the best core for this processor.")
    var probe = false

    func run() {
        let report = BLASBackend.report
        print("| | |")
        print("|---|---|")
        let rows: [(String, String)] = [
            ("BLAS library", "\(report.library) (`\(report.configuration)`)"),
            ("core in use", report.core),
            ("chosen by", "\(report.origin.rawValue): \(report.reason)"),
            ("best core here", report.bestCore ?? "none known"),
            ("threads", "\(report.threads)"),
            ("processor", report.processor),
            ("features", report.features.isEmpty ? "none found" : report.features.joined(separator: " ")),
        ]
        for (name, value) in rows { print("| \(name) | \(value) |") }
        if let advice = report.advice { print("\nAdvice: \(advice).") }
        guard probe else { return }

        var cores = [report.core]
        if let best = report.bestCore, best.lowercased() != report.core.lowercased() { cores.append(best) }
        print("\n| core | self-test and sgemm 512 (child process) |")
        print("|---|---|")
        for core in cores {
            switch BLASBackend.probe(core: core) {
            case .passed(let gigaflops): print("| \(core) | passed, \(String(format: "%.0f", gigaflops)) GFLOP/s |")
            case .rejected(let why): print("| \(core) | rejected: \(why) |")
            }
        }
    }
}
