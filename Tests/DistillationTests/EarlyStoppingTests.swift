import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// Early stopping keeps the best validation epoch's weights, stops `patience` epochs past it,
/// and a resumed run that had stopped stays stopped with the same weights.
final class EarlyStoppingTests: XCTestCase {
    /// A wide student on 24 overlapping samples overfits: its validation loss falls, then rises.
    private func run(patience: Int?, epochs: Int = 40, checkpoints: URL? = nil) throws -> (trainer: Trainer, history: [EpochRecord]) {
        let training = SyntheticData.gaussianMixture(count: 24, components: 3, radius: 1, standardDeviation: 0.8, seed: 2)
        let validation = SyntheticData.gaussianMixture(count: 300, components: 3, radius: 1, standardDeviation: 0.8, seed: 3)
        var generator = RandomGenerator(seed: 4)
        let student = MLP(widths: [2, 128, 128, 3], using: &generator)
        var options = TrainingOptions(epochs: epochs, batchSize: 8, schedule: .constant(0.01), seed: 5, checkpointDirectory: checkpoints)
        options.earlyStopping = EarlyStopping(metric: "loss", patience: patience)
        let trainer = Trainer(student: student, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), optimizer: Adam(learningRate: 0.01),
                              options: options)
        return (trainer, try trainer.fit(training, validation: validation))
    }

    private func validationLoss(of trainer: Trainer) throws -> Double {
        let validation = SyntheticData.gaussianMixture(count: 300, components: 3, radius: 1, standardDeviation: 0.8, seed: 3)
        return try trainer.evaluate(on: validation).record["loss"]!
    }

    func testTheBestEpochIsKeptAndTrainingStopsPatienceEpochsPastIt() throws {
        let (full, history) = try run(patience: nil)
        XCTAssertEqual(history.count, 40, "without patience every epoch runs")
        let losses = history.map { $0.validation!["loss"]! }
        let best = losses.indices.min { losses[$0] < losses[$1] }!
        XCTAssertEqual(full.keptEpoch, best + 1)
        XCTAssertLessThan(best + 1, 30, "the student overfits: its validation loss is lowest early (\(losses))")
        XCTAssertEqual(try validationLoss(of: full), losses[best], accuracy: 1e-9, "the student holds the kept epoch's weights")

        // With patience 5 the run is the same epochs up to its stop, five past the best so far.
        let (stopped, prefix) = try run(patience: 5)
        let stop = (1...40).first { epoch in epoch - (losses[..<epoch].indices.min { losses[$0] < losses[$1] }! + 1) >= 5 }!
        XCTAssertEqual(prefix.count, stop)
        XCTAssertLessThan(prefix.count, 40)
        XCTAssertEqual(prefix.map { $0.validation!["loss"]! }, Array(losses[..<stop]))
        XCTAssertEqual(stopped.keptEpoch, EarlyStopping(metric: "loss").best(in: prefix)!.epoch)
    }

    func testAStoppedRunResumesStoppedWithTheKeptWeights() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("early-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, history) = try run(patience: 5, checkpoints: folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("best.safetensors").path))
        let (resumed, resumedHistory) = try run(patience: 5, checkpoints: folder)
        XCTAssertEqual(resumedHistory, history, "no epoch is trained after the stop")
        XCTAssertEqual(resumed.keptEpoch, first.keptEpoch)
        for ((path, a), (_, b)) in zip(first.student.namedParameters(), resumed.student.namedParameters()) {
            XCTAssertEqual(a.wrappedValue.scalars, b.wrappedValue.scalars, path)
        }
    }

    func testAMetricTheEvaluationLacksIsRefusedByName() throws {
        let data = SyntheticData.gaussianMixture(count: 24, components: 3, radius: 1, standardDeviation: 0.8, seed: 2)
        var generator = RandomGenerator(seed: 4)
        var options = TrainingOptions(epochs: 2, batchSize: 8, schedule: .constant(0.01))
        options.earlyStopping = EarlyStopping(metric: "accuracy")
        let trainer = Trainer(student: MLP(widths: [2, 3], using: &generator), teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]),
                              optimizer: Adam(), options: options)
        XCTAssertThrowsError(try trainer.fit(data, validation: data)) { error in
            XCTAssertEqual("\(error)", "early stopping's metric 'accuracy' is not among the validation's values (ece, loss, top1, top5)")
        }
        XCTAssertThrowsError(try trainer.fit(data, validation: Optional<TensorDataset>.none)) { error in
            XCTAssertEqual("\(error)", "early stopping chooses an epoch by its validation metrics: give validation data")
        }
    }
}
