import Experiments
import Foundation
import NN
import Tensors
import XCTest

/// The config the validation tests vary, and the teacher weights it names.
enum ConfigFixtures {
    /// A 64-16-10 MLP's weights, standing in for a trained teacher.
    static let teacherWeights: URL = {
        var generator = RandomGenerator(seed: 1)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-teacher-\(UUID()).safetensors")
        try! MLP(widths: [64, 16, 10], using: &generator).save(to: url)
        return url
    }()
}

extension XCTestCase {
    /// A valid distill config with `replacing` lines swapped in.
    func distillConfig(_ replacements: [String: String] = [:]) -> String {
        var lines = [
            "data: {dataset: digits, train_limit: 64}",                                            // 1
            "teacher: {model: mlp, hidden: [16], checkpoint: \(ConfigFixtures.teacherWeights.path)}",       // 2
            "student:",                                                                            // 3
            "  model: mlp",                                                                        // 4
            "  hidden: [8]",                                                                       // 5
            "losses:",                                                                             // 6
            "  - {name: kd, weight: 0.9, temperature: 4}",                                         // 7
            "  - {name: ce, weight: 0.1}",                                                         // 8
            "training:",                                                                           // 9
            "  epochs: 2",                                                                         // 10
            "  optimizer: {name: sgd, learning_rate: 0.1}",                                        // 11
        ]
        for (prefix, replacement) in replacements {
            let index = lines.firstIndex { $0.hasPrefix(prefix) }!
            lines[index] = replacement
        }
        return lines.joined(separator: "\n")
    }

    /// The error a config raises while it is validated.
    func validationError(_ yaml: String, kind: Experiment.Kind = .distill, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), kind: kind,
                               outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("unused"))
            XCTFail("the config was accepted", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

}

/// A test case with a fresh temporary `folder` per test, removed afterwards.
class FolderTestCase: XCTestCase {
    private(set) var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("distillery-\(type(of: self))-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }
}
