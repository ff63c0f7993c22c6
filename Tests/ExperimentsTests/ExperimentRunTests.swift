import Datasets
import Distillation
import Experiments
import NN
import Foundation
import Tensors
import XCTest

/// Runs through the config layer: the examples, the demo, resume.
final class ExperimentRunTests: FolderTestCase {
    /// Trains a digits MLP 64-`hidden`-10 through a train config into `folder/name` and
    /// returns its weights.
    private func trainedDigitsMLP(hidden: Int, epochs: Int, into name: String) throws -> URL {
        let run = try Experiment(config: try ConfigNode.parse(yaml: """
            data: {dataset: digits}
            model: {model: mlp, hidden: [\(hidden)]}
            training: {epochs: \(epochs), batch_size: 32, optimizer: {name: adam, learning_rate: 0.003}}
            """, file: "\(name).yaml"), outputDirectory: folder.appendingPathComponent(name))
        try run.run()
        return folder.appendingPathComponent("\(name)/model.safetensors")
    }

    private static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    /// Every example config is valid. Configs without a teacher come first: the digits ones
    /// are trained (some are the teachers of others), the others saved untrained (their shapes
    /// are what the distill examples check); then the distill configs. A config waits until
    /// every checkpoint it names (its model's, student's, teacher's or ADD's feature
    /// network's) has been written by an
    /// earlier one, and a run whose weights another config names saves them (a reflowed flow
    /// teaches its one-step student). Every path under `../runs/` is moved into a temporary
    /// folder. An example whose data set is not installed must fail on exactly that.
    func testEveryExampleConfigValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 25)
        let configs = try files.map { file -> (file: String, config: ConfigNode) in
            let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
                .replacingOccurrences(of: "../runs/", with: folder.path + "/")
            return (file, try ConfigNode.parse(yaml: text, file: file))
        }
        func checkpoints(_ config: ConfigNode) throws -> [String] {
            // ADD's feature network is a model section inside its method's.
            let featureNetwork = try config.optional("method")?.optional("feature_network")?.pathValue("checkpoint")
            return try ["model", "student", "teacher"].compactMap { try config.optional($0)?.pathValue("checkpoint") } + [featureNetwork].compactMap { $0 }
        }
        let referenced = Set(try configs.flatMap { try checkpoints($0.config) })
        let teacherless = try configs.filter { try !$0.config.keys.contains("teacher") && checkpoints($0.config).isEmpty }
        let others = try configs.filter { try $0.config.keys.contains("teacher") || !checkpoints($0.config).isEmpty }
        var pending = teacherless + others
        while !pending.isEmpty {
            // Those whose checkpoints exist, in order; the rest wait for a later round. With no
            // progress, the rest are built as they are (a data set not installed fails first).
            var waiting: [(file: String, config: ConfigNode)] = []
            for entry in pending {
                if try checkpoints(entry.config).contains(where: { !FileManager.default.fileExists(atPath: $0) }) { waiting.append(entry) } else {
                    try validate(entry.file, entry.config, savesWeights: referenced)
                }
            }
            if waiting.count == pending.count {
                for (file, config) in waiting { try validate(file, config, savesWeights: referenced) }
                break
            }
            pending = waiting
        }
    }

    /// Builds one example config and, for a `train` run or one whose weights another example
    /// names, trains it (a digits classifier, whose accuracy is checked) or saves its
    /// untrained weights.
    private func validate(_ file: String, _ config: ConfigNode, savesWeights referenced: Set<String>) throws {
        let experiment: Experiment
        do {
            experiment = try Experiment(config: config)
        } catch let error as ConfigError where error.key == "data.dataset" && error.message.contains("not found in") {
            print("\(file): data not installed here (\(error.message.prefix(60))…)")
            return
        }
        let weights = experiment.outputDirectory.appendingPathComponent("model.safetensors")
        guard experiment.kind == .train || referenced.contains(weights.path) else { return }
        // Trained here: the digits classifiers, whose accuracy is checked and whose weights
        // later configs start from. Other tasks' runs (a flow teacher) are built only: their
        // training is tested on its own (GenerativeRunTests, StepDistillationRunTests).
        if file.hasPrefix("digits") && experiment.trainer.options.evaluation is ClassificationEvaluation {
            let summary = try experiment.run()
            guard let final = summary.final else { return }  // a pre-training stage without validation
            XCTAssertGreaterThan(final.top1, minimumAccuracy(file), file)
            if let robustness = summary.robustness { XCTAssertGreaterThan(robustness["pgd-20"]!.accuracy, 0.6, file) }
        } else {
            try FileManager.default.createDirectory(at: experiment.outputDirectory, withIntermediateDirectories: true)
            try experiment.model.save(to: weights)
        }
    }

    /// The test accuracy a trained digits example must pass.
    private func minimumAccuracy(_ file: String) -> Double {
        // The masked-input ViT (Hybrid Distill's stand-in MIM teacher) only sees half of each
        // image in training; it is evaluated on whole ones.
        if file.contains("masked") { return 0.5 }
        // Fine-tuned on 5 labels per class.
        if file.contains("finetune") { return 0.7 }
        return 0.8
    }

    /// `distill demo`'s claim: with the same 50 labels, the distilled student beats the
    /// student alone by a wide margin.
    func testDemoDistilledStudentBeatsTheStudentAlone() throws {
        let results = try Demo.run(in: folder, printsProgress: false)
        XCTAssertEqual(results.count, 3)
        let (teacher, alone, distilled) = (results[0].summary.final!.top1, results[1].summary.final!.top1, results[2].summary.final!.top1)
        print(Demo.table(results))
        XCTAssertGreaterThan(teacher, 0.95)
        XCTAssertGreaterThan(distilled, alone + 0.05)
        XCTAssertEqual(results[1].summary.trainingSamples, 50)
        for run in ["teacher", "student-alone", "student-distilled"] {
            for output in ["model.safetensors", "summary.json", "summary.md", "metrics.jsonl", "config.yaml", "checkpoints/last.safetensors"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(run)/\(output)").path), "\(run)/\(output)")
            }
        }
        let saved = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: folder.appendingPathComponent("student-distilled/summary.json")))
        XCTAssertEqual(saved, results[2].summary)
        XCTAssertEqual(saved.blas?.core, BLASBackend.report.core, "summary.json records the BLAS core")
        XCTAssertEqual(saved.blas?.threads, Parallelism.threadCount)
    }

    /// Four epochs in one go equal two epochs, a stop, and a resumed run to four — the same
    /// metrics to the last digit.
    func testResumedRunEqualsAStraightRun() throws {
        func run(epochs: Int, output: String) throws -> RunSummary {
            let yaml = """
                data: {dataset: digits, train_limit: 300}
                model: {model: mlp, hidden: [16], dropout: 0.1}
                training:
                  epochs: \(epochs)
                  batch_size: 32
                  seed: 9
                  optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
                  schedule: {name: multistep, milestones: [3], gamma: 0.1}
                """
            return try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "resume.yaml"), kind: .train,
                                  outputDirectory: folder.appendingPathComponent(output)).run()
        }
        let straight = try run(epochs: 4, output: "straight")
        _ = try run(epochs: 2, output: "resumed")
        let resumed = try run(epochs: 4, output: "resumed")
        XCTAssertEqual(resumed.history.map(\.validation), straight.history.map(\.validation))
        XCTAssertEqual(resumed.history.map(\.trainLoss), straight.history.map(\.trainLoss))
        let a = try SafeTensors.read(contentsOf: folder.appendingPathComponent("straight/model.safetensors")).tensors
        let b = try SafeTensors.read(contentsOf: folder.appendingPathComponent("resumed/model.safetensors")).tensors
        XCTAssertEqual(a.mapValues(\.scalars), b.mapValues(\.scalars))
        let lines = try String(contentsOf: folder.appendingPathComponent("resumed/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4, "one line per epoch across the two invocations")
    }

    /// `distill cache-teacher`'s path: a cache built from the config's teacher and data, then
    /// named in `teacher.cache`, gives the same run as the live teacher; a changed teacher
    /// makes it stale.
    func testTeacherCacheInAConfigMatchesTheLiveTeacherAndGoesStale() throws {
        let teacherFile = folder.appendingPathComponent("teacher.safetensors"), cacheFile = folder.appendingPathComponent("cache.safetensors")
        var generator = RandomGenerator(seed: 1)
        try MLP(widths: [64, 32, 10], using: &generator).save(to: teacherFile)
        func config(cache: Bool) -> ConfigNode {
            try! ConfigNode.parse(yaml: """
                data: {dataset: digits, labeled_fraction: 0.1}
                teacher: {model: mlp, hidden: [32], checkpoint: \(teacherFile.path)\(cache ? ", cache: \(cacheFile.path)" : "")}
                student: {model: mlp, hidden: [8]}
                losses: [{name: kd, weight: 0.9}, {name: ce, weight: 0.1}]
                training: {epochs: 2, batch_size: 32}
                """, file: "cached.yaml")
        }
        let builder = try Experiment(config: config(cache: true), outputDirectory: folder.appendingPathComponent("build"), usesTeacherCache: false)
        try TeacherCache(teacher: builder.teacherModel!, data: AnyDataset(builder.data.training), evaluation: builder.data.validation).save(to: cacheFile)
        let cached = try Experiment(config: config(cache: true), outputDirectory: folder.appendingPathComponent("cached"))
        XCTAssertTrue(cached.teacher is TeacherCache)
        let live = try Experiment(config: config(cache: false), outputDirectory: folder.appendingPathComponent("live"))
        let (a, b) = (try cached.run(), try live.run())
        XCTAssertEqual(a.history.map({ $0.validation?["top1"] }), b.history.map({ $0.validation?["top1"] }))
        XCTAssertEqual(a.history.map({ $0.validation?["teacher_agreement"] }), b.history.map({ $0.validation?["teacher_agreement"] }))
        try MLP(widths: [64, 32, 10], using: &generator).save(to: teacherFile)  // the teacher changes
        XCTAssertThrowsError(try Experiment(config: config(cache: true))) { error in
            XCTAssertTrue("\(error)".hasPrefix("cached.yaml:2: teacher.cache: stale teacher cache: built from teacher weights"), "\(error)")
        }
    }

    /// `distill auto`: distinct pipelines, ranked by held-out accuracy (never the test split),
    /// and a recommended config that builds, with the base config's own epochs and validation.
    func testAutoDistillerRanksPipelinesOnHeldOutDataAndRecommendsAValidConfig() throws {
        let teacherWeights = try trainedDigitsMLP(hidden: 64, epochs: 10, into: "teacher")
        let base = try ConfigNode.parse(yaml: """
            data: {dataset: digits, train_limit: 400}
            teacher: {model: mlp, hidden: [64], checkpoint: \(teacherWeights.path)}
            student: {model: mlp, hidden: [16]}
            training: {epochs: 7, batch_size: 32, optimizer: {name: adam, learning_rate: 0.003}}
            """, file: "auto.yaml")
        let auto = AutoDistiller(config: base, candidates: 4, epochs: 2, seed: 1)
        let space = try auto.searchSpace()
        XCTAssertEqual(space.count, 6 * 4 * 3 * 2, "6 objectives (DKD included: all labeled) × 4 temperatures × 3 hint weights × 2 augmentations")
        let trials = try auto.run(in: folder.appendingPathComponent("auto"))
        XCTAssertEqual(trials.count, 4)
        XCTAssertEqual(Set(trials.map(\.candidate)).count, 4, "distinct pipelines")
        XCTAssertEqual(trials.map(\.holdoutTop1), trials.map(\.holdoutTop1).sorted(by: >))
        XCTAssertTrue(trials.allSatisfy { $0.config.contains("validation: holdout") })
        let held = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: folder.appendingPathComponent("auto/candidate-0/summary.json")))
        XCTAssertLessThan(held.final!.count, 359, "scored on held-out training images, not the 359 test images")
        XCTAssertEqual(held.trainingSamples, 400)
        let recommendedOutput = folder.appendingPathComponent("auto/recommended").path
        let recommended = try auto.recommendedConfig(trials[0], output: recommendedOutput)
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: recommended, file: "recommended.yaml"))
        XCTAssertEqual(experiment.outputDirectory.path, recommendedOutput, "the recommended run has a folder of its own")
        XCTAssertEqual(experiment.trainer.options.epochs, 7)
        XCTAssertEqual(experiment.data.validation?.count, 359)
        // The written file loads back to the same config: the base's own keys unchanged, the
        // search's (losses, augmentation, output) as the trial's pipeline has them.
        let written = try ConfigNode.load(contentsOf: try auto.write(trials, in: folder.appendingPathComponent("auto")))
        XCTAssertEqual(written.scalarsByPath, try ConfigNode.parse(yaml: recommended, file: "recommended.yaml").scalarsByPath)
        for (key, value) in base.scalarsByPath where !key.hasPrefix("losses") && !key.hasPrefix("data.augmentation") && key != "output" {
            XCTAssertEqual(written.scalarsByPath[key], value, key)
        }
        XCTAssertEqual(written.scalarsByPath["output"], recommendedOutput)
        XCTAssertEqual(try JSONDecoder().decode([AutoDistiller.Trial].self, from: Data(contentsOf: folder.appendingPathComponent("auto/ranking.json"))), trials)
        // Every trial's config, written as YAML data, loads back to its candidate's pipeline.
        for trial in trials {
            let loaded = try Experiment(config: try ConfigNode.parse(yaml: trial.config, file: "trial.yaml"), kind: .distill)
            let terms = (loaded.trainer.objective as! DistillationObjective).lossTerms.terms
            let candidate = trial.candidate
            let expected: [String] = switch candidate.objective {
            case "kd": ["kd"]
            case "ssld": ["ssld"]
            case "dkd+ce (β 2)", "dkd+ce (β 8)": ["ce", "dkd"]
            default: ["kd", "ce"]
            }
            XCTAssertEqual(terms.map { $0.term.name }, expected + (candidate.hintWeight > 0 ? ["fitnets"] : []), candidate.summary)
            if let kd = terms.first(where: { $0.term is KnowledgeDistillationLoss }) {
                XCTAssertEqual((kd.term as! KnowledgeDistillationLoss).temperature, candidate.temperature)
                XCTAssertEqual(kd.weight, candidate.objective == "kd+ce (α 0.5)" ? 0.5 : candidate.objective == "kd+ce (α 0.9)" ? 0.9 : 1)
            }
            if let hint = terms.first(where: { $0.term.name == "fitnets" }) { XCTAssertEqual(hint.weight, candidate.hintWeight) }
        }
        print(AutoDistiller.table(trials))
    }

    /// DistillNearest / DistillWeighted from a config: of a trained source and an untrained
    /// one, both similarity measures pick (or weight up) the trained one.
    func testSourcesAreChosenByTaskSimilarityFromAConfig() throws {
        let trainedWeights = try trainedDigitsMLP(hidden: 32, epochs: 5, into: "trained")
        var generator = RandomGenerator(seed: 9)
        try MLP(widths: [64, 32, 10], using: &generator).save(to: folder.appendingPathComponent("untrained.safetensors"))
        for (select, similarity) in [("nearest", "leep"), ("nearest", "knn"), ("weighted", "leep")] {
            let experiment = try Experiment(config: try ConfigNode.parse(yaml: """
                data: {dataset: digits, labeled_fraction: 0.1}
                teacher:
                  sources:
                    - {model: mlp, hidden: [32], feature: "1", checkpoint: \(folder.appendingPathComponent("untrained.safetensors").path)}
                    - {model: mlp, hidden: [32], feature: "1", checkpoint: \(trainedWeights.path)}
                  select: \(select)
                  similarity: \(similarity)
                  temperature: 0.05
                student: {model: mlp, hidden: [8]}
                losses: [{name: kd}]
                """, file: "sources.yaml"))
            let name = experiment.teacherName!
            print(name)
            if select == "nearest" {
                XCTAssertTrue(name.contains("source 1"), name)
                XCTAssertTrue(experiment.teacherModel === (experiment.teacher as? ModelTeacher)?.model)
            } else {
                let weights = (experiment.teacher as! EnsembleTeacher).weights
                XCTAssertGreaterThan(weights[1], 0.9, name)
            }
        }
    }
}
