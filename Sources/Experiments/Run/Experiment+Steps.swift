import Datasets
import Distillation
import Foundation
import NN
import Optim
import Robustness
import Tensors

/// The steps `Experiment.init` builds a run in, in the order it reads the config: the
/// teachers, the model it trains, the objective, the attacks its summary reports, then the
/// training plan. Each reads its own
/// sections and finishes those it owns, so a misspelt key is reported where it was meant.
extension Experiment {
    /// The teacher of a `distill` run, with what the run records of it, and the clean
    /// teacher a method may compare it with.
    struct Teachers {
        var teacher: (any Teacher)?
        var name: String?
        /// Where `teacher.cache` says the teacher's logits are cached.
        var cachePath: String?
        /// Another instance of a single teacher model, loaded from its checkpoint.
        var replica: (() throws -> Module)?
        var clean: (any Teacher)?
    }

    /// Step 1: `teacher` (and `clean_teacher`) of a `distill` run; a `train` config may have
    /// neither.
    static func teachers(_ config: ConfigNode, kind: Kind, data: ExperimentData, usesCache: Bool,
                         using generator: inout RandomGenerator) throws -> Teachers {
        guard kind == .distill else {
            if let stray = try config.optional("teacher") { throw stray.error("a train config has no teacher (use `distill distill` to learn from one)") }
            return Teachers()
        }
        let section = try config.required("teacher", "a model with a checkpoint, or an ensemble")
        let (teacher, name) = try buildTeacher(section, data: data, usesCache: usesCache, using: &generator)
        var teachers = Teachers(teacher: teacher, name: name, cachePath: try section.pathValue("cache"))
        if teacher is ModelTeacher {
            teachers.replica = {
                // The checkpoint replaces every weight, so the draw behind them is any.
                var drawing = RandomGenerator(seed: 0)
                return try loadedModel(section, data: data, using: &drawing).model
            }
        }
        if let section = try config.optional("clean_teacher") {
            teachers.clean = try buildTeacher(section, data: data, using: &generator).teacher
        }
        return teachers
    }

    /// A model a method's section describes (ADD's `feature_network`), loaded from its
    /// checkpoint and frozen in inference mode.
    static func frozenModel(_ entry: any ConfigEntry, data: ExperimentData) throws -> Module {
        guard let section = entry as? ConfigNode else { throw entry.error("a model section is a mapping with `model` and `checkpoint`") }
        // The checkpoint replaces every weight, so the draw behind them is any.
        var drawing = RandomGenerator(seed: 0)
        let model = try loadedModel(section, data: data, using: &drawing).model
        model.eval()
        model.freeze()
        return model
    }

    /// Step 2: the model the run trains, from its section (`model` or `student`), with the
    /// starting weights its `checkpoint` names.
    static func trainedModel(_ section: ConfigNode, data: ExperimentData, batchSize: Int,
                             using generator: inout RandomGenerator) throws -> (model: Module, name: String) {
        let model = try ModelCatalog.build(section, inputShape: data.sampleShape, classes: data.classCount,
                                           batchSize: min(batchSize, data.training.count), using: &generator)
        let name: String = try section.value("model", default: "")
        if let checkpointNode = try section.optional("checkpoint") {
            // Starting weights: fine-tuning a pre-trained model (e.g. DMAE's two stages).
            try loadWeights(into: model, from: checkpointNode, hint: "run the config that writes it first")
        }
        try section.finish()
        return (model, name)
    }

