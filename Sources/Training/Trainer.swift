import Datasets
import Foundation
import NN
import Optim
import Tensors

/// How a `Trainer` runs.
public struct TrainingOptions {
    public var epochs: Int
    public var batchSize: Int
    /// The learning rate per optimizer step (the trainer sets it before each step).
    public var schedule: LearningRateSchedule
    public var seed: UInt64
    /// Augmentation applied to each training batch (before the teacher sees it, so both
    /// models see the same inputs).
    public var transform: (any BatchTransform)?
    /// Where `last.safetensors` (a `TrainingCheckpoint`) is written after every epoch and
    /// resumed from; nil for no checkpoints.
    public var checkpointDirectory: URL?
    /// Where one JSON object per epoch is written (JSON lines, keys sorted); nil for none. It
    /// is rewritten after each checkpoint from the checkpoint's history, so it never holds an
    /// epoch the checkpoint lacks, and a resumed run's file has exactly one line per epoch.
    public var metricsFile: URL?
    /// Notes stored in every checkpoint (a run's config fingerprint, say), for whoever
    /// resumes to compare.
    public var checkpointNotes: [String: String] = [:]
    /// How far the loss may grow over its first step's value before the run counts as
    /// diverged: 10⁴ by default. A loss that has grown by orders of magnitude will not come
    /// back, and every further epoch is wasted.
    public var divergenceFactor: Float = 1e4
    /// Whether to print progress: a line per epoch, and on a terminal a live line per batch.
    public var printsProgress: Bool
    /// What is measured on the validation data after each epoch (classification by default).
    public var evaluation: any TaskEvaluation
    /// Keeps the weights of the best validation epoch (in `best.safetensors` beside the
    /// checkpoint), stops after `patience` epochs without a better one, and leaves the
    /// student holding the kept weights; nil trains every epoch and keeps the last.
    public var earlyStopping: EarlyStopping?

    public init(
        epochs: Int, batchSize: Int, schedule: LearningRateSchedule, seed: UInt64 = 0, transform: (any BatchTransform)? = nil,
        checkpointDirectory: URL? = nil, metricsFile: URL? = nil, printsProgress: Bool = false,
        evaluation: any TaskEvaluation = ClassificationEvaluation()
    ) {
        (self.epochs, self.batchSize, self.schedule, self.seed, self.transform) = (epochs, batchSize, schedule, seed, transform)
        (self.checkpointDirectory, self.metricsFile, self.printsProgress) = (checkpointDirectory, metricsFile, printsProgress)
        self.evaluation = evaluation
    }
}

/// One epoch's record, as written to the metrics file.
public struct EpochRecord: Codable, Equatable {
    /// The epoch's number, from 1, as the progress line prints it.
    public var epoch: Int
    public var step: Int
    public var learningRate: Double
    /// The mean of each loss term (and `total`) over the epoch's batches.
    public var trainLoss: [String: Double]
    /// What `TrainingOptions.evaluation` measured on the validation data (nil without it).
    public var validation: EvaluationRecord?
    public var seconds: Double
    /// The `TrainingStage` the epoch belongs to; nil for the main training. A stage's epochs
    /// are numbered from 1 within it, and are not evaluated.
    public var stage: String? = nil
}

/// Trains a student by any `TrainingObjective` — alone (`CrossEntropyTerm`), from a teacher
/// (a weighted sum of loss terms), or adversarially: epochs of seeded batches, a
/// learning-rate schedule, evaluation after each epoch, metrics as JSON lines, and an atomic
/// checkpoint after each epoch from which an interrupted run resumes exactly.
///
/// Each step: the objective prepares the batch once; every own-pass module of the
/// objective (`OptimizedModule`) takes its updates, in the declared order; then the student's
/// pass gives the gradients of the student, of the objective's `trainableModules` (updated
/// by `optimizer`) and of every shared-pass module (updated by its own optimizer).
public final class Trainer {
    public let student: Module
    public let objective: any TrainingObjective
    public let optimizer: Optimizer
    public var options: TrainingOptions
    /// The student, the modules its optimizer trains with it, and the modules with optimizers
    /// of their own: the tree a checkpoint saves.
    private let trainable: TrainableBundle
    /// The objective's modules with optimizers of their own, each with its optimizer.
    private let optimized: [(declared: OptimizedModule, optimizer: Optimizer)]
    /// The objective's stages, trained in order before the main epochs.
    public let stages: [TrainingStage]
    /// What a checkpoint holds: `trainable` and the modules of every stage (`stages.<name>.N`),
    /// which the main training may go on using (FT's paraphraser).
    private let saved: TrainableBundle

