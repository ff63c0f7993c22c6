import ArgumentParser
import Foundation
import Language

/// `distill study <study>`: a study that trains many models to measure one claim, printed as
/// a Markdown table.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a study that trains many models to test one claim: rationale (QCRD against rationale and answer-only distillation on multi-step arithmetic, about 10 minutes for 3 seeds).")

    @Argument(help: "The study: rationale.")
    var study: String

    @Option(help: "Student seeds, comma-separated (each trains one student per method).")
    var seeds = "0,1,2"

    func run() throws {
        let seedList = try seeds.split(separator: ",", omittingEmptySubsequences: false).map { text -> UInt64 in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw CommandFailure("--seeds must be non-negative integers separated by commas, not '\(seeds)'")
            }
            return seed
        }
        switch study {
        case "rationale":
            let settings = RationaleDistillationStudy.Settings()
            let report = try RationaleDistillationStudy.run(settings, seeds: seedList) { print("training \($0)…") }
            print("\n" + RationaleDistillationStudy.table(report, settings: settings))
        default:
            throw CommandFailure("unknown study '\(study)' (valid: rationale)")
        }
    }
}
