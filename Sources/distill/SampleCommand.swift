import ArgumentParser
import Experiments
import Foundation
import Generative

/// `distill sample config.yaml`: samples from a trained diffusion or flow model.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a generative run's trained network (a denoising teacher or a distilled student): a PNG grid for images, an SVG plot for 2-D points, and the samples as .npy.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Sampler steps (1…10000; default: the method's own, 32 for a denoising run, a one-step student's 1).")
    var steps: Int?
    @Option(help: "A denoising run's sampler: \(Sampler.Method.allCases.map(\.rawValue).joined(separator: ", ")) (default euler). A distilled student samples by its own steps.")
    var sampler: String?
    @Option(help: "DDIM's noise strength η (0…1; ddim only).")
    var eta = 0.0
    @Option(help: ArgumentHelp("A consistency or scm student's re-noising levels between its steps: steps − 1 noise levels σ, descending, comma-separated (default: the interior of Karras's grid).", valueName: "σ,σ,…"))
    var levels: String?
    @Option(help: "How many samples (1…65536).")
    var count = 64
    @Option(help: "Classifier-free guidance scale (≥ 0; 1 samples the conditional model alone). Conditional models only.")
    var guidance = 1.0
    @Option(name: .customLong("class"), help: "Draw this class only (default: every class in turn). Conditional models only.")
    var classLabel: Int?
    @Option(help: "The sampling seed.")
    var seed: UInt64 = 0
    @Option(help: "A safetensors file to sample from instead of the run's model.safetensors.")
    var weights: String?
    @Option(help: "A trained classifier's config (same data set): score the samples by FD, precision, recall and conditional accuracy in its penultimate features.")
    var scoreWith: String?

    func run() throws {
        let method = try sampler.map { name in
            guard let method = Sampler.Method(rawValue: name) else {
                throw CommandFailure("--sampler '\(name)' is not one of \(Sampler.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return method
        }
        if let steps, !(1...10_000).contains(steps) { throw CommandFailure("--steps must be in 1…10000, found \(steps)") }
        guard (1...65_536).contains(count) else { throw CommandFailure("--count must be in 1…65536, found \(count)") }
        guard guidance.isFinite, guidance >= 0 else { throw CommandFailure("--guidance must be a finite number ≥ 0, found \(guidance)") }
        guard eta.isFinite, (0...1).contains(eta), eta == 0 || method == .ddim else { throw CommandFailure("--eta must be in 0…1, and only with --sampler ddim; found \(eta)") }
        let noiseLevels = try levels.map { list in
            try list.split(separator: ",", omittingEmptySubsequences: false).map { item in
                guard let level = Double(item.trimmingCharacters(in: .whitespaces)), level.isFinite, level > 0 else {
                    throw CommandFailure("--levels takes positive numbers separated by commas, found '\(item)' in '\(list)'")
                }
                return level
            }
        }
        let experiment = try options.experiment(nil)
        let result = try experiment.sample(steps: steps, sampler: method, eta: eta, levels: noiseLevels, count: count, guidance: guidance, classLabel: classLabel, seed: seed,
                                           weights: weights.map { URL(fileURLWithPath: $0) })
        print(String(format: "%d samples, %@, %d NFE, %.2f s", count, result.name, result.evaluations, result.seconds))
        for file in result.files { print("wrote \(file.path)") }
        if experiment.data.sampleShape.count == 1 && count >= 2 {
            let (distance, discrepancy) = try experiment.scorePoints(result)
            print(String(format: "against the validation points: SWD %.4f  MMD %.4f", distance, discrepancy))
        }
        if let scoreWith {
            let report = try experiment.score(result, classifier: try Experiment(configFile: URL(fileURLWithPath: scoreWith), kind: nil, dataDirectory: options.dataDir))
            print(String(format: "FD %.3f  precision %.3f  recall %.3f", report.frechetDistance, report.precision, report.recall)
                  + (report.conditionalAccuracy.map { String(format: "  conditional accuracy %.3f", $0) } ?? ""))
        }
    }
}