    /// Step 3: what training minimises. A robust or family `method` (with its threat model,
    /// where it has one), or a list of `losses`; a `train` run with neither learns from its
    /// labels by cross-entropy.
    static func objective(_ config: ConfigNode, kind: Kind, data: ExperimentData, model: Module, teachers: Teachers,
                          using generator: inout RandomGenerator) throws -> (objective: any TrainingObjective, threat: ThreatModel?) {
        let built: (objective: any TrainingObjective, threat: ThreatModel?)
        if let method = try config.optional("method") {
            if let losses = try config.optional("losses") { throw losses.error("a config with a robust `method` takes no `losses` (the method defines its loss)") }
            built = try MethodCatalog.build(method, teacher: teachers.teacher, cleanTeacher: teachers.clean,
                                            teacherModel: (teachers.teacher as? ModelTeacher)?.model, student: model, teacherReplica: teachers.replica,
                                            sampleShape: data.sampleShape, loadModel: { entry in try frozenModel(entry, data: data) })
        } else if let losses = try config.optional("losses") {
            let sampleBatch = data.training.batch(at: Array(0..<min(2, data.training.count)))
            let context = LossContext(student: model, teacher: teachers.teacher, sampleBatch: sampleBatch,
                                      trainingSamples: data.training.count, classes: data.classCount, hasLabels: data.hasLabels,
                                      hasUnlabeledSamples: data.hasUnlabeledSamples, readOptimizer: OptimizerCatalog.optimizer)
            let loss = try LossCatalog.build(losses, context: context, using: &generator)
            built = (DistillationObjective(teacher: teachers.teacher, loss: loss, studentView: try studentView(config, data: data)), nil)
        } else if kind == .train {
            built = (DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), studentView: try studentView(config, data: data)), nil)
        } else {
            throw config.error("missing required key 'losses' (a list of terms: \(LossCatalog.names.joined(separator: ", "))) or 'method' (\(MethodCatalog.names.joined(separator: ", ")))")
        }
        if teachers.clean != nil && (type(of: built.objective) as? any ConfigurableMethod.Type)?.needs.contains(.cleanTeacher) != true {
            let users = MethodCatalog.registered.filter { $0.needs.contains(.cleanTeacher) }.map { "'\($0.configName)'" }
            throw try config.required("clean_teacher").error("only method \(users.joined(separator: " and ")) uses a clean_teacher")
        }
        return built
    }

    /// Step 4: the attacks the run's summary reports, from `evaluation` (which this step
    /// finishes). Without the section, a robust method's run is evaluated under
    /// `AttackEvaluation.defaultAttacks` at its threat model, and any other run under none.
    /// Attacks follow the gradient of a classifier's logits with respect to its one input
    /// tensor, so a run of another kind that asks for them is refused.
    static func attackEvaluation(_ entry: ConfigNode?, methodThreat: ThreatModel?, model: Module, classifies: Bool,
                                 data: ExperimentData, seed: UInt64) throws -> AttackEvaluation? {
        guard let entry else {
            return try methodThreat.map { try AttackEvaluation(attacks: AttackEvaluation.defaultAttacks, threat: $0, limit: AttackEvaluation.defaultLimit, seed: seed) }
        }
        guard let evaluation = try AttackEvaluation(config: entry, methodThreat: methodThreat, inputDimension: data.sampleShape.reduce(1, *), seed: seed) else {
            return nil
        }
        guard takesAttacks(model, classifies: classifies) else {
            throw (try entry.optional("attacks") ?? entry).error(notAttackable("this run's \(type(of: model))"))
        }
        guard data.validation != nil else {
            throw (try entry.optional("attacks") ?? entry).error("attacks are evaluated on the validation data; set data.validation to test or holdout")
        }
        return evaluation
    }

    /// How long and how the model is trained: the rest of the `training` section.
    struct TrainingPlan {
        var epochs: Int
        var optimizer: any Optimizer
        var schedule: LearningRateSchedule
        var earlyStopping: EarlyStopping?
    }

    /// Step 5: epochs, optimizer, schedule and early stopping, from `training` (which this
    /// step finishes).
    static func trainingPlan(_ training: ConfigNode?, data: ExperimentData, batchSize: Int) throws -> TrainingPlan {
        let epochs: Int = try training?.value("epochs", default: 10, in: 1...maximumEpochs) ?? 10
        let (optimizer, baseRate) = try training?.optional("optimizer").map(OptimizerCatalog.optimizer) ?? (Adam(), 1e-3)
        let stepsPerEpoch = (data.training.count + batchSize - 1) / batchSize
        let schedule = try OptimizerCatalog.schedule(training?.optional("schedule"), base: baseRate, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
        let earlyStopping = try training?.optional("early_stopping").map {
            try Self.earlyStopping($0, hasValidation: data.validation != nil, epochs: epochs)
        }
        try training?.finish()
        return TrainingPlan(epochs: epochs, optimizer: optimizer, schedule: schedule, earlyStopping: earlyStopping)
    }

    /// Model selection from a `training.early_stopping` entry:
    ///
    /// ```yaml
    /// early_stopping: {metric: top1, patience: 100}   # also mode: max | min, min_delta: 0
    /// ```
    ///
    /// `metric` names a value of the validation record; `mode` defaults to max for accuracy
    /// figures and min for the rest; without `patience` every epoch runs and the best is kept.
    private static func earlyStopping(_ entry: ConfigNode, hasValidation: Bool, epochs: Int) throws -> EarlyStopping {
        guard hasValidation else {
            throw entry.error("early stopping chooses an epoch by its validation metrics; set data.validation to test or holdout")
        }
        let metric: String = try entry.value("metric", default: "top1")
        let goal = try (try entry.value("mode") as String?).map { _ in
            EarlyStopping.Goal(rawValue: try entry.choice("mode", from: EarlyStopping.Goal.allCases.map(\.rawValue)))!
        }
        let patience: Int? = try entry.optional("patience").map { _ in try entry.value("patience", default: 1, in: 1...epochs) }
        let minimumImprovement: Double = try entry.value("min_delta", default: 0, in: 0...Double.greatestFiniteMagnitude)
        try entry.finish()
        return EarlyStopping(metric: metric, goal: goal, patience: patience, minimumImprovement: minimumImprovement)
    }

    /// What the trained model sees instead of the batch (`student_view`, e.g. DMAE's masking);
    /// a teacher sees the original.
    private static func studentView(_ config: ConfigNode, data: ExperimentData) throws -> (any BatchTransform)? {
        guard let entry = try config.optional("student_view") else { return nil }
        let view = try ExperimentData.augmentation(entry, sampleShape: data.sampleShape)
        try entry.finish()
        return view
    }

}