    /// The objective's teacher, if any (evaluation reports agreement with it).
    public var teacher: (any Teacher)? { objective.teacher }

    /// The epoch (numbered from 1) whose weights the student holds after `fit`, when
    /// `options.earlyStopping` chose them.
    public private(set) var keptEpoch: Int?

    public init(student: Module, objective: any TrainingObjective, optimizer: Optimizer, options: TrainingOptions) {
        (self.student, self.objective, self.optimizer, self.options) = (student, objective, optimizer, options)
        optimized = objective.optimizedModules.map { ($0, $0.optimizer ?? optimizer.freshCopy()) }
        trainable = TrainableBundle(student: student, auxiliary: objective.trainableModules,
                                    optimized: optimized.map { ($0.declared.name, $0.declared.module) })
        stages = objective.stages
        saved = TrainableBundle(student: student, auxiliary: trainable.auxiliary, optimized: trainable.optimized,
                                stages: stages.map { ($0.name, $0.objective.trainableModules) })
    }

    /// The optimizers by module name, as checkpoints store them.
    private var moduleOptimizers: [String: Optimizer] {
        Dictionary(uniqueKeysWithValues: optimized.map { ($0.declared.name, $0.optimizer) })
    }

    /// Refuses module names a checkpoint cannot tell apart, and an optimizer given to two
    /// modules (their states would merge).
    private func validateModules() throws {
        var names: Set<String> = []
        for (declared, _) in optimized {
            guard !declared.name.isEmpty, !declared.name.contains("."), names.insert(declared.name).inserted else {
                throw TrainerSetupError("module name '\(declared.name)' must be non-empty, without dots, and unique among the objective's modules")
            }
            guard declared.updatesPerStep >= 1 else {
                throw TrainerSetupError("module '\(declared.name)': updatesPerStep must be at least 1, found \(declared.updatesPerStep)")
            }
        }
        var stageNames: Set<String> = []
        for stage in stages {
            guard !stage.name.isEmpty, !stage.name.contains("."), stageNames.insert(stage.name).inserted else {
                throw TrainerSetupError("stage name '\(stage.name)' must be non-empty, without dots, and unique among the objective's stages")
            }
            guard stage.objective.optimizedModules.isEmpty, stage.objective.stages.isEmpty else {
                throw TrainerSetupError("stage '\(stage.name)': a stage's objective trains its modules with the stage's optimizer, and has no stages of its own")
            }
        }
        let owners = [("the student", optimizer)] + optimized.map { ("module '\($0.declared.name)'", $0.optimizer) }
            + stages.map { ("stage '\($0.name)'", $0.optimizer) }
        for (index, (owner, candidate)) in owners.enumerated() {
            if let other = owners[..<index].first(where: { $0.1 === candidate }) {
                throw TrainerSetupError("\(other.0) and \(owner) are given the same optimizer instance; their states would merge: give each its own")
            }
        }
    }

