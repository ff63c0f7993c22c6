import ArgumentParser
import Experiments
import Foundation
import Generative
import Language

/// `distill study <study> [CONFIG]`: a study that trains many models to measure one claim,
/// printed as a Markdown table.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a study that trains many models to test one claim: rationale (QCRD against rationale and answer-only distillation on multi-step arithmetic, about 10 minutes for 3 seeds), bias-cascade (a phrase injected into 0.5% of a teacher's data, and how much of it each distillation objective passes on, with a perplexity-filtering defence; about 8 minutes at the defaults) or disback (DisBack against DMD2 from an untrained generator on the 8 Gaussians: the SWD after each epoch, about 1 minute a seed).")

    @Argument(help: "The study: rationale, bias-cascade or disback.")
    var study: String

    @Argument(help: "A YAML config of the bias-cascade study's sizes (every key optional; see examples/studies/bias-cascade.yaml).")
    var config: String?

    @Option(help: "The rationale and disback studies' seeds, comma-separated (each trains one student per method; default 0,1,2 and 71,72).")
    var seeds: String?

    @Option(help: "Where the disback study writes its SVG chart of SWD against generator steps.")
    var chart: String?

    func run() throws {
        switch study {
        case "rationale":
            if let config { throw CommandFailure("the rationale study takes no config, found '\(config)' (its only choice is --seeds)") }
            if chart != nil { throw CommandFailure("--chart is for the disback study") }
            let settings = RationaleDistillationStudy.Settings()
            let report = try RationaleDistillationStudy.run(settings, seeds: try seedList(default: [0, 1, 2])) { print("training \($0)…") }
            print("\n" + RationaleDistillationStudy.table(report, settings: settings))
        case "bias-cascade":
            if seeds != nil { throw CommandFailure("--seeds is for the rationale and disback studies; the bias-cascade study reads its seed from the config") }
            if chart != nil { throw CommandFailure("--chart is for the disback study") }
            let settings = try config.map { path in
                let node = try ConfigNode.load(contentsOf: URL(fileURLWithPath: path))
                return try BiasCascade.Settings(config: node)
            } ?? BiasCascade.Settings()
            print("injection: \(settings.injection.summary)")
            let rows = try BiasCascade.run(settings) { print("training \($0)…") }
            print("\n" + BiasCascade.table(rows))
        case "disback":
            if let config { throw CommandFailure("the disback study takes no config, found '\(config)' (its choices are --seeds and --chart)") }
            var settings = BacktrackingStudy.Settings()
            settings.seeds = try seedList(default: settings.seeds)
            // Refuse an unwritable chart before minutes of training.
            let chartURL = try chart.map { try writableFile($0, option: "chart") }
            let results = try BacktrackingStudy.run(settings) { print("training \($0)…") }
            print("\n" + BacktrackingStudy.table(results))
            if let chartURL {
                try Data(BacktrackingStudy.chart(results).svg().utf8).write(to: chartURL, options: .atomic)
                print("wrote \(chartURL.path)")
            }
        default:
            throw CommandFailure("unknown study '\(study)' (valid: rationale, bias-cascade, disback)")
        }
    }

    private func seedList(default defaultSeeds: [UInt64]) throws -> [UInt64] {
        guard let seeds else { return defaultSeeds }
        return try seeds.split(separator: ",", omittingEmptySubsequences: false).map { text in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw CommandFailure("--seeds must be non-negative integers separated by commas, not '\(seeds)'")
            }
            return seed
        }
    }
}
