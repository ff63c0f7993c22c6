import Experiments
import Foundation
import NN
import Tensors
import Training
import XCTest

/// Loss terms that train in an initialisation stage (FSP, AB, FT's paraphraser), from a config: the run trains the
/// stage first, names it in its metrics and summary, and refuses what cannot run.
final class StageConfigTests: FolderTestCase {
    /// A CIFAR-10 in the binary layout (the data set is not installed on a fresh machine):
    /// 8 random 32×32 images per batch file, labels 0–9 in turn.
    private func tinyCIFAR() throws -> URL {
        let directory = folder.appendingPathComponent("data/cifar10")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: 9)
        for (file, name) in ((1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]).enumerated() {
            var bytes: [UInt8] = []
            for image in 0..<8 {
                bytes.append(UInt8((file * 8 + image) % 10))
                bytes += (0..<3072).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }
        return directory.deletingLastPathComponent()
    }

    /// A resnet8 teacher's weights (random: the runs here test the plumbing, not accuracy).
    private func teacherWeights() throws -> URL {
        var generator = RandomGenerator(seed: 1)
        let url = folder.appendingPathComponent("teacher.safetensors")
        try CIFARResNet(named: "resnet8", using: &generator)!.save(to: url)
        return url
    }

    private func config(losses: String) throws -> String {
        """
        data: {dataset: cifar10}
        teacher: {model: resnet8, checkpoint: \(try teacherWeights().path)}
        student: {model: resnet8}
        losses:
        \(losses)
        training: {epochs: 2, batch_size: 16, optimizer: {name: sgd, learning_rate: 0.01}}
        """
    }

    private let fsp = #"  - {name: fsp, student: [layer1, layer2, layer3], teacher: [layer1, layer2, layer3], initialisation: {epochs: 2, optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}}}"#