    /// Trains on `training`, evaluating on `validation` after each epoch; returns every
    /// epoch's record (including the epochs of a run this one resumed): the objective's
    /// stages' first, each named by its `stage`, then the main training's.
    @discardableResult
    public func fit<Training: Dataset, Validation: Dataset>(_ training: Training, validation: Validation?) throws -> [EpochRecord] {
        try validateModules()
        // No batches would mean no steps, and a mean loss of 0/0 logged every epoch.
        guard training.count > 0 else { throw TrainerSetupError("the training data holds no samples") }
        if options.earlyStopping != nil && validation == nil {
            throw TrainerSetupError("early stopping chooses an epoch by its validation metrics: give validation data")
        }
        let checkpointURL = options.checkpointDirectory?.appendingPathComponent("last.safetensors")
        let bestURL = options.checkpointDirectory?.appendingPathComponent("best.safetensors")
        var keptState: [String: Tensor]?
        if let directory = options.checkpointDirectory {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        var resumed = ResumePoint(phase: 0, epoch: 0, step: 0, history: [], firstLoss: nil)
        if let checkpointURL, FileManager.default.fileExists(atPath: checkpointURL.path) {
            resumed = try resumePoint(from: checkpointURL)
        }
        var history = resumed.history
        // The file holds what the checkpoint holds: a kill after the last line was written but
        // before its checkpoint would otherwise leave that epoch in the file twice.
        try writeMetrics(history)
        for (index, stage) in stages.enumerated() where index >= resumed.phase {
            let resumes = index == resumed.phase
            try train(stage, index: index, on: training, from: resumes ? resumed.epoch : 0, step: resumes ? resumed.step : 0,
                      firstLoss: resumes ? resumed.firstLoss : nil, history: &history, checkpoint: checkpointURL)
        }
        let mainResumes = resumed.phase == stages.count
        var (step, firstLoss) = mainResumes ? (resumed.step, resumed.firstLoss) : (0, nil)
        let firstEpoch = mainResumes ? resumed.epoch : 0
        let loader = DataLoader(training, batchSize: options.batchSize, shuffle: true, seed: options.seed, transform: options.transform)
        let sessionStart = Date()
        for epoch in firstEpoch..<max(firstEpoch, options.epochs) {
            // A resumed run that had already stopped stays stopped.
            if options.earlyStopping?.shouldStop(after: history.filter { $0.stage == nil }) == true { break }
            student.train()
            let trained = try runEpoch(of: loader, epoch: epoch, step: &step, firstLoss: &firstLoss, seed: options.seed,
                                       label: "epoch \(epoch + 1)/\(options.epochs)", learningRate: { optimizer.learningRate },
                                       lastCheckpoint: checkpointURL) { batch, step, generator in
                try self.step(objective, batch: batch, epoch: epoch, step: step, using: &generator, lastCheckpoint: checkpointURL)
            }
            let metrics = try validation.map { try evaluate(on: $0) }
            let record = EpochRecord(
                epoch: epoch + 1, step: step, learningRate: Double(optimizer.learningRate),
                trainLoss: trained.meanLoss, validation: metrics?.record, seconds: Date().timeIntervalSince(trained.start))
            history.append(record)
            if let stopping = options.earlyStopping, let metrics {
                guard metrics.record[stopping.metric] != nil else {
                    let names = metrics.record.values.keys.sorted().joined(separator: ", ")
                    throw TrainerSetupError("early stopping's metric '\(stopping.metric)' is not among the validation's values (\(names))")
                }
                // Written before the checkpoint that names this epoch the best, so that the
                // checkpoint never points at weights that are not on disk.
                if stopping.best(in: history.filter { $0.stage == nil })?.epoch == record.epoch {
                    keptState = student.stateDict()
                    if let bestURL { try student.save(to: bestURL, metadata: ["epoch": "\(record.epoch)"]) }
                }
            }
            let secondsPerEpoch = Date().timeIntervalSince(sessionStart) / Double(epoch - firstEpoch + 1)
            printSummary(of: record, epochs: options.epochs, headline: metrics?.headline, samplesPerSecond: trained.samplesPerSecond,
                         secondsLeft: secondsPerEpoch * Double(options.epochs - epoch - 1))
            if let checkpointURL {
                // The loop keeps no generator of its own: the loader derives every batch's order
                // and augmentation from (seed, epoch, batch), so the seed is the whole state.
                var notes = try checkpointNotes(history: history, firstLoss: firstLoss)
                notes["objective"] = String(decoding: try JSONEncoder().encode(objective.adaptiveState), as: UTF8.self)
                try TrainingCheckpoint(epoch: epoch, step: step, generator: RandomGenerator(seed: options.seed), notes: notes)
                    .save(model: saved, optimizer: optimizer, moduleOptimizers: moduleOptimizers, to: checkpointURL)
            }
            try writeMetrics(history)
        }
        try restoreKeptWeights(history: history.filter { $0.stage == nil }, kept: keptState, file: bestURL)
        return history
    }

    /// Where a run resumes: `phase` is the index of the stage a checkpoint was written in, or
    /// `stages.count` for the main training; `epoch` and `step` are the first to run in it.
    private struct ResumePoint {
        var phase: Int, epoch: Int, step: Int
        var history: [EpochRecord]
        var firstLoss: Float?
    }

    /// Loads the checkpoint at `url` (a stage's, with that stage's optimizer, or the main
    /// training's) and says where to go on.
    private func resumePoint(from url: URL) throws -> ResumePoint {
        let phase: Int
        let checkpoint: TrainingCheckpoint
        if let stageName = try TrainingCheckpoint.notes(at: url)["stage"] {
            guard let index = stages.firstIndex(where: { $0.name == stageName }) else {
                let names = stages.map { "'\($0.name)'" }.joined(separator: ", ")
                throw TrainerSetupError("\(url.path) was written in stage '\(stageName)', and this run's stages are \(names.isEmpty ? "none" : names): start afresh")
            }
            checkpoint = try TrainingCheckpoint.load(from: url, model: saved, optimizer: stages[index].optimizer)
            phase = index
        } else {
            checkpoint = try TrainingCheckpoint.load(from: url, model: saved, optimizer: optimizer, moduleOptimizers: moduleOptimizers)
            phase = stages.count
            if let state = checkpoint.notes["objective"]?.data(using: .utf8) {
                objective.restoreAdaptiveState(try JSONDecoder().decode([String: Double].self, from: state))
            }
        }
        var history: [EpochRecord] = []
        if let saved = checkpoint.notes["history"]?.data(using: .utf8) {
            history = try JSONDecoder().decode([EpochRecord].self, from: saved)
            // Checkpoints written before epochs were numbered from 1.
            if history.first?.epoch == 0 { for index in history.indices { history[index].epoch += 1 } }
        }
        return ResumePoint(phase: phase, epoch: checkpoint.epoch + 1, step: checkpoint.step, history: history,
                           firstLoss: checkpoint.notes["first_loss"].flatMap(Float.init))
    }

    /// The notes every checkpoint carries: the options' notes, the history so far and the
    /// first step's loss of the checkpoint's phase (for the divergence check).
    private func checkpointNotes(history: [EpochRecord], firstLoss: Float?) throws -> [String: String] {
        var notes = options.checkpointNotes
        notes["history"] = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
        notes["first_loss"] = firstLoss.map { "\($0)" }
        return notes
    }

    /// Trains `stage` from `firstEpoch`, saving a checkpoint in the stage's name after each
    /// epoch. Its batches and step generators are drawn from a seed of its own, so that no
    /// stage repeats another's or the main training's order.
    private func train<Training: Dataset>(
        _ stage: TrainingStage, index: Int, on training: Training, from firstEpoch: Int, step: Int, firstLoss: Float?,
        history: inout [EpochRecord], checkpoint checkpointURL: URL?
    ) throws {
        let seed = options.seed ^ (0xD6E8_FEB8_6659_FD93 &* UInt64(index + 1))
        let loader = DataLoader(training, batchSize: options.batchSize, shuffle: true, seed: seed, transform: options.transform)
        let bundle = StageBundle(student: stage.trainsStudent ? student : nil, modules: stage.objective.trainableModules)
        var (step, firstLoss) = (step, firstLoss)
        let sessionStart = Date()
        for epoch in firstEpoch..<max(firstEpoch, stage.epochs) {
            switch stage.studentMode {
            case .training: student.train()
            case .inference: student.eval()
            }
            for module in stage.objective.trainableModules { module.train() }
            let trained = try runEpoch(of: loader, epoch: epoch, step: &step, firstLoss: &firstLoss, seed: seed,
                                       label: "\(stage.name) epoch \(epoch + 1)/\(stage.epochs)", learningRate: { stage.optimizer.learningRate },
                                       lastCheckpoint: checkpointURL) { batch, step, generator in
                try self.step(in: stage, objective: stage.objective, bundle: bundle, batch: batch, epoch: epoch, step: step,
                              using: &generator, lastCheckpoint: checkpointURL)
            }
            let record = EpochRecord(epoch: epoch + 1, step: step, learningRate: Double(stage.optimizer.learningRate), trainLoss: trained.meanLoss,
                                     validation: nil, seconds: Date().timeIntervalSince(trained.start), stage: stage.name)
            history.append(record)
            let secondsPerEpoch = Date().timeIntervalSince(sessionStart) / Double(epoch - firstEpoch + 1)
            printSummary(of: record, epochs: stage.epochs, headline: nil, samplesPerSecond: trained.samplesPerSecond,
                         secondsLeft: secondsPerEpoch * Double(stage.epochs - epoch - 1))
            if let checkpointURL {
                var notes = try checkpointNotes(history: history, firstLoss: firstLoss)
                notes["stage"] = stage.name
                try TrainingCheckpoint(epoch: epoch, step: step, generator: RandomGenerator(seed: seed), notes: notes)
                    .save(model: saved, optimizer: stage.optimizer, to: checkpointURL)
            }
            try writeMetrics(history)
        }
        student.train()
    }

    /// What one epoch's batches added up to.
    private struct EpochTotals {
        var sums: [String: Double] = [:]
        var batches = 0, samples = 0
        let start = Date()
        /// The batches' time, without the evaluation after them.
        var trainingSeconds: TimeInterval = 0
        var meanLoss: [String: Double] { sums.mapValues { $0 / Double(max(batches, 1)) } }
        var samplesPerSecond: Double { Double(samples) / max(trainingSeconds, 1e-9) }
    }

    /// Runs `body` on each batch of `epoch`, each step with a generator of its own drawn from
    /// `seed` and the step (not one carried along, so that a resumed run draws the same
    /// numbers), stopping a loss that has grown far past its phase's first.
    private func runEpoch<Source: Dataset>(
        of loader: DataLoader<Source>, epoch: Int, step: inout Int, firstLoss: inout Float?, seed: UInt64, label: String,
        learningRate: () -> Float, lastCheckpoint: URL?, body: (Batch, Int, inout RandomGenerator) throws -> [String: Float]
    ) throws -> EpochTotals {
        var totals = EpochTotals()
        var progress = ProgressLine()
        for batch in loader.batches(epoch: epoch) {
            var generator = RandomGenerator(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(step + 1)))
            let parts = try body(batch, step, &generator)
            if let total = parts["total"] {
                let first = firstLoss ?? total
                firstLoss = first
                try checkGrowth(of: total, from: first, parts: parts, epoch: epoch, step: step, learningRate: learningRate(), lastCheckpoint: lastCheckpoint)
            }
            for (name, value) in parts { totals.sums[name, default: 0] += Double(value) }
            totals.batches += 1
            totals.samples += batch.count
            step += 1
            if options.printsProgress {
                progress.update(label, done: totals.batches, of: loader.batchesPerEpoch, samples: totals.samples,
                                detail: String(format: "loss %.4f", totals.sums["total", default: 0] / Double(totals.batches)))
            }
        }
        totals.trainingSeconds = Date().timeIntervalSince(totals.start)
        return totals
    }

