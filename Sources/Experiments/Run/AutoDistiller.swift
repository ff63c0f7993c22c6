import Datasets
import Foundation
import NN
import Tensors
import Yams

/// AutoDistiller (after the Distiller paper, He et al.): which distillation pipeline suits a
/// given teacher, student and data set is found by measurement, not folklore. From a distill
/// config, `candidates` pipelines are drawn from a fixed search space and each is trained for
/// a few epochs; all are scored on a held-out part of the training data (never the test
/// split), ranked, and the best is written as a complete config.
///
/// The search space: the objective (KD + CE with α ∈ {0.5, 0.9}; KD alone; SSLD's JS
/// soft targets; DKD + CE with β ∈ {2, 8} when every sample is labeled), the temperature
/// (1, 2, 4, 8), an intermediate FitNets hint between the models' deepest stages (none, or
/// weight 1 or 10) when both expose stages, and augmentation (none, Gaussian noise, or crop
/// and flip for images of 16 pixels or more).
public struct AutoDistiller {
    /// One pipeline of the search space.
    public struct Candidate: Codable, Equatable, Hashable, Sendable {
        public var objective: String
        public var temperature: Float
        public var hintWeight: Float
        public var augmentation: String

        /// The `losses` list for a student and teacher with these deepest stages, as YAML data.
        func losses(studentStage: String?, teacherStage: String?) -> Node {
            let t = Node("\(temperature)")
            var terms: [[(String, Node)]]
            switch objective {
            case "kd+ce (α 0.5)": terms = [[("name", "kd"), ("weight", 0.5), ("temperature", t)], [("name", "ce"), ("weight", 0.5)]]
            case "kd+ce (α 0.9)": terms = [[("name", "kd"), ("weight", 0.9), ("temperature", t)], [("name", "ce"), ("weight", 0.1)]]
            case "kd": terms = [[("name", "kd"), ("weight", 1), ("temperature", t)]]
            case "ssld": terms = [[("name", "ssld"), ("weight", 1), ("divergence", "js"), ("temperature", t)]]
            case "dkd+ce (β 2)", "dkd+ce (β 8)":
                let beta: Node = objective == "dkd+ce (β 2)" ? 2 : 8
                terms = [[("name", "ce"), ("weight", 1)],
                         [("name", "dkd"), ("weight", 1), ("alpha", 1), ("beta", beta), ("temperature", t), ("warmup_epochs", 2)]]
            default: preconditionFailure("AutoDistiller: objective '\(objective)' is in the search space but builds no losses")
            }
            if hintWeight > 0, let studentStage, let teacherStage {
                terms.append([("name", "fitnets"), ("weight", Node("\(hintWeight)")), ("student", Node(studentStage)), ("teacher", Node(teacherStage))])
            }
            return .sequence(Node.Sequence(terms.map(Node.mapping(ordered:))))
        }

        /// The `data.augmentation` list, as YAML data.
        func augmentationList(sampleShape: [Int]) -> Node {
            let transforms: [[(String, Node)]]
            switch augmentation {
            case "noise": transforms = [[("name", "gaussian_noise"), ("std", 0.05)]]
            case "crop+flip": transforms = [[("name", "random_crop"), ("padding", Node("\(max(1, sampleShape[1] / 8))"))], [("name", "horizontal_flip")]]
            default: transforms = []
            }
            return .sequence(Node.Sequence(transforms.map(Node.mapping(ordered:))))
        }

        public var summary: String {
            "\(objective), T \(temperature)" + (hintWeight > 0 ? ", hint ×\(hintWeight)" : "") + (augmentation == "none" ? "" : ", \(augmentation)")
        }
    }

    /// One measured candidate.
    public struct Trial: Codable, Equatable, Sendable {
        public var candidate: Candidate
        public var holdoutTop1: Double
        public var holdoutLoss: Double
        public var seconds: Double
        public var config: String
    }

    public let baseConfig: ConfigNode
    public let candidates: Int
    public let epochs: Int
    public let seed: UInt64

    public init(config: ConfigNode, candidates: Int = 8, epochs: Int = 3, seed: UInt64 = 0) {
        (self.baseConfig, self.candidates, self.epochs, self.seed) = (config, candidates, epochs, seed)
    }

    /// The search space for this config (its data and models decide which parts apply).
    public func searchSpace() throws -> [Candidate] { try searchSpace(for: try baseExperiment()) }

    private func searchSpace(for base: Experiment) throws -> [Candidate] {
        var objectives = ["kd+ce (α 0.5)", "kd+ce (α 0.9)", "kd", "ssld"]
        if base.data.hasLabels && !base.data.hasUnlabeledSamples { objectives += ["dkd+ce (β 2)", "dkd+ce (β 8)"] }
        let hints: [Float] = Self.deepestStages(base) == nil ? [0] : [0, 1, 10]
        var augmentations = ["none", "noise"]
        if base.data.sampleShape.count == 3 && base.data.sampleShape[1] >= 16 { augmentations.append("crop+flip") }
        var space: [Candidate] = []
        for objective in objectives {
            for temperature: Float in [1, 2, 4, 8] {
                for hint in hints { for augmentation in augmentations { space.append(Candidate(objective: objective, temperature: temperature, hintWeight: hint, augmentation: augmentation)) } }
            }
        }
        return space
    }

