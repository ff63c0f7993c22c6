import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// An initialisation stage (FSP's, as RepDistiller runs it) trained before the main epochs:
/// what it trains, what it leaves alone, and how a run killed inside or after it resumes.
final class TrainingStageTests: XCTestCase {
    /// A teacher that records each call's feature paths, and is "killed" (throws) at a chosen
    /// call, as a process killed mid-epoch loses the work since its last checkpoint.
    final class KillableTeacher: Teacher {
        let teacher: ModelTeacher
        var calls: [[String]] = []
        var killAtCall: Int?
        struct Killed: Error {}

        init(_ teacher: ModelTeacher, killAtCall: Int? = nil) { (self.teacher, self.killAtCall) = (teacher, killAtCall) }

        func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs {
            if calls.count == killAtCall { throw Killed() }
            calls.append(featurePaths)
            return try teacher.outputs(for: batch, featurePaths: featurePaths)
        }
    }

    private let layers = ["layer1", "layer2", "layer3"]
    private let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stages-\(UUID())")

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// 64 images of 3×8×8 in three classes told apart by their mean brightness.
    private func data() throws -> TensorDataset {
        var generator = RandomGenerator(seed: 11)
        let labels = (0..<64).map { Float($0 % 3) }
        var images = Tensor.normal([64, 3, 8, 8], using: &generator).scalars
        for (index, label) in labels.enumerated() { for pixel in 0..<192 { images[index * 192 + pixel] += label - 1 } }
        return try TensorDataset(inputs: Tensor(images, shape: [64, 3, 8, 8]), labels: Tensor(labels))
    }

    private func teacherModel() -> ModelTeacher {
        var generator = RandomGenerator(seed: 3)
        return ModelTeacher(CIFARResNet(depth: 14, widths: [4, 4, 8, 8], classes: 3, using: &generator))
    }