    /// One step of a stage: its objective's loss, differentiated in the stage's modules (and
    /// the student's parameters it reaches, when the stage trains the student), and its
    /// optimizer's update of those alone.
    private func step<Objective: TrainingObjective>(
        in stage: TrainingStage, objective: Objective, bundle: StageBundle, batch: Batch, epoch: Int, step: Int,
        using generator: inout RandomGenerator, lastCheckpoint: URL?
    ) throws -> [String: Float] {
        stage.optimizer.learningRate = stage.schedule.learningRate(at: step)
        let prepared = try objective.prepare(batch, student: student, epoch: epoch, using: &generator)
        let (parts, gradients) = try partsAndGradients(of: bundle, reachedOnly: true) { try objective.loss(prepared, student: student) }
        try checkFinite(parts, epoch: epoch, step: step, learningRate: stage.optimizer.learningRate, lastCheckpoint: lastCheckpoint)
        stage.optimizer.update(bundle, gradients: gradients)
        return parts
    }

    /// Loads the best epoch's weights into the student (from this session's copy, or from the
    /// file a resumed run left), when early stopping chose an epoch.
    private func restoreKeptWeights(history: [EpochRecord], kept: [String: Tensor]?, file: URL?) throws {
        guard let stopping = options.earlyStopping, let best = stopping.best(in: history) else { return }
        if let kept {
            try student.loadStateDict(kept, source: "the best epoch's weights")
        } else if let file, FileManager.default.fileExists(atPath: file.path) {
            try student.load(from: file)
        } else {
            throw TrainerSetupError("early stopping kept epoch \(best.epoch), but its weights are not in \(file?.path ?? "memory"): train with --fresh")
        }
        keptEpoch = best.epoch
    }

