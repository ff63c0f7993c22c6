import ArgumentParser
import Experiments
import Foundation
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
        var evaluation: AttackEvaluation
        do {
            evaluation = try AttackEvaluation(attacks: attacks, threat: ThreatModel(norm: normValue, epsilon: epsilon), limit: limit, seed: seed)
        } catch { throw CommandFailure("--attacks: \(error)") }

        let experiment = try options.experiment(nil)
        try experiment.loadTrainedWeights(from: weights.map { URL(fileURLWithPath: $0) })
        if let surrogate {
            let run = try Experiment(configFile: URL(fileURLWithPath: surrogate), dataDirectory: options.dataDir)
            try run.loadTrainedWeights()
            evaluation.addTransfer(from: run.model)
        }
        var line = ProgressLine()
        let outcome = try experiment.attack(by: evaluation, curveBudgets: curve) { done, total in
            line.update("attacking", done: done, of: total, samples: done, detail: "\(evaluation.attacks.count) attacks")
        }
        line.clear()
        print("\(experiment.modelName) on \(experiment.data.name), \(norm) ε = \(epsilon), \(outcome.report.count) samples\n")
        print(outcome.report.markdown())
        print("\nreport in \(outcome.reportFile.path)")
        if let series = outcome.curve, let curveFile = outcome.curveFile {
            for point in series.points { print(String(format: "ε = %.4g  accuracy %.2f%%", point.epsilon, point.accuracy * 100)) }
            print("curve in \(curveFile.path)")
        }
    }
}
