import Datasets
import Distillation
import Foundation
import NN
import Optim
import Robustness
import Tensors

/// A run described by a YAML config, validated and built completely — data loaded, models
/// built, teacher weights loaded, every loss term's feature paths probed — before any
/// training starts, so that a mistake costs seconds, not an epoch.
///
/// A `train` config trains `model:` alone (`losses` default to `[{name: ce}]`); a
/// `distill` config trains `student:` from `teacher:`. Both have `data:`, `losses:`,
/// `training:` and an optional `output:` folder (default `runs/<config name>`), where the run
/// writes `model.safetensors`, `checkpoints/last.safetensors` (resumed from when present),
/// `metrics.jsonl`, `summary.json`, `summary.md` and a copy of the config.
public final class Experiment {
    /// What the config trains.
    public enum Kind: String, Sendable {
        /// A model alone, from labels.
        case train
        /// A student from a teacher.
        case distill

        var modelKey: String { self == .train ? "model" : "student" }
    }

    public let kind: Kind
    public let configFile: String
    public let data: ExperimentData
    /// The model being trained (the student of a `distill` run).
    public let model: Module
    public let modelName: String
    public let teacher: (any Teacher)?
    public let teacherName: String?
    /// The single teacher's model (nil without a teacher, for an ensemble, or when its logits
    /// come from a cache).
    public let teacherModel: Module?
    /// Where the config says the teacher's logits are cached (`teacher.cache`).
    public private(set) var teacherCachePath: String?
    public let trainer: Trainer
    /// The threat model of a robust `method`.
    public let threat: ThreatModel?
    /// The attacks the summary reports robust accuracy under: the config's `evaluation`, or
    /// PGD-20 and PGD-20-CW at a robust method's threat model.
    public let attackEvaluation: AttackEvaluation?
    public let outputDirectory: URL
    /// Whether the run is evaluated as a classifier (its teacher too), rather than by its
    /// method's own figure (a denoising loss).
    public let evaluatesClassification: Bool
    private let configText: String?
    /// The config's scalars by key path, less those a resumed run may change: what a
    /// checkpoint records and a resume compares.
    private let resumableConfig: [String: String]

    /// The keys a run may change and still resume: more epochs, or the same run elsewhere.
    public static let keysAllowedToChangeOnResume: Set<String> = ["training.epochs", "output"]

    /// Reads, validates and builds the run in `configFile`; with no `kind`, a config with a
    /// `teacher` is a `distill` run.
    public convenience init(
        configFile: URL, kind: Kind? = nil, outputDirectory: URL? = nil, dataDirectory: String? = nil, usesTeacherCache: Bool = true
    ) throws {
        try self.init(
            config: try ConfigNode.load(contentsOf: configFile), kind: kind, outputDirectory: outputDirectory, dataDirectory: dataDirectory,
            configText: try? String(contentsOf: configFile, encoding: .utf8), usesTeacherCache: usesTeacherCache)
    }

    /// Validates and builds the run a parsed config describes; with no `kind`, a config with a
    /// `teacher` is a `distill` run. Without `usesTeacherCache`, a teacher's `cache` is
    /// ignored (to build it).
    public init(
        config: ConfigNode, kind: Kind? = nil, outputDirectory: URL? = nil, dataDirectory: String? = nil, configText: String? = nil,
        usesTeacherCache: Bool = true
    ) throws {
        let kind = try kind ?? (config.keys.contains("teacher") ? .distill : .train)
        resumableConfig = config.scalarsByPath.filter { !Self.keysAllowedToChangeOnResume.contains($0.key) }
        (self.kind, self.configFile, self.configText) = (kind, config.file, configText)
        data = try ExperimentData.load(
            try config.required("data", "the data set to train on"), usesUnlabeled: kind == .distill, dataDirectory: dataDirectory)

        let training = try config.optional("training")
        let seed: UInt64 = try training?.value("seed", default: 0) ?? 0
        var generator = RandomGenerator(seed: seed)
        let teachers = try Self.teachers(config, kind: kind, data: data, usesCache: usesTeacherCache, using: &generator)
        (teacher, teacherName, teacherCachePath) = (teachers.teacher, teachers.name, teachers.cachePath)
        teacherModel = (teacher as? ModelTeacher)?.model
        let batchSize: Int = try training?.value("batch_size", default: 64, in: 1...Self.maximumBatchSize) ?? 64
        (model, modelName) = try Self.trainedModel(try config.required(kind.modelKey, "the model to train"), data: data,
                                                   batchSize: batchSize, using: &generator)
        let objective: any TrainingObjective
        (objective, threat) = try Self.objective(config, kind: kind, data: data, model: model, teachers: teachers, using: &generator)
        let ownEvaluation = (objective as? any ConfigurableMethod)?.evaluation ?? data.evaluation
        evaluatesClassification = ownEvaluation == nil
        attackEvaluation = try Self.attackEvaluation(config.optional("evaluation"), methodThreat: threat, model: model,
                                                     classifies: evaluatesClassification, data: data, seed: seed)
        let plan = try Self.trainingPlan(training, data: data, batchSize: batchSize)

        // A config's own `output` is relative to its folder; the default to the current one.
        let outputPath = try config.pathValue("output") ?? "runs/\(URL(fileURLWithPath: config.file).deletingPathExtension().lastPathComponent)"
        self.outputDirectory = outputDirectory ?? URL(fileURLWithPath: outputPath)
        try config.finish()

        var options = TrainingOptions(
            epochs: plan.epochs, batchSize: batchSize, schedule: plan.schedule, seed: seed, transform: data.transform,
            checkpointDirectory: self.outputDirectory.appendingPathComponent("checkpoints"),
            metricsFile: self.outputDirectory.appendingPathComponent("metrics.jsonl"))
        if let ownEvaluation { options.evaluation = ownEvaluation }
        options.earlyStopping = plan.earlyStopping
        options.checkpointNotes["config"] = Self.encode(resumableConfig)
        trainer = Trainer(student: model, objective: objective, optimizer: plan.optimizer, options: options)
    }