    /// Stops a run whose loss has grown by `divergenceFactor` over its first value (with a
    /// floor of 1, so a loss that starts near zero may still move).
    private func checkGrowth(of total: Float, from first: Float, parts: [String: Float], epoch: Int, step: Int, learningRate: Float,
                             lastCheckpoint: URL?) throws {
        guard abs(total) > max(abs(first), 1) * options.divergenceFactor else { return }
        throw TrainingDiverged(epoch: epoch, step: step, lossParts: parts, learningRate: learningRate,
                               lastCheckpoint: lastCheckpoint.flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil },
                               firstLoss: first)
    }

    /// One training step on `batch`: the own-pass modules' updates, then the student's (with
    /// the shared-pass modules'); returns the loss parts (the student's, with `total`, and
    /// each own-pass module's as `<name>.<part>`).
    private func step<Objective: TrainingObjective>(
        _ objective: Objective, batch: Batch, epoch: Int, step: Int, using generator: inout RandomGenerator, lastCheckpoint: URL?
    ) throws -> [String: Float] {
        optimizer.learningRate = options.schedule.learningRate(at: step)
        for (declared, moduleOptimizer) in optimized {
            moduleOptimizer.learningRate = (declared.schedule ?? options.schedule).learningRate(at: step)
        }
        let prepared = try objective.prepare(batch, student: student, epoch: epoch, using: &generator)
        var allParts: [String: Float] = [:]
        for (declared, moduleOptimizer) in optimized where declared.pass == .ownPass {
            for update in 0..<declared.updatesPerStep {
                let (parts, gradients) = try partsAndGradients(of: declared.module) {
                    try objective.loss(prepared, student: student, updating: declared.name, update: update)
                }
                try checkFinite(parts, epoch: epoch, step: step, learningRate: moduleOptimizer.learningRate, lastCheckpoint: lastCheckpoint)
                moduleOptimizer.update(declared.module, gradients: gradients)
                for (name, value) in parts { allParts["\(declared.name).\(name)"] = value }
            }
        }
        let (parts, gradients) = try partsAndGradients(of: trainable) { try objective.loss(prepared, student: student) }
        // A non-finite loss would turn every weight into NaN: stop before the update, with
        // the last checkpoint (the end of the previous epoch) left as it was.
        try checkFinite(parts, epoch: epoch, step: step, learningRate: optimizer.learningRate, lastCheckpoint: lastCheckpoint)
        var studentGradients = gradients
        for (declared, moduleOptimizer) in optimized {
            let prefix = TrainableBundle.pathPrefix(ofModule: declared.name)
            var moduleGradients: [String: Tensor] = [:]
            for (path, gradient) in gradients where path.hasPrefix(prefix) {
                studentGradients[path] = nil
                moduleGradients[String(path.dropFirst(prefix.count))] = gradient
            }
            if declared.pass == .sharedPass { moduleOptimizer.update(declared.module, gradients: moduleGradients) }
        }
        optimizer.update(trainable, gradients: studentGradients)
        allParts.merge(parts) { $1 }
        return allParts
    }

    /// The loss parts (with `total`) of `loss` and the gradients of its total with respect to
    /// `module`'s trainable parameters (only those it reaches when `reachedOnly`).
    private func partsAndGradients(
        of module: Module, reachedOnly: Bool = false, _ loss: () throws -> (total: Tensor, parts: [String: Float])
    ) throws -> (parts: [String: Float], gradients: [String: Tensor]) {
        var parts: [String: Float] = [:]
        var failure: Error?
        func value() -> Tensor {
            do {
                let (total, termValues) = try loss()
                parts = termValues
                parts["total"] = total.item
                return total
            } catch {
                failure = error
                return Tensor(0)
            }
        }
        let (_, gradients) = reachedOnly ? module.valueAndReachedGradients(value) : module.valueAndGradients(value)
        if let failure { throw failure }
        return (parts, gradients)
    }

    private func checkFinite(_ parts: [String: Float], epoch: Int, step: Int, learningRate: Float, lastCheckpoint: URL?) throws {
        guard parts["total"]?.isFinite ?? true else {
            throw TrainingDiverged(epoch: epoch, step: step, lossParts: parts, learningRate: learningRate,
                                   lastCheckpoint: lastCheckpoint.flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil })
        }
    }

    /// The student's metrics on a data set by the options' evaluation.
    public func evaluate<Data: Dataset>(on data: Data) throws -> any EvaluationMetrics {
        try evaluate(on: data, by: options.evaluation)
    }

    /// The student's metrics on a data set by `evaluation` (with the teacher's, where the
    /// task compares the two), in inference mode.
    public func evaluate<Evaluation: TaskEvaluation, Data: Dataset>(on data: Data, by evaluation: Evaluation) throws -> Evaluation.Metrics {
        student.eval()
        defer { student.train() }
        return try evaluation.evaluate(student: student, teacher: teacher, on: data)
    }

    private func printSummary(of record: EpochRecord, epochs: Int, headline: String?, samplesPerSecond: Double, secondsLeft: TimeInterval) {
        guard options.printsProgress else { return }
        let accuracy = headline.map { "  " + $0 } ?? ""
        ProgressLine().finish((record.stage.map { "\($0) " } ?? "")
            + String(format: "epoch %d/%d  loss %.4f", record.epoch, epochs, record.trainLoss["total"] ?? .nan)
            + accuracy + String(format: "  %.2f s  ", record.seconds) + ProgressLine.throughput(samplesPerSecond)
            + "  ETA " + ProgressLine.duration(secondsLeft))
    }

    /// Replaces the metrics file with one line per record of `history`, keys sorted.
    private func writeMetrics(_ history: [EpochRecord]) throws {
        guard let url = options.metricsFile else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lines = Data()
        for record in history {
            lines.append(try encoder.encode(record))
            lines.append(0x0A)
        }
        try AtomicFile.write(lines, to: url)
    }
}

