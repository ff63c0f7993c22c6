import Distillation
import Foundation
import Robustness
import Tensors

/// What a run did and measured, written as `summary.json` and `summary.md`.
public struct RunSummary: Codable, Equatable {
    public var kind: String
    public var config: String
    public var dataset: String
    public var trainingSamples: Int
    /// How the training data was derived (Mirage's distillate), when it was.
    public var dataDerivation: String?
    public var model: String
    public var parameters: Int
    public var teacher: String?
    /// The teacher on the validation data (with a teacher and validation data).
    public var teacherMetrics: EvaluationRecord?
    public var history: [EpochRecord]
    public var weights: String
    /// The epoch whose weights were saved, when early stopping chose it (nil: the last).
    public var keptEpoch: Int?
    /// The saved weights on the test split, when validation was held out.
    public var test: EvaluationRecord?
    /// Clean and robust accuracy under the run's `AttackEvaluation` (the config's
    /// `evaluation:`; by default PGD-20 and PGD-20-CW at a robust method's threat model, on
    /// up to 1,000 validation samples).
    public var robustness: RobustnessReport?
    /// The threat model the attacks were bounded by (`linf ε = 0.1`).
    public var threat: String?
    /// The BLAS library, core and threads the run ran on: speeds compare only beside it
    /// (nil in summaries written before it was recorded).
    public var blas: BLASReport?

    /// The epoch whose weights were saved: the kept one, or the last.
    public var saved: EpochRecord? { keptEpoch.flatMap { kept in mainEpochs.first { $0.epoch == kept } } ?? mainEpochs.last }
    /// The main training's epochs, without its stages' (`EpochRecord.stage`).
    public var mainEpochs: [EpochRecord] { history.filter { $0.stage == nil } }
    /// The saved weights' validation metrics, where they are a classifier's.
    public var final: ClassificationMetrics? { saved?.validation.flatMap(ClassificationMetrics.init) }
    /// The saved weights' test metrics, where they were measured apart and are a classifier's.
    public var testMetrics: ClassificationMetrics? { test.flatMap(ClassificationMetrics.init) }
    /// The epoch with the best validation top-1.
    public var best: EpochRecord? {
        mainEpochs.filter { $0.validation?["top1"] != nil }.max { $0.validation!["top1"]! < $1.validation!["top1"]! }
    }
    /// Wall time per epoch (median over the run's epochs).
    public var secondsPerEpoch: Double {
        let sorted = mainEpochs.map(\.seconds).sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// The stages' epochs, as the summary lists them after the main training's (`; before
    /// them, stage fsp: 3 epochs`), or nothing without stages.
    private var stageEpochs: String {
        var counts: [(stage: String, epochs: Int)] = []
        for record in history {
            guard let stage = record.stage else { continue }
            if counts.last?.stage == stage { counts[counts.count - 1].epochs += 1 } else { counts.append((stage, 1)) }
        }
        guard !counts.isEmpty else { return "" }
        return "; before them, " + counts.map { "stage \($0.stage): \($0.epochs) epoch\($0.epochs == 1 ? "" : "s")" }.joined(separator: ", ")
    }

    /// A short report for people.
    public func markdown() -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "–" }
        var lines = [
            "# \(kind == "distill" ? "Distillation" : "Training") run: \(model)",
            "",
            "- config: `\(config)`",
            "- data: \(dataset), \(trainingSamples) training samples" + (dataDerivation.map { " (\($0))" } ?? ""),
            "- model: \(model), \(parameters) parameters",
        ]
        if let teacher { lines.append("- teacher: \(teacher)") }
        if let blas { lines.append("- BLAS: \(blas.library), core \(blas.core) (\(blas.origin.rawValue)), \(blas.threads) threads") }
        lines += [
            "- epochs: \(mainEpochs.count), \(String(format: "%.2f", secondsPerEpoch)) s per epoch" + stageEpochs,
            "- weights: `\(weights)`",
            "",
        ]
        if let validation = mainEpochs.last?.validation, validation.task != ClassificationMetrics.task {
            // Another task's figures (a denoiser's loss, a regressor's errors), by name.
            let names = validation.values.keys.sorted()
            lines += ["| \(validation.task) | " + names.joined(separator: " | ") + " |", "|---|" + names.map { _ in "---|" }.joined(),
                      "| final (\(validation.count) validation samples) | " + names.map { String(format: "%.4g", validation.values[$0]!) }.joined(separator: " | ") + " |"]
            return lines.joined(separator: "\n") + "\n"
        }
        lines += [
            "| | top-1 | top-5 | ECE | loss | agreement with teacher |",
            "|---|---|---|---|---|---|",
        ]
        func row(_ name: String, _ metrics: ClassificationMetrics?) {
            guard let metrics else { return }
            lines.append("| \(name) | \(percent(metrics.top1)) | \(percent(metrics.top5)) | \(String(format: "%.4f", metrics.expectedCalibrationError)) | \(String(format: "%.4f", metrics.loss)) | \(percent(metrics.teacherAgreement)) |")
        }
        row(keptEpoch.map { "kept: epoch \($0), validation" } ?? "final", final)
        row(test.map { "\(keptEpoch == nil ? "final" : "kept"): test (\($0.count) samples)" } ?? "test", testMetrics)
        if let best, best.epoch != saved?.epoch {
            row("\(keptEpoch == nil ? "best" : "highest top-1"): epoch \(best.epoch), validation", best.validation.flatMap(ClassificationMetrics.init))
        }
        row("teacher", teacherMetrics.flatMap(ClassificationMetrics.init))
        if let robustness, let threat {
            lines += ["", "Robustness (\(threat), \(robustness.count) validation samples):", "", robustness.markdown()]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `summary.json` and `summary.md` into `folder` (atomically).
    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(self), to: folder.appendingPathComponent("summary.json"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("summary.md"))
    }
}