    /// A student trained by cross-entropy and KD after `stageEpochs` of FSP initialisation.
    private func train(stageEpochs: Int, epochs: Int, teacher: KillableTeacher, checkpoints: URL? = nil, metrics: URL? = nil)
        throws -> (student: CIFARResNet, history: [EpochRecord])
    {
        var generator = RandomGenerator(seed: 4)
        let student = CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator)
        let initialisation = StageSettings(epochs: stageEpochs, optimizer: SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), learningRate: 0.05)
        let loss = WeightedLoss([(1, CrossEntropyTerm()), (0.5, KnowledgeDistillationLoss(temperature: 4)),
                                 (1, FlowOfSolutionProcedure(studentLayers: layers, teacherLayers: layers, initialisation: initialisation))])
        let trainer = Trainer(student: student, teacher: teacher, loss: loss, optimizer: SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4),
                              options: TrainingOptions(epochs: epochs, batchSize: 16, schedule: .constant(0.05), seed: 7,
                                                       checkpointDirectory: checkpoints, metricsFile: metrics))
        return (student, try trainer.fit(try data(), validation: try data()))
    }

    /// The stage trains the student's layers that FSP reaches, with the student in `eval()`,
    /// and leaves the rest exactly as they were: the classifier (no gradient, so no weight
    /// decay or momentum either) and the batch-norm statistics.
    func testTheStageTrainsOnlyWhatItsLossReachesWithTheStudentInInference() throws {
        var generator = RandomGenerator(seed: 4)
        let initial = CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator).stateDict()
        let teacher = KillableTeacher(teacherModel())
        let (student, history) = try train(stageEpochs: 2, epochs: 0, teacher: teacher)
        let after = student.stateDict()
        XCTAssertEqual(after["fc.weight"]?.scalars, initial["fc.weight"]?.scalars, "the classifier gets no gradient and no decay")
        XCTAssertEqual(after["fc.bias"]?.scalars, initial["fc.bias"]?.scalars)
        XCTAssertEqual(after["layer1.0.bn1.running_mean"]?.scalars, initial["layer1.0.bn1.running_mean"]?.scalars, "eval(): statistics kept")
        XCTAssertNotEqual(after["layer1.0.conv1.weight"]?.scalars, initial["layer1.0.conv1.weight"]?.scalars, "the layers FSP reaches train")
        XCTAssertNotEqual(after["conv1.weight"]?.scalars, initial["conv1.weight"]?.scalars)
        XCTAssertEqual(history.map(\.stage), ["fsp", "fsp"])
        XCTAssertEqual(history.map(\.epoch), [1, 2])
        XCTAssertNotNil(history[0].trainLoss["fsp"])
        XCTAssertNil(history[0].trainLoss["ce"], "the main terms do not train in the stage")
        XCTAssertLessThan(history[1].trainLoss["fsp"]!, history[0].trainLoss["fsp"]!, "the stage fits the teacher's flow")
        XCTAssertTrue(teacher.calls.allSatisfy { $0 == layers }, "the stage asks the teacher for FSP's layers only")
    }

    /// Killed inside the stage (in its second epoch) and resumed, the run equals an
    /// uninterrupted one bit for bit; killed in the main training, the resumed run does not
    /// repeat the stage. The metrics name each epoch's stage.
    func testARunKilledInsideOrAfterTheStageResumesExactly() throws {
        let straightTeacher = KillableTeacher(teacherModel())
        let (straight, straightHistory) = try train(stageEpochs: 3, epochs: 2, teacher: straightTeacher)
        let stageCalls = straightTeacher.calls.filter { $0 == layers }.count
        XCTAssertEqual(stageCalls, 12, "3 stage epochs of 4 batches")
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        // In the stage's second epoch; at the last batch of the second main epoch (the last
        // call is that epoch's evaluation).
        for killAtCall in [6, straightTeacher.calls.count - 2] {
            try? FileManager.default.removeItem(at: folder)
            XCTAssertThrowsError(try train(stageEpochs: 3, epochs: 2, teacher: KillableTeacher(teacherModel(), killAtCall: killAtCall),
                                           checkpoints: folder, metrics: metrics)) { XCTAssertTrue($0 is KillableTeacher.Killed, "\($0)") }
            let notes = try TrainingCheckpoint.notes(at: folder.appendingPathComponent("last.safetensors"))
            XCTAssertEqual(notes["stage"], killAtCall < stageCalls ? "fsp" : nil, "the checkpoint names its stage")
            let resumedTeacher = KillableTeacher(teacherModel())
            let (resumed, resumedHistory) = try train(stageEpochs: 3, epochs: 2, teacher: resumedTeacher, checkpoints: folder, metrics: metrics)
            for (path, value) in straight.stateDict() {
                XCTAssertEqual(resumed.stateDict()[path]?.scalars, value.scalars, "killed at call \(killAtCall): \(path)")
            }
            XCTAssertEqual(resumedHistory.map(\.stage), straightHistory.map(\.stage))
            XCTAssertEqual(resumedHistory.map(\.step), straightHistory.map(\.step))
            XCTAssertEqual(resumedHistory.map(\.trainLoss), straightHistory.map(\.trainLoss))
            let resumedStageCalls = resumedTeacher.calls.filter { $0 == layers }.count
            XCTAssertEqual(resumedStageCalls, killAtCall < stageCalls ? 8 : 0, "only the stage's unfinished epochs run again")
            let lines = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(try lines.map { try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)).stage }, ["fsp", "fsp", "fsp", nil, nil])
            XCTAssertTrue(lines[0].contains(#""stage":"fsp""#), String(lines[0]))
            XCTAssertFalse(lines[3].contains("stage"), "main epochs' lines are as before")
        }
    }

    /// A stage's epochs are numbered apart from the main training's, and are not evaluated.
    func testStageEpochsAreNumberedApartAndNotEvaluated() throws {
        let teacher = KillableTeacher(teacherModel())
        let (_, history) = try train(stageEpochs: 1, epochs: 2, teacher: teacher)
        XCTAssertEqual(history.map(\.epoch), [1, 1, 2])
        XCTAssertEqual(history.map(\.stage), ["fsp", nil, nil])
        XCTAssertNotNil(history[1].validation, "main epochs are evaluated")
        XCTAssertNil(history[0].validation, "stage epochs are not")
    }
}