/// The student, the modules its optimizer trains with it, and the modules with optimizers of
/// their own under one root, so that one checkpoint covers them: paths `student.*`,
/// `auxiliary.N.*` and `modules.<name>.*`.
final class TrainableBundle: Module {
    let student: Module
    let auxiliary: [Module]
    let optimized: [(name: String, module: Module)]
    /// Each stage's modules (`stages.<name>.N.*`), in checkpoints only.
    let stageModules: [(name: String, modules: [Module])]

    init(student: Module, auxiliary: [Module], optimized: [(name: String, module: Module)], stages: [(name: String, modules: [Module])] = []) {
        (self.student, self.auxiliary, self.optimized, self.stageModules) = (student, auxiliary, optimized, stages)
        super.init()
    }

    static func pathPrefix(ofModule name: String) -> String { "modules.\(name)." }

    override func namedChildren() -> [(name: String, module: Module)] {
        [("student", student)] + auxiliary.enumerated().map { ("auxiliary.\($0.offset)", $0.element) }
            + optimized.map { ("modules.\($0.name)", $0.module) }
            + stageModules.flatMap { stage in stage.modules.enumerated().map { ("stages.\(stage.name).\($0.offset)", $0.element) } }
    }
}

/// What a stage's optimizer updates: the student, when the stage trains it, and the stage's
/// modules (paths `student.*` and `modules.N.*`).
final class StageBundle: Module {
    let student: Module?
    let modules: [Module]