    private static func encode(_ scalars: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(scalars)) ?? Data(), as: UTF8.self)
    }

    /// Refuses to resume from `checkpoint` when it was written under a config that differs
    /// from this one in more than `keysAllowedToChangeOnResume`, listing the keys that differ.
    private func checkResumable(from checkpoint: URL) throws {
        guard let saved = try TrainingCheckpoint.notes(at: checkpoint)["config"]?.data(using: .utf8) else { return }  // written before configs were recorded
        let before = try JSONDecoder().decode([String: String].self, from: saved)
        let changed = Set(before.keys).union(resumableConfig.keys).sorted().filter { before[$0] != resumableConfig[$0] }
        guard !changed.isEmpty else { return }
        let listed = changed.prefix(5).map { "\($0) (\(before[$0] ?? "absent") → \(resumableConfig[$0] ?? "absent"))" }.joined(separator: ", ")
        let more = changed.count > 5 ? " and \(changed.count - 5) more" : ""
        throw ResumeRefused(description: "\(checkpoint.path) was written under another config: \(listed)\(more) differ (only training.epochs may change to resume); pass --fresh to start over, or give the run another output")
    }

    /// Bounds that keep step counts (epochs × batches) far from overflow.
    public static let maximumEpochs = 1_000_000
    public static let maximumBatchSize = 1 << 20

    /// Trains (resuming from `checkpoints/last.safetensors` when present, unless `fresh`),
    /// writes the final weights and the summary, and returns the summary.
    @discardableResult
    public func run(fresh: Bool = false, printsProgress: Bool = false) throws -> RunSummary {
        let files = FileManager.default
        try files.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let lock = try OutputLock(folder: outputDirectory)
        defer { withExtendedLifetime(lock) {} }
        // Under the lock no other run writes here: temporary files are a killed write's.
        for folder in [outputDirectory, outputDirectory.appendingPathComponent("checkpoints")] { AtomicFile.removeOrphans(in: folder) }
        let checkpoint = outputDirectory.appendingPathComponent("checkpoints/last.safetensors")
        if fresh { try? files.removeItem(at: checkpoint) }
        if files.fileExists(atPath: checkpoint.path) {
            try checkResumable(from: checkpoint)
        } else {
            try? files.removeItem(at: trainer.options.metricsFile!)  // a new run starts a new log
        }
        if let configText { try AtomicFile.write(Data(configText.utf8), to: outputDirectory.appendingPathComponent("config.yaml")) }

        trainer.options.printsProgress = printsProgress
        let history = try trainer.fit(AnyDataset(data.training), validation: data.validation.map(AnyDataset.init))
        let weights = outputDirectory.appendingPathComponent("model.safetensors")
        var weightsNotes = ["model": modelName, "config": configFile]
        weightsNotes["epoch"] = trainer.keptEpoch.map { "\($0)" }
        try model.save(to: weights, metadata: weightsNotes)
        if let tokenizer = data.tokenizer {
            try AtomicFile.write(try tokenizer.jsonData(), to: outputDirectory.appendingPathComponent("tokenizer.json"))
        }
        // When validation was not the test split (held out, or chosen on), the saved weights
        // are scored on the test split too: the figure to report.
        let testMetrics = try data.test.map { try trainer.evaluate(on: AnyDataset($0)).record }

        let teacherMetrics = try data.validation.flatMap { validation in
            try teacher.flatMap { evaluatesClassification ? $0 : nil }.map { try ClassificationMetrics(evaluating: $0, on: AnyDataset(validation)).record }
        }
        var line = ProgressLine()
        let robustness = try data.validation.flatMap { validation in
            try attackEvaluation.map { evaluation in
                try evaluation.report(model, on: AnyDataset(validation)) { done, total in
                    if printsProgress { line.update("robustness (\(evaluation.attacks.map(\.name).joined(separator: ", ")))", done: done, of: total, samples: done) }
                }
            }
        }
        if printsProgress { line.clear() }
        let summary = RunSummary(
            kind: kind.rawValue, config: configFile, dataset: data.name, trainingSamples: data.training.count, dataDerivation: data.derivation, model: modelName,
            parameters: model.parameterCount, teacher: teacherName, teacherMetrics: teacherMetrics, history: history,
            weights: weights.path, keptEpoch: trainer.keptEpoch, test: testMetrics, robustness: robustness, threat: attackEvaluation.map { "\($0.threat.norm.rawValue) ε = \($0.threat.epsilon)" },
            blas: BLASBackend.report)
        try summary.write(to: outputDirectory)
        return summary
    }

    /// Loads the trained model's weights from `weights` (default: the run's `model.safetensors`).
    public func loadTrainedWeights(from weights: URL? = nil) throws {
        let url = weights ?? outputDirectory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError(url.path, "no trained weights (run the config first, or pass --weights)")
        }
        try model.load(from: url)
        model.eval()
    }

    /// The trained model's metrics on the validation data, with weights from `weights`
    /// (default: the run's `model.safetensors`).
    public func evaluate(weights: URL? = nil) throws -> ClassificationMetrics {
        try loadTrainedWeights(from: weights)
        guard let validation = data.validation else { throw DataError(configFile, "data.validation is none: nothing to evaluate on") }
        return try trainer.evaluate(on: AnyDataset(validation), by: ClassificationEvaluation())
    }
}

/// A run that cannot resume from the checkpoint in its output folder.
public struct ResumeRefused: Error, CustomStringConvertible {
    public let description: String
}
