import Foundation

/// `distill demo`: the whole story on data that ships with Distillery, with no set-up. A
/// teacher MLP learns all 1,438 training digits; a small student (64-32-10) sees the labels
/// of 5 digits per class — once alone, once with the teacher's soft targets on the other
/// training images (Hinton et al.'s transfer set). Three configs, run as `distill` runs them.
public enum Demo {
    /// One row of the comparison.
    public struct Result {
        public let name: String
        public let summary: RunSummary
    }

    /// The three configs, with outputs under `folder`.
    public static func configs(in folder: URL) -> [(name: String, kind: Experiment.Kind, yaml: String)] {
        let teacherWeights = folder.appendingPathComponent("teacher/model.safetensors").path
        let fewLabels = "dataset: digits, labeled_fraction: 0.035, split_seed: 2"
        return [
            ("teacher", .train, """
                data: {dataset: digits}
                model: {model: mlp, hidden: [256, 256]}
                training: {epochs: 30, batch_size: 32, seed: 1, optimizer: {name: adam, learning_rate: 0.001}}
                output: \(folder.appendingPathComponent("teacher").path)
                """),
            ("student alone (50 labels)", .train, """
                data: {\(fewLabels)}
                model: {model: mlp, hidden: [32]}
                training: {epochs: 60, batch_size: 16, seed: 2, optimizer: {name: adam, learning_rate: 0.003}}
                output: \(folder.appendingPathComponent("student-alone").path)
                """),
            ("student distilled (50 labels + teacher)", .distill, """
                data: {\(fewLabels)}
                teacher: {model: mlp, hidden: [256, 256], checkpoint: \(teacherWeights)}
                student: {model: mlp, hidden: [32]}
                losses:
                  - {name: kd, weight: 0.9, temperature: 4}
                  - {name: ce, weight: 0.1}
                training: {epochs: 10, batch_size: 16, seed: 2, optimizer: {name: adam, learning_rate: 0.003}}
                output: \(folder.appendingPathComponent("student-distilled").path)
                """),
        ]
    }

    /// Runs the three configs in order and returns their summaries.
    public static func run(in folder: URL, printsProgress: Bool = true) throws -> [Result] {
        try configs(in: folder).map { name, kind, yaml in
            if printsProgress { print("== \(name)") }
            let config = try ConfigNode.parse(yaml: yaml, file: "demo: \(name)")
            let experiment = try Experiment(config: config, kind: kind, configText: yaml)
            return Result(name: name, summary: try experiment.run(fresh: true, printsProgress: printsProgress))
        }
    }

    /// The comparison as a Markdown table.
    public static func table(_ results: [Result]) -> String {
        var lines = ["| model | parameters | training samples | test top-1 | s/epoch |", "|---|---|---|---|---|"]
        for result in results {
            let s = result.summary
            lines.append(String(format: "| %@ | %d | %d | %.2f%% | %.2f |", result.name, s.parameters, s.trainingSamples,
                                (s.final?.top1 ?? .nan) * 100, s.secondsPerEpoch))
        }
        return lines.joined(separator: "\n")
    }
}