    init(student: Module?, modules: [Module]) {
        (self.student, self.modules) = (student, modules)
        super.init()
    }

    override func namedChildren() -> [(name: String, module: Module)] {
        (student.map { [("student", $0)] } ?? []) + modules.enumerated().map { ("modules.\($0.offset)", $0.element) }
    }
}

/// Training stopped because the loss stopped being a finite number.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let epoch: Int
    public let step: Int
    /// The loss and its terms at the failing step.
    public let lossParts: [String: Float]
    public let learningRate: Float
    /// The checkpoint left in place (from the end of the last completed epoch), if any.
    public let lastCheckpoint: URL?
    /// The first step's loss, when the run stopped because the loss grew far beyond it
    /// (nil when it stopped because the loss was not finite).
    public let firstLoss: Float?

    public init(epoch: Int, step: Int, lossParts: [String: Float], learningRate: Float, lastCheckpoint: URL?, firstLoss: Float? = nil) {
        (self.epoch, self.step, self.lossParts, self.learningRate, self.lastCheckpoint, self.firstLoss) =
            (epoch, step, lossParts, learningRate, lastCheckpoint, firstLoss)
    }

    public var description: String {
        let parts = lossParts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let kept = lastCheckpoint.map { "; \($0.path) (the end of the last completed epoch) is kept" } ?? ""
        let what = firstLoss.map { "the loss grew from \($0) at the first step to \(lossParts["total"] ?? .nan)" } ?? "the loss is not finite"
        return "training diverged at epoch \(epoch + 1), step \(step): \(what) (\(parts)) at learning rate \(learningRate)\(kept). Lower the learning rate or a loss weight"
    }
}
