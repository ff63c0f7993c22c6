import ArgumentParser
import Experiments
import Foundation
import Language

/// `distill study <study> [CONFIG]`: a study that trains many models to measure one claim,
/// printed as a Markdown table.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a study that trains many models to test one claim: rationale (QCRD against rationale and answer-only distillation on multi-step arithmetic, about 10 minutes for 3 seeds) or bias-cascade (a phrase injected into 0.5% of a teacher's data, and how much of it each distillation objective passes on, with a perplexity-filtering defence; about 8 minutes at the defaults).")

    @Argument(help: "The study: rationale or bias-cascade.")
    var study: String

    @Argument(help: "A YAML config of the bias-cascade study's sizes (every key optional; see examples/studies/bias-cascade.yaml).")
    var config: String?

    @Option(help: "The rationale study's student seeds, comma-separated (each trains one student per method; default 0,1,2).")
    var seeds: String?

    func run() throws {
        switch study {
        case "rationale":
            if let config { throw CommandFailure("the rationale study takes no config, found '\(config)' (its only choice is --seeds)") }
            let settings = RationaleDistillationStudy.Settings()
            let report = try RationaleDistillationStudy.run(settings, seeds: try seedList()) { print("training \($0)…") }
            print("\n" + RationaleDistillationStudy.table(report, settings: settings))
        case "bias-cascade":
            if seeds != nil { throw CommandFailure("--seeds is for the rationale study; the bias-cascade study reads its seed from the config") }
            let settings = try config.map { path in
                let node = try ConfigNode.load(contentsOf: URL(fileURLWithPath: path))
                return try BiasCascade.Settings(config: node)
            } ?? BiasCascade.Settings()
            print("injection: \(settings.injection.summary)")
            let rows = try BiasCascade.run(settings) { print("training \($0)…") }
            print("\n" + BiasCascade.table(rows))
        default:
            throw CommandFailure("unknown study '\(study)' (valid: rationale, bias-cascade)")
        }
    }

    private func seedList() throws -> [UInt64] {
        guard let seeds else { return [0, 1, 2] }
        return try seeds.split(separator: ",", omittingEmptySubsequences: false).map { text in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw CommandFailure("--seeds must be non-negative integers separated by commas, not '\(seeds)'")
            }
            return seed
        }
    }
}
