import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

final class TrainerTests: XCTestCase {
    func testMetricsByHand() {
        // Sample 0: correct with confidence ≈ 0.84; sample 1: wrong (label 2 is ranked second);
        // sample 2: wrong, label ranked last.
        let logits = Tensor([2, 0, 0, 0, 1, 0.5, 0, 0, 3], shape: [3, 3])
        let metrics = ClassificationMetrics(logits: logits, labels: Tensor([0, 2, 0]), teacherLogits: Tensor([1, 0, 0, 0, 0, 1, 0, 0, 1], shape: [3, 3]))
        XCTAssertEqual(metrics.top1, 1.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(metrics.top5, 1, "with 3 classes every label is in the top 5")
        XCTAssertEqual(metrics.teacherAgreement!, 2.0 / 3, accuracy: 1e-6)
        // ECE: each sample in its own bin: |correct − confidence| averaged.
        let confidences = logits.softmax(axis: 1).max(axis: 1).scalars.map(Double.init)
        let expected = (abs(1 - confidences[0]) + confidences[1] + confidences[2]) / 3
        XCTAssertEqual(metrics.expectedCalibrationError, expected, accuracy: 1e-6)
        XCTAssertEqual(metrics.count, 3)
    }

    func testEnsembleAveragesProbabilities() throws {
        var generator = RandomGenerator(seed: 1)
        let a = MLP(widths: [4, 3], using: &generator), b = MLP(widths: [4, 3], using: &generator)
        let x = Tensor.normal([5, 4], using: &generator)
        let expected = (a(x).softmax(axis: 1) * 0.25 + b(x).softmax(axis: 1) * 0.75)
        let ensemble = EnsembleTeacher([ModelTeacher(a), ModelTeacher(b)], weights: [1, 3])
        let logits = try ensemble.outputs(for: x, featurePaths: []).logits
        XCTAssertFalse(logits.requiresGradient)
        for (p, q) in zip(logits.softmax(axis: 1).scalars, expected.scalars) { XCTAssertEqual(p, q, accuracy: 1e-6) }
    }

    /// A loss that stops being finite ends the run with an error naming the epoch, the step
    /// and the loss terms, and leaves the last epoch's checkpoint as it was: finite weights.
    func testDivergingRunStopsWithAClearErrorAndKeepsTheLastCheckpoint() throws {
        let data = SyntheticData.gaussianMixture(count: 64, components: 3, radius: 2, standardDeviation: 0.5, seed: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = RandomGenerator(seed: 4)
        let student = MLP(widths: [2, 8, 3], using: &generator)
        // A sane first epoch (4 steps), then a learning rate of 10²⁸.
        let trainer = Trainer(
            student: student, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), optimizer: SGD(learningRate: 0.1),
            options: TrainingOptions(epochs: 5, batchSize: 16, schedule: .multiStep(base: 0.01, milestones: [4], gamma: 1e30), seed: 5,
                                     checkpointDirectory: folder))
        XCTAssertThrowsError(try trainer.fit(data, validation: data)) { error in
            guard let diverged = error as? TrainingDiverged else { return XCTFail("\(error)") }
            XCTAssertGreaterThanOrEqual(diverged.epoch, 1)
            XCTAssertNotNil(diverged.lossParts["ce"])
            XCTAssertTrue("\(error)".hasPrefix("training diverged at epoch \(diverged.epoch + 1), step \(diverged.step): the loss is not finite (ce "), "\(error)")
            XCTAssertTrue("\(error)".contains("last.safetensors (the end of the last completed epoch) is kept"), "\(error)")
        }
        let saved = try SafeTensors.read(contentsOf: folder.appendingPathComponent("last.safetensors")).tensors
        XCTAssertTrue(saved.keys.contains { $0.hasSuffix("0.weight") })
        XCTAssertTrue(saved.values.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }, "the kept checkpoint holds finite numbers")
    }

