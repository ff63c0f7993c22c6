import Experiments
import Foundation
import Glibc
import NN
import Tensors
import Training
import XCTest

/// What a run does with what a kill, a second run, a changed config or bad weights leave in
/// its output folder: nothing is lost, doubled or silently mixed.
final class RunSafetyTests: FolderTestCase {
    private var output: URL { folder.appendingPathComponent("run") }

    /// A small digits run; `training` replaces its training section's body.
    private func experiment(epochs: Int, temperature: String = "1", training: String? = nil) throws -> Experiment {
        let yaml = """
            data: {dataset: digits, train_limit: 128}
            model: {model: mlp, hidden: [16]}
            losses: [{name: ce, weight: 1, label_smoothing: \(temperature == "1" ? "0" : "0.1")}]
            training: {\(training ?? "epochs: \(epochs), batch_size: 32, optimizer: {name: sgd, learning_rate: 0.1}")}
            """
        return try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), kind: .train, outputDirectory: output)
    }

    private func metricsLines() throws -> [String] {
        try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testAResumedRunHasOneMetricsLinePerEpochNumberedFromOneWithSortedKeys() throws {
        try experiment(epochs: 2).run()
        // A kill between an epoch's metrics line and its checkpoint (the order before) left
        // the line twice: the resumed run's file holds what the checkpoint holds.
        let lines = try metricsLines()
        try Data((lines + [lines[1]]).joined(separator: "\n").utf8).write(to: output.appendingPathComponent("metrics.jsonl"))
        try experiment(epochs: 4).run()
        let resumed = try metricsLines()
        XCTAssertEqual(resumed.count, 4)
        let epochs = try resumed.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["epoch"] as? Int }
        XCTAssertEqual(epochs, [1, 2, 3, 4])
        for line in resumed {
            XCTAssertTrue(line.hasPrefix(#"{"epoch":"#), line)
            XCTAssertTrue(line.range(of: #""learningRate""#)!.lowerBound < line.range(of: #""step""#)!.lowerBound, "keys in sorted order: \(line)")
        }
    }

    func testTemporaryFilesOfKilledWritesAreRemovedOnTheNextStart() throws {
        try experiment(epochs: 1).run()
        let checkpoints = output.appendingPathComponent("checkpoints")
        let orphans = [checkpoints.appendingPathComponent(".last.safetensors.partial-4242"), checkpoints.appendingPathComponent(".dat.nosyncA1b2C3"),
                       output.appendingPathComponent(".summary.json.partial-77")]
        for orphan in orphans { try Data(count: 1000).write(to: orphan) }
        try experiment(epochs: 2).run()
        for orphan in orphans { XCTAssertFalse(FileManager.default.fileExists(atPath: orphan.path), orphan.lastPathComponent) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoints.appendingPathComponent("last.safetensors").path))
    }

    func testAChangedConfigRefusesToResumeNamingTheKeysButMoreEpochsResume() throws {
        try experiment(epochs: 2).run()
        XCTAssertThrowsError(try experiment(epochs: 3, temperature: "4").run()) { error in
            XCTAssertEqual("\(error)", "\(self.output.path)/checkpoints/last.safetensors was written under another config: losses[0].label_smoothing (0 → 0.1) differ (only training.epochs may change to resume); pass --fresh to start over, or give the run another output")
        }
        XCTAssertEqual(try metricsLines().count, 2, "the refused run changed nothing")
        XCTAssertEqual(try experiment(epochs: 3).run().history.count, 3)
        XCTAssertEqual(try experiment(epochs: 3, temperature: "4").run(fresh: true).history.count, 3)
    }

    func testASecondRunIntoTheSameOutputIsRefusedNamingTheHoldersPID() throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let lockPath = output.appendingPathComponent(".lock").path
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o644)
        defer { close(descriptor) }
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        _ = "31337\n".withCString { write(descriptor, $0, 6) }
        XCTAssertThrowsError(try experiment(epochs: 1).run()) { error in
            XCTAssertEqual("\(error)", "\(self.output.path) is in use by another run (PID 31337); wait for it to finish, or give this run another output")
        }
        flock(descriptor, LOCK_UN)
        XCTAssertNoThrow(try experiment(epochs: 1).run(), "the lock is free again")
    }

    func testALossGrowingByOrdersOfMagnitudeStopsTheRun() throws {
        // SGD at learning rate 1000: the loss stays finite for a while but explodes.
        let run = try experiment(epochs: 5, training: "epochs: 5, batch_size: 32, optimizer: {name: sgd, learning_rate: 1000, momentum: 0}")
        XCTAssertThrowsError(try run.run()) { error in
            guard let diverged = error as? TrainingDiverged else { return XCTFail("\(error)") }
            XCTAssertNotNil(diverged.firstLoss)
            XCTAssertTrue("\(error)".contains("the loss grew from"), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("Lower the learning rate or a loss weight"), "\(error)")
        }
    }

    func testATeacherWithNaNWeightsIsRefusedAtLoad() throws {
        var generator = RandomGenerator(seed: 1)
        let teacher = MLP(widths: [64, 16, 10], using: &generator)
        var state = teacher.stateDict()
        let key = state.keys.sorted()[0]
        state[key] = Tensor(shape: state[key]!.shape, repeating: .nan)
        let weights = folder.appendingPathComponent("teacher.safetensors")
        try SafeTensors.write(state, to: weights)
        let message = validationError(distillConfig(["teacher": "teacher: {model: mlp, hidden: [16], checkpoint: \(weights.path)}"]))
        XCTAssertTrue(message.hasPrefix("run.yaml:2: teacher.checkpoint: \(weights.path) does not fit the model: \(key) holds NaN or infinite values"), message)
    }
}
