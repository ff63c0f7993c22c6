import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// MEAL V2 through the trainer: KD at T = 1 from the digits teacher plus the output
/// discriminator, which trains beside the student. Pins the run's result so that a change
/// to how the discriminator is optimised shows.
final class MEALV2TrainingTests: XCTestCase {
    struct Outcome: Equatable {
        let studentTop1: Double
        let discriminatorWeightSum: Double
        /// The discriminator's accuracy at telling teacher outputs (real) from the student's
        /// (fake) on the test images.
        let discriminatorAccuracy: Double
    }

    /// Ten epochs on the digits (5 labels per class plus the rest unlabeled), seed 2; with a
    /// `checkpointDirectory`, the run stops after `stopAfter` epochs and a new trainer resumes it.
    /// The digits (5 labels per class plus the rest unlabeled).
    static let training: ConcatenatedDataset = {
        let (labeled, unlabeled) = DistillationEffectTests.data.train.labeledSplit(fraction: 0.035, seed: 2)
        return try! labeled.joined(unlabeled: unlabeled)
    }()

    /// A 64-32-10 student, KD at T = 1 plus the discriminator, Adam at 3e-3, seed 2.
    static func makeTrainer(epochs: Int, checkpointDirectory: URL?) -> (Trainer, MLP, MEALV2Discriminator) {
        var generator = RandomGenerator(seed: 2)
        let student = MLP(widths: [64, 32, 10], using: &generator)
        let meal = MEALV2Discriminator(classes: 10, hidden: 32, using: &generator)
        let loss = WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1)), (0.1, meal)])
        let trainer = Trainer(
            student: student, teacher: DistillationEffectTests.teacher, loss: loss, optimizer: Adam(),
            options: TrainingOptions(epochs: epochs, batchSize: 16, schedule: .constant(3e-3), seed: 2, checkpointDirectory: checkpointDirectory))
        return (trainer, student, meal)
    }

    /// Ten epochs; with a `checkpointDirectory`, the run stops after `stopAfter` epochs and a
    /// new trainer resumes it.
    static func run(stopAfter: Int? = nil, checkpointDirectory: URL? = nil) throws -> Outcome {
        let data = DistillationEffectTests.data
        func makeTrainer(epochs: Int) -> (Trainer, MLP, MEALV2Discriminator) { Self.makeTrainer(epochs: epochs, checkpointDirectory: checkpointDirectory) }
        if let stopAfter {
            try makeTrainer(epochs: stopAfter).0.fit(Self.training, validation: Optional<TensorDataset>.none)
        }
        let (trainer, _, meal) = makeTrainer(epochs: 10)
        try trainer.fit(Self.training, validation: Optional<TensorDataset>.none)
        let studentTop1 = try trainer.evaluate(on: data.test, by: ClassificationEvaluation()).top1
        let weightSum = meal.discriminator.namedParameters().reduce(0.0) { $0 + Double($1.1.wrappedValue.sum().item) }
        let (real, fake) = try withoutGradients {
            let teacherProbabilities = try DistillationEffectTests.teacher.outputs(for: data.test.inputs, featurePaths: []).logits.softmax(axis: 1)
            let studentProbabilities = trainer.student(data.test.inputs).softmax(axis: 1)
            return (meal.discriminator(teacherProbabilities), meal.discriminator(studentProbabilities))
        }
        let correct = real.scalars.filter { $0 > 0 }.count + fake.scalars.filter { $0 <= 0 }.count
        return Outcome(studentTop1: studentTop1, discriminatorWeightSum: weightSum,
                       discriminatorAccuracy: Double(correct) / Double(real.shape[0] + fake.shape[0]))
    }

    /// Pinned in session 4, before the discriminator had an optimizer of its own: top-1
    /// 0.958217270194986, discriminator accuracy 0.5947075208913649, discriminator weight sum
    /// -6.029421001672745 on this machine (the tolerances leave room for other BLAS cores).
    func testMEALV2RunKeepsItsResult() throws {
        let outcome = try Self.run()
        print("MEAL V2 outcome: \(outcome)")
        XCTAssertEqual(outcome.studentTop1, 0.9582, accuracy: 0.01)
        XCTAssertEqual(outcome.discriminatorAccuracy, 0.5947, accuracy: 0.03)
        XCTAssertEqual(outcome.discriminatorWeightSum, -6.03, accuracy: 0.3)
    }

    static let earlierCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/meal-v2-shared-optimizer-checkpoint.safetensors")

    /// Writes the fixture: a checkpoint of 2 epochs from before the discriminator had its own
    /// optimizer (run with `DISTILLERY_WRITE_FIXTURES=1`).
    func testWriteFixture() throws {
        guard ProcessInfo.processInfo.environment["DISTILLERY_WRITE_FIXTURES"] != nil else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meal-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.makeTrainer(epochs: 2, checkpointDirectory: folder).0.fit(Self.training, validation: Optional<TensorDataset>.none)
        try? FileManager.default.removeItem(at: Self.earlierCheckpoint)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("last.safetensors"), to: Self.earlierCheckpoint)
    }

    /// A checkpoint from when the discriminator shared the student's optimizer is refused,
    /// with the reason and what to do.
    func testACheckpointFromASharedOptimizerIsRefusedWithTheReason() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meal-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Self.earlierCheckpoint, to: folder.appendingPathComponent("last.safetensors"))
        XCTAssertThrowsError(try Self.makeTrainer(epochs: 10, checkpointDirectory: folder).0.fit(Self.training, validation: Optional<TensorDataset>.none)) { error in
            XCTAssertTrue("\(error)".contains("no optimizer state for module 'meal': the checkpoint was written when 'meal' shared the model's optimizer"), "\(error)")
            XCTAssertTrue("\(error)".contains("start afresh (delete the checkpoint, or pass --fresh to distill)"), "\(error)")
        }
    }

    func testAResumedMEALV2RunEqualsAStraightOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meal-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let resumed = try Self.run(stopAfter: 4, checkpointDirectory: folder)
        XCTAssertEqual(resumed, try Self.run())
    }
}