    func testInterruptedRunResumesExactlyAndLogsEachEpoch() throws {
        let data = SyntheticData.gaussianMixture(count: 96, components: 3, radius: 2, standardDeviation: 0.5, seed: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var teacherGenerator = RandomGenerator(seed: 3)
        let teacher = ModelTeacher(MLP(widths: [2, 16, 3], using: &teacherGenerator))
        func run(epochs: Int, checkpoints: URL?, metrics: URL?) throws -> (MLP, [EpochRecord]) {
            var generator = RandomGenerator(seed: 4)
            let student = MLP(widths: [2, 8, 3], using: &generator)
            let loss = WeightedLoss([(0.5, KnowledgeDistillationLoss(temperature: 2)), (0.5, CrossEntropyTerm())])
            let trainer = Trainer(
                student: student, teacher: teacher, loss: loss, optimizer: SGD(learningRate: 0.1, momentum: 0.9),
                options: TrainingOptions(epochs: epochs, batchSize: 16, schedule: .cosine(base: 0.1, total: 24, minimum: 0.01), seed: 5,
                                         checkpointDirectory: checkpoints, metricsFile: metrics))
            return (student, try trainer.fit(data, validation: data))
        }
        let (straight, straightHistory) = try run(epochs: 4, checkpoints: nil, metrics: nil)
        let metricsFile = folder.appendingPathComponent("metrics.jsonl")
        _ = try run(epochs: 2, checkpoints: folder, metrics: metricsFile)  // "interrupted" after two epochs
        let (resumed, resumedHistory) = try run(epochs: 4, checkpoints: folder, metrics: metricsFile)
        for ((path, a), (_, b)) in zip(straight.namedParameters(), resumed.namedParameters()) {
            XCTAssertEqual(a.wrappedValue.scalars, b.wrappedValue.scalars, path)
        }
        XCTAssertEqual(resumedHistory.map(\.epoch), [1, 2, 3, 4])
        XCTAssertEqual(resumedHistory.map(\.step), straightHistory.map(\.step))
        let lines = try String(contentsOf: metricsFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let last = try JSONDecoder().decode(EpochRecord.self, from: Data(lines[3].utf8))
        XCTAssertEqual(last.epoch, 4)
        XCTAssertNotNil(last.trainLoss["kd"])
        XCTAssertNotNil(last.validation?["teacher_agreement"])
        XCTAssertGreaterThan(last.validation!["top1"]!, 0.8, "the student learns the three clusters")
    }

    /// With a student view, the student sees the transformed batch and the teacher the
    /// original (DMAE's masked student, full-view teacher).
    func testStudentViewTransformsOnlyTheStudentsInputs() throws {
        final class Recorder: LossTerm {
            var seen: [(student: Tensor, teacher: Tensor)] = []
            var name: String { "recorder" }
            func callAsFunction(_ batch: DistillationBatch) -> Tensor {
                seen.append((batch.studentLogits.detached(), batch.teacherLogits!))
                return (batch.studentLogits * 0).sum()
            }
        }
        let recorder = Recorder()
        let data = try TensorDataset(inputs: Tensor.ones([8, 1, 4, 4]), labels: Tensor.zeros([8]))
        let objective = DistillationObjective(teacher: ModelTeacher(Flatten()), loss: WeightedLoss([(1, recorder)]),
                                              studentView: RandomPatchMasking(patch: 2, ratio: 0.5))
        try Trainer(student: Flatten(), objective: objective, optimizer: SGD(learningRate: 0.1),
                    options: TrainingOptions(epochs: 1, batchSize: 4, schedule: .constant(0.1))).fit(data, validation: Optional<TensorDataset>.none)
        XCTAssertEqual(recorder.seen.count, 2)
        for (student, teacher) in recorder.seen {
            XCTAssertEqual(teacher.scalars, [Float](repeating: 1, count: 64), "the teacher sees the full images")
            XCTAssertEqual(student.scalars.filter { $0 == 0 }.count, 4 * 8, "the student sees half of each image's four patches")
        }
    }
}