    /// Trains `candidates` distinct pipelines drawn from the search space (seeded) for
    /// `epochs` epochs each, with outputs under `folder`; returns them best first.
    public func run(in folder: URL, printsProgress: Bool = false) throws -> [Trial] {
        let base = try baseExperiment()
        let space = try searchSpace(for: base)
        var generator = RandomGenerator(seed: seed)
        let chosen = randomPermutation(space.count, using: &generator).prefix(min(candidates, space.count)).map { space[$0] }
        let stages = Self.deepestStages(base)
        var trials: [Trial] = []
        for (index, candidate) in chosen.enumerated() {
            let yaml = try config(for: candidate, sampleShape: base.data.sampleShape, stages: stages, trialEpochs: epochs,
                                  output: folder.appendingPathComponent("candidate-\(index)").path)
            let experiment = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "\(baseConfig.file) [candidate \(index)]"), kind: .distill, configText: yaml)
            let start = Date()
            let summary = try experiment.run(fresh: true)
            let metrics = summary.final!
            trials.append(Trial(candidate: candidate, holdoutTop1: metrics.top1, holdoutLoss: metrics.loss, seconds: Date().timeIntervalSince(start), config: yaml))
            if printsProgress { print(String(format: "[%d/%d] %@: held-out top-1 %.2f%%", index + 1, chosen.count, candidate.summary, metrics.top1 * 100)) }
        }
        return trials.sorted { ($0.holdoutTop1, -$0.holdoutLoss) > ($1.holdoutTop1, -$1.holdoutLoss) }
    }

    /// The ranking as a Markdown table.
    public static func table(_ trials: [Trial]) -> String {
        var lines = ["| rank | pipeline | held-out top-1 | held-out loss | seconds |", "|---|---|---|---|---|"]
        for (rank, trial) in trials.enumerated() {
            lines.append(String(format: "| %d | %@ | %.2f%% | %.4f | %.1f |", rank + 1, trial.candidate.summary, trial.holdoutTop1 * 100, trial.holdoutLoss, trial.seconds))
        }
        return lines.joined(separator: "\n")
    }

    /// The recommended config: the base config with the best trial's pipeline and the base's
    /// own epochs and validation, its paths absolute (it is written elsewhere than the base),
    /// and its own `output`, so that running it never touches the base config's run.
    public func recommendedConfig(_ best: Trial, output: String) throws -> String {
        let base = try baseExperiment()
        return try config(for: best.candidate, sampleShape: base.data.sampleShape, stages: Self.deepestStages(base), trialEpochs: nil, output: output)
    }

    /// Writes the ranking (`ranking.json`, `ranking.md`) and the best trial's config
    /// (`recommended.yaml`, whose run writes to `recommended/` beside it) into `folder`, each
    /// atomically; returns the config's file.
    @discardableResult
    public func write(_ trials: [Trial], in folder: URL) throws -> URL {
        guard let best = trials.first else { throw baseConfig.error("no pipeline was tried, so none can be recommended") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(trials), to: folder.appendingPathComponent("ranking.json"))
        try AtomicFile.write(Data((Self.table(trials) + "\n").utf8), to: folder.appendingPathComponent("ranking.md"))
        let recommended = folder.appendingPathComponent("recommended.yaml")
        let yaml = try recommendedConfig(best, output: folder.appendingPathComponent("recommended").path)
        try AtomicFile.write(Data("# distill auto: best of \(trials.count) pipelines (\(best.candidate.summary))\n\(yaml)".utf8), to: recommended)
        return recommended
    }

    /// The base config with the candidate's losses and augmentation; for a trial, also
    /// held-out validation, the trial's epoch count and its own output folder.
    func config(for candidate: Candidate, sampleShape: [Int], stages: (student: String, teacher: String)?, trialEpochs: Int?, output: String?) throws -> String {
        guard case .mapping(var root) = baseConfig.resolvingPaths() else { throw baseConfig.error("expected a mapping of sections") }
        guard case .mapping(var data)? = root["data"] else { throw baseConfig.error("missing required key 'data'") }
        data["augmentation"] = candidate.augmentationList(sampleShape: sampleShape)
        if let trialEpochs {
            data["validation"] = Node("holdout")
            var training: Node.Mapping = [:]
            if case .mapping(let existing)? = root["training"] { training = existing }
            training["epochs"] = Node("\(trialEpochs)")
            root["training"] = .mapping(training)
        }
        root["data"] = .mapping(data)
        root["losses"] = candidate.losses(studentStage: stages?.student, teacherStage: stages?.teacher)
        if let output { root["output"] = Node(output) }
        return try Yams.serialize(node: .mapping(root))
    }

    /// The base config as a run (with a KD loss when it names none: the search replaces it).
    private func baseExperiment() throws -> Experiment {
        guard case .mapping(var root) = baseConfig.node else { throw baseConfig.error("expected a mapping of sections") }
        if root["losses"] == nil { root["losses"] = .sequence(Node.Sequence([Node.mapping(ordered: [("name", "kd")])])) }
        return try Experiment(config: ConfigNode(node: .mapping(root), file: baseConfig.file, path: ""), kind: .distill)
    }

    /// The deepest stage of each model, where both are classifiers with stages.
    static func deepestStages(_ experiment: Experiment) -> (student: String, teacher: String)? {
        guard let student = (experiment.model as? Classifier)?.stagePaths.last,
              let teacher = (experiment.teacherModel as? Classifier)?.stagePaths.last else { return nil }
        return (student, teacher)
    }

}

extension Node {
    /// A YAML mapping of `pairs`, in their order.
    static func mapping(ordered pairs: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { (Node($0.0), $0.1) }))
    }
}
