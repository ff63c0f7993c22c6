import ArgumentParser
import Experiments
import Foundation

/// The options every config-driven command takes.
struct ConfigOptions: ParsableArguments {
    @Argument(help: "The YAML config of the run.")
    var config: String

    @Option(help: "Folder for the run's outputs (default: the config's `output`, else runs/<config name>).")
    var output: String?

    @Option(help: "Folder holding one sub-folder per data set (overrides the config's data.data_dir).")
    var dataDir: String?

    func experiment(_ kind: Experiment.Kind?, usesTeacherCache: Bool = true) throws -> Experiment {
        try Experiment(
            configFile: URL(fileURLWithPath: config), kind: kind, outputDirectory: output.map { URL(fileURLWithPath: $0) },
            dataDirectory: dataDir, usesTeacherCache: usesTeacherCache)
    }
}

/// Runs a validated experiment and prints where its summary went.
private func trainRun(_ experiment: Experiment, fresh: Bool) throws {
    print("\(experiment.kind == .distill ? "distilling" : "training") \(experiment.modelName) (\(experiment.model.parameterCount) parameters)"
          + (experiment.teacherName.map { " from \($0)" } ?? "") + " on \(experiment.data.name), \(experiment.data.training.count) samples")
    let summary = try experiment.run(fresh: fresh, printsProgress: true)
    print(summary.markdown())
    print("outputs in \(experiment.outputDirectory.path)")
}

/// The options of the commands that train: the config's, and whether to start over.
struct TrainingRunOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Flag(help: "Start over instead of resuming from the output folder's checkpoint.")
    var fresh = false

    /// Builds the run and trains it.
    func train(_ kind: Experiment.Kind?) throws { try trainRun(try config.experiment(kind), fresh: fresh) }
}

/// `distill train config.yaml`: a teacher, or a student alone, from labels.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model alone (a teacher, or a baseline student) from a YAML config.")

    @OptionGroup var options: TrainingRunOptions

    func run() throws { try options.train(.train) }
}

/// `distill distill config.yaml`: a student from a teacher.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill", abstract: "Distill a student from a teacher, as a YAML config describes.")

    @OptionGroup var options: TrainingRunOptions

    func run() throws { try options.train(.distill) }
}

/// `distill eval config.yaml`: the trained model's metrics on the validation data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's model (or other weights of the same architecture) on its validation data.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "A safetensors file to evaluate instead of the run's model.safetensors.")
    var weights: String?

    func run() throws {
        let experiment = try options.experiment(nil)
        let metrics = try experiment.evaluate(weights: weights.map { URL(fileURLWithPath: $0) })
        print(String(format: "top-1 %.2f%%  top-5 %.2f%%  ECE %.4f  loss %.4f  (%d samples)",
                     metrics.top1 * 100, metrics.top5 * 100, metrics.expectedCalibrationError, metrics.loss, metrics.count)
              + (metrics.teacherAgreement.map { String(format: "  agreement with teacher %.2f%%", $0 * 100) } ?? ""))
    }
}

/// `distill robust-train config.yaml`: a config with a robust `method:` (PGD-AT, TRADES, ARD,
/// RSLAD, MTARD); a config with a `teacher:` distills.
struct RobustTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robust-train",
        abstract: "Train or distill with a robust method (method: pgd-at, trades, ard, rslad or mtard) and report robust accuracy.")

    @OptionGroup var options: TrainingRunOptions

    func run() throws {
        let experiment = try options.config.experiment(nil)
        guard experiment.threat != nil else {
            throw CommandFailure("\(options.config.config): robust-train needs a `method:` section (one of: \(MethodCatalog.names.joined(separator: ", ")))")
        }
        try trainRun(experiment, fresh: options.fresh)
    }
}
