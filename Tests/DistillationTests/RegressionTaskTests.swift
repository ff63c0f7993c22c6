import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// A task other than classification through the same trainer: regressing each digit's ink
/// centre (row, column) from its 8×8 image, with the regression's metrics in `metrics.jsonl`.
final class RegressionTaskTests: XCTestCase {
    /// The digits as flat images `[N, 64]` with targets `[N, 2]`: the centre of mass of the
    /// ink, each coordinate scaled from 0…7 to −1…1.
    private static func inkCentres(_ split: DataSplit) throws -> TensorDataset {
        let digits = try DatasetCatalog.load("digits", split: split)
        let n = digits.count
        let pixels = digits.inputs.reshaped([n, 64])
        let values = pixels.scalars
        var centres: [Float] = []
        for i in 0..<n {
            var (mass, row, column): (Float, Float, Float) = (0, 0, 0)
            for p in 0..<64 {
                let ink = values[i * 64 + p]
                (mass, row, column) = (mass + ink, row + ink * Float(p / 8), column + ink * Float(p % 8))
            }
            centres += [row / mass / 3.5 - 1, column / mass / 3.5 - 1]
        }
        return try TensorDataset(inputs: pixels, labels: Tensor(centres, shape: [n, 2]))
    }

    func testARegressorTrainsAndItsMetricsAreRecordedPerEpoch() throws {
        let (train, test) = (try Self.inkCentres(.train), try Self.inkCentres(.test))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("regression-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let metricsFile = folder.appendingPathComponent("metrics.jsonl")
        var generator = RandomGenerator(seed: 11)
        let student = MLP(widths: [64, 32, 2], using: &generator)
        let trainer = Trainer(
            student: student, teacher: nil, loss: WeightedLoss([(1, TargetRegressionTerm())]), optimizer: Adam(learningRate: 3e-3),
            options: TrainingOptions(epochs: 6, batchSize: 32, schedule: .constant(3e-3), seed: 12, metricsFile: metricsFile,
                                     evaluation: RegressionEvaluation()))
        let history = try trainer.fit(train, validation: test)

        let final = try XCTUnwrap(history.last?.validation.flatMap(RegressionMetrics.init))
        XCTAssertEqual(final.count, test.count)
        // The mean predictor has R² = 0; the trained one explains most of the variance.
        XCTAssertGreaterThan(final.rSquared, 0.8, "R² \(final.rSquared)")
        XCTAssertLessThan(final.meanSquaredError, history.first!.validation!["mse"]!, "the error falls as it trains")
        XCTAssertEqual(try trainer.evaluate(on: test, by: RegressionEvaluation()), final)

        // One JSON object per epoch, the regression's figures under their documented keys.
        let lines = try String(contentsOf: metricsFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        for (epoch, line) in lines.enumerated() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["epoch"] as? Int, epoch + 1, "epochs are numbered from 1")
            let validation = try XCTUnwrap(object["validation"] as? [String: Any])
            XCTAssertEqual(validation["task"] as? String, "regression")
            XCTAssertEqual(validation["count"] as? Int, test.count)
            XCTAssertEqual(Set(validation.keys), ["task", "count", "mse", "mae", "r2"])
            // JSONSerialization may round the last bit differently from JSONDecoder.
            let mse = try XCTUnwrap(validation["mse"] as? Double), recorded = history[epoch].validation!["mse"]!
            XCTAssertEqual(mse, recorded, accuracy: recorded * 1e-12)
        }
    }

    func testRegressionMetricsByHand() {
        let targets = Tensor([0, 0, 2, 4], shape: [2, 2]), predictions = Tensor([1, 0, 2, 2], shape: [2, 2])
        let metrics = RegressionMetrics(predictions: predictions, targets: targets, teacherPredictions: targets)
        XCTAssertEqual(metrics.meanSquaredError, 5.0 / 4)
        XCTAssertEqual(metrics.meanAbsoluteError, 3.0 / 4)
        // SST: column 0 about 1 → 2, column 1 about 2 → 8; SSE 5.
        XCTAssertEqual(metrics.rSquared, 1 - 5.0 / 10, accuracy: 1e-12)
        XCTAssertEqual(metrics.teacherMeanSquaredError, 5.0 / 4)
        XCTAssertEqual(RegressionMetrics(metrics.record), metrics)
        XCTAssertNil(ClassificationMetrics(metrics.record), "a record of another task is not a classifier's")
    }

    func testRecordsRoundTripAndRecordsWrittenBeforeTasksStillRead() throws {
        let metrics = ClassificationMetrics(logits: Tensor([2, 0, 0, 1], shape: [2, 2]), labels: Tensor([0, 0]), teacherLogits: Tensor([1, 0, 1, 0], shape: [2, 2]))
        let encoded = try JSONEncoder().encode(metrics.record)
        let decoded = try JSONDecoder().decode(EvaluationRecord.self, from: encoded)
        XCTAssertEqual(decoded, metrics.record)
        XCTAssertEqual(ClassificationMetrics(decoded), metrics)
        // The form `ClassificationMetrics` was stored in before records had a task.
        let legacy = #"{"top1":0.5,"top5":1,"expectedCalibrationError":0.25,"loss":0.75,"teacherAgreement":0.5,"count":2}"#
        let old = try JSONDecoder().decode(EvaluationRecord.self, from: Data(legacy.utf8))
        XCTAssertEqual(old, EvaluationRecord(task: "classification", count: 2,
                                             values: ["top1": 0.5, "top5": 1, "ece": 0.25, "loss": 0.75, "teacher_agreement": 0.5]))
    }
}
