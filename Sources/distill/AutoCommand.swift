import ArgumentParser
import Experiments
import Foundation

/// `distill auto config.yaml`: search the distillation pipeline for a teacher, student and data set.
struct AutoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto",
        abstract: "Search the distillation pipeline (losses, temperature, hints, augmentation) with a budget of short runs scored on held-out training data, and write the ranking and the recommended config.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "How many pipelines to try.")
    var candidates = 8

    @Option(help: "Epochs per trial.")
    var epochs = 3

    @Option(help: "Seed for drawing the pipelines.")
    var seed: UInt64 = 0

    func run() throws {
        guard (1...10_000).contains(candidates) else { throw CommandFailure("--candidates must be in 1…10000, found \(candidates)") }
        guard (1...Experiment.maximumEpochs).contains(epochs) else { throw CommandFailure("--epochs must be in 1…\(Experiment.maximumEpochs), found \(epochs)") }
        let config = try ConfigNode.load(contentsOf: URL(fileURLWithPath: options.config))
        let auto = AutoDistiller(config: config, candidates: candidates, epochs: epochs, seed: seed)
        let base = try options.experiment(.distill)
        // Beside the base run's folder, never in it: the search leaves that run as it was.
        let folder = options.output.map { URL(fileURLWithPath: $0) }
            ?? base.outputDirectory.deletingLastPathComponent().appendingPathComponent(base.outputDirectory.lastPathComponent + "-auto")
        let spaceSize = try auto.searchSpace().count
        print("trying \(min(candidates, spaceSize)) of \(spaceSize) pipelines, \(epochs) epochs each, scored on held-out training data")
        let trials = try auto.run(in: folder, printsProgress: true)
        print("\n" + AutoDistiller.table(trials))
        let recommended = try auto.write(trials, in: folder)
        print("\nrecommended: \(trials[0].candidate.summary)\nconfig in \(recommended.path) (run it with: distill distill \(recommended.path))")
    }
}
