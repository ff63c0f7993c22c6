import ArgumentParser
import Experiments
import Foundation
import Tensors
import Robustness
import Training

/// `distill attack config.yaml`: the run's model under a list of attacks.
struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Evaluate a run's model under adversarial attacks: clean, per-attack and worst-case accuracy, optionally accuracy against ε as SVG.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "A safetensors file to attack instead of the run's model.safetensors.")
    var weights: String?

    @Option(parsing: .upToNextOption, help: "Attacks to run (\(AttackCatalog.names.joined(separator: ", "))).")
    var attacks: [String] = ["fgsm", "pgd-20", "pgd-20-cw", "apgd-ce"]

    @Option(help: "The perturbation budget.")
    var epsilon: Float = 0.1

    @Option(help: "The norm of the budget: linf or l2.")
    var norm: String = "linf"

    @Option(help: "Attack only the first N validation samples.")
    var limit: Int?

    @Option(help: "Also attack with PGD-20 examples crafted on a surrogate: the config of an independently trained run (its model.safetensors is used).")
    var surrogate: String?

    @Option(parsing: .upToNextOption, help: "Budgets for an accuracy-against-ε curve under the first attack (e.g. 0 0.05 0.1 0.2).")
    var curve: [Float] = []

    @Option(help: "Seed for the attacks' random starts.")
    var seed: UInt64 = 0

    func run() throws {
        guard let normValue = ThreatModel.Norm(rawValue: norm) else { throw CommandFailure("--norm must be linf or l2, not '\(norm)'") }
        if let problem = ThreatModel.budgetProblem(epsilon, norm: normValue) { throw CommandFailure("--epsilon \(problem)") }
        for budget in curve {
            if let problem = ThreatModel.budgetProblem(budget, norm: normValue) { throw CommandFailure("--curve \(problem)") }
        }
        if let limit, limit < 1 { throw CommandFailure("--limit must be at least 1, found \(limit)") }
        let threat = ThreatModel(norm: normValue, epsilon: epsilon)
        var chosen = try attacks.map { name -> any Attack in
            do { return try AttackCatalog.attack(named: name, threat: threat) } catch { throw CommandFailure("--attacks: \(error)") }
        }
        let experiment = try options.experiment(nil)
        try experiment.loadTrainedWeights(from: weights.map { URL(fileURLWithPath: $0) })
        guard let validation = experiment.data.validation else { throw CommandFailure("\(options.config): data.validation is none: nothing to attack") }
        let inputDimension = experiment.data.sampleShape.reduce(1, *)
        for budget in [epsilon] + curve {
            if let problem = ThreatModel.budgetProblem(budget, norm: normValue, inputDimension: inputDimension) {
                throw CommandFailure("--\(budget == epsilon ? "epsilon" : "curve") \(problem)")
            }
        }
        if let surrogate {
            let run = try Experiment(configFile: URL(fileURLWithPath: surrogate), dataDirectory: options.dataDir)
            try run.loadTrainedWeights()
            chosen.append(TransferAttack(from: run.model, attack: PGD(threat, steps: 20)))
        }
        var line = ProgressLine()
        let report = try evaluateRobustness(experiment.model, on: validation, attacks: chosen, threat: threat, limit: limit, seed: seed) { done, total in
            line.update("attacking", done: done, of: total, samples: done, detail: "\(chosen.count) attacks")
        }
        line.clear()
        print("\(experiment.modelName) on \(experiment.data.name), \(norm) ε = \(epsilon), \(report.count) samples\n")
        print(report.markdown())
        try FileManager.default.createDirectory(at: experiment.outputDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let reportFile = experiment.outputDirectory.appendingPathComponent("robustness-\(norm)-\(epsilon).json")
        try AtomicFile.write(encoder.encode(report), to: reportFile)
        print("\nreport in \(reportFile.path)")
        if !curve.isEmpty, let first = attacks.first {
            let series = try AccuracyCurve.measure(experiment.model, on: validation, epsilons: curve.sorted(), label: "\(experiment.modelName), \(first)",
                                                   limit: limit, seed: seed) { try! AttackCatalog.attack(named: first, threat: ThreatModel(norm: normValue, epsilon: $0)) }
            let plot = AccuracyCurve(title: "\(experiment.data.name): accuracy under \(first)", norm: normValue, series: [series])
            let svgFile = experiment.outputDirectory.appendingPathComponent("accuracy-vs-epsilon-\(norm).svg")
            try AtomicFile.write(Data(plot.svg().utf8), to: svgFile)
            for point in series.points { print(String(format: "ε = %.4g  accuracy %.2f%%", point.epsilon, point.accuracy * 100)) }
            print("curve in \(svgFile.path)")
        }
    }
}