    func testAnFSPRunTrainsItsStageFirstAndNamesIt() throws {
        let output = folder.appendingPathComponent("run")
        let yaml = try config(losses: fsp + "\n  - {name: ce}")
        let summary = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), outputDirectory: output,
                                     dataDirectory: try tinyCIFAR().path).run()
        XCTAssertEqual(summary.history.map(\.stage), ["fsp", "fsp", nil, nil])
        XCTAssertEqual(summary.mainEpochs.map(\.epoch), [1, 2])
        XCTAssertEqual(Set(summary.history[0].trainLoss.keys), ["fsp", "total"])
        XCTAssertEqual(Set(summary.history[2].trainLoss.keys), ["ce", "total"], "FSP takes no part in the main training")
        XCTAssertTrue(summary.markdown().contains("- epochs: 2, "), summary.markdown())
        XCTAssertTrue(summary.markdown().contains("; before them, stage fsp: 2 epochs"), summary.markdown())
        let lines = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[1].contains(#""stage":"fsp""#))
        // More main epochs resume after the stage, without training it again.
        let more = yaml.replacingOccurrences(of: "epochs: 2, batch_size", with: "epochs: 3, batch_size")
        let resumed = try Experiment(config: try ConfigNode.parse(yaml: more, file: "run.yaml"), outputDirectory: output,
                                     dataDirectory: try tinyCIFAR().path).run()
        XCTAssertEqual(resumed.history.map(\.stage), ["fsp", "fsp", nil, nil, nil])
        XCTAssertEqual(Array(resumed.history.prefix(4)), summary.history)
    }

    /// AB reads the blocks' features before the ReLU (`preact`), through a connector where the
    /// maps differ, in its own initialisation stage.
    func testAnABRunTrainsItsConnectorsInItsStage() throws {
        let ab = """
              - name: ab
                pairs: [{student: layer1.0.preact, teacher: layer2.0.preact}, {student: layer3.0.preact, teacher: layer3.0.preact}]
                initialisation: {epochs: 1, optimizer: {name: sgd, learning_rate: 0.01}}
              - {name: ce}
            """
        let summary = try Experiment(config: try ConfigNode.parse(yaml: try config(losses: ab), file: "run.yaml"), outputDirectory: folder.appendingPathComponent("ab"),
                                     dataDirectory: try tinyCIFAR().path).run()
        XCTAssertEqual(summary.history.map(\.stage), ["ab", nil, nil])
        XCTAssertEqual(Set(summary.history[0].trainLoss.keys), ["ab", "total"])
        let checkpoint = try SafeTensors.read(contentsOf: folder.appendingPathComponent("ab/checkpoints/last.safetensors")).tensors
        XCTAssertNotNil(checkpoint["model.stages.ab.0.conv.weight"], "the connector is in the run's checkpoint: \(checkpoint.keys.filter { $0.contains("stages") })")
        XCTAssertNotNil(checkpoint["model.stages.ab.0.bn.running_mean"])
    }

    /// The CIFAR examples of AB and FSP build (CIFAR is not installed here, so the example
    /// test skips them): their paths exist in resnet32x4 and resnet8x4, and each run has the
    /// initialisation stage its config describes.
    func testTheCIFARStageExamplesBuild() throws {
        var generator = RandomGenerator(seed: 1)
        let teacher = folder.appendingPathComponent("resnet32x4.safetensors")
        try CIFARResNet(named: "resnet32x4", using: &generator)!.save(to: teacher)
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
        for (name, stage) in [("ab", "ab"), ("fsp", "fsp"), ("ft", "ft_paraphraser")] {
            let text = try String(contentsOf: examples.appendingPathComponent("cifar10-resnet8x4-\(name).yaml"), encoding: .utf8)
                .replacingOccurrences(of: "../runs/cifar10-resnet32x4/model.safetensors", with: teacher.path)
                .replacingOccurrences(of: "../runs/", with: folder.path + "/")
            let experiment = try Experiment(config: try ConfigNode.parse(yaml: text, file: "\(name).yaml"), dataDirectory: try tinyCIFAR().path)
            XCTAssertEqual(experiment.trainer.stages.map(\.name), [stage])
            XCTAssertEqual(experiment.trainer.stages.map(\.epochs), [30])
        }
    }

    /// FT's paraphraser trains in its stage at RepDistiller's rate for ResNet students, 0.01,
    /// and the term then trains with cross-entropy.
    func testAnFTRunTrainsItsParaphraserFirst() throws {
        let ft = "  - {name: ce}\n  - {name: ft, weight: 200, student: layer3, teacher: layer3, initialisation: {epochs: 1}}"
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: try config(losses: ft), file: "run.yaml"),
                                        outputDirectory: folder.appendingPathComponent("ft"), dataDirectory: try tinyCIFAR().path)
        XCTAssertEqual(experiment.trainer.stages.map { $0.schedule.learningRate(at: 0) }, [0.01])
        XCTAssertFalse(experiment.trainer.stages[0].trainsStudent)
        let summary = try experiment.run()
        XCTAssertEqual(summary.history.map(\.stage), ["ft_paraphraser", nil, nil])
        XCTAssertEqual(Set(summary.history[0].trainLoss.keys), ["ft_paraphraser", "total"])
        XCTAssertEqual(Set(summary.history[1].trainLoss.keys), ["ce", "ft", "total"])
    }

    func testStageSettingsAndAStageOnlyLossListAreRefusedByKey() throws {
        let data = try tinyCIFAR().path
        func error(_ losses: String) throws -> String {
            do {
                _ = try Experiment(config: try ConfigNode.parse(yaml: try config(losses: losses), file: "run.yaml"),
                                   outputDirectory: folder.appendingPathComponent("unused"), dataDirectory: data)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(try error(fsp), "run.yaml:5: losses: 'fsp' trains only in an initialisation stage; add a term for the main training after it, such as {name: ce}")
        XCTAssertEqual(try error(fsp.replacingOccurrences(of: "epochs: 2", with: "epochs: 0") + "\n  - {name: ce}"),
                       "run.yaml:5: losses[0].initialisation.epochs: must be in [1, 100000], found 0")
        XCTAssertTrue(try error(fsp.replacingOccurrences(of: "epochs: 2", with: "epoch: 2") + "\n  - {name: ce}")
            .hasPrefix("run.yaml:5: losses[0].initialisation.epoch: unknown key (valid here: epochs, optimizer)"))
        XCTAssertTrue(try error(fsp.replacingOccurrences(of: "name: sgd", with: "name: sgdd") + "\n  - {name: ce}")
            .hasPrefix("run.yaml:5: losses[0].initialisation.optimizer.name: unknown optimizer 'sgdd'"))
        XCTAssertEqual(try error("  - {name: ab, pairs: [{student: layer3.0.preact, teacher: layer1.0.preact}]}\n  - {name: ce}"),
                       "run.yaml:5: losses[0].pairs[0]: ab's connector maps the student's map to the teacher's size: it must be at least as large, or half as large; the student's is [2, 64, 8, 8], the teacher's [2, 16, 32, 32]")
        let unknown = try error("  - {name: ab, pairs: [{student: layer1.0.preactivation, teacher: layer1.0.preact}]}\n  - {name: ce}")
        XCTAssertTrue(unknown.hasPrefix("run.yaml:5: losses[0].pairs[0].student: no module 'layer1.0.preactivation' in the student (valid: "), unknown)
        XCTAssertTrue(unknown.contains("layer1.0.preact,"), unknown)
    }
}
