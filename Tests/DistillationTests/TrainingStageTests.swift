import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// Initialisation stages (FSP's, AB's and FT's paraphraser's, as RepDistiller runs them) trained before the main
/// epochs: what they train, what they leave alone, and how a run killed inside or after one
/// resumes.
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

    /// The stage's term: FSP between the three stages; AB from each student stage's
    /// `preact` to the teacher's one level deeper (two connectors to train) and its last; FT
    /// on the last stage, whose paraphraser's stage trains no part of the student.
    enum StageTerm: CaseIterable { case fsp, ab, ft }

    private func stageName(_ term: StageTerm) -> String { term == .ft ? "ft_paraphraser" : "\(term)" }

    /// The teacher's features each pair reads, in order (AB's last two pairs read one).
    private func teacherPaths(_ term: StageTerm) -> [String] {
        switch term {
        case .fsp: layers
        case .ab: ["layer2.1.preact", "layer3.1.preact", "layer3.1.preact"]
        case .ft: ["layer3"]
        }
    }

    /// What the stage asks the teacher for: each feature once, sorted.
    private func stageRequest(_ term: StageTerm) -> [String] { Array(Set(teacherPaths(term))).sorted() }

    private func stageTerm(_ term: StageTerm, initialisation: StageSettings) -> any LossTerm {
        switch term {
        case .fsp:
            return FlowOfSolutionProcedure(studentLayers: layers, teacherLayers: layers, initialisation: initialisation)
        case .ab:
            var generator = RandomGenerator(seed: 5)
            let students = ["layer1.0.preact", "layer2.0.preact", "layer3.0.preact"]
            let shapes = [([16, 4, 8, 8], [16, 8, 4, 4]), ([16, 8, 4, 4], [16, 8, 2, 2])]
            let connectors: [Module] = shapes.map { ConvolutionalRegressor(student: $0, teacher: $1, appliesReLU: false, using: &generator)! } + [Identity()]
            return ActivationBoundaries(pairs: Array(zip(students, teacherPaths(.ab))).map { (student: $0, teacher: $1) }, connectors: connectors,
                                        initialisation: initialisation)
        case .ft:
            var generator = RandomGenerator(seed: 5)
            return FactorTransfer(student: "layer3", teacher: "layer3", paraphraser: Paraphraser(channels: 8, using: &generator),
                                  translator: Translator(studentChannels: 8, teacherChannels: 8, using: &generator), initialisation: initialisation)
        }
    }
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

    /// A student trained by cross-entropy and KD after `stageEpochs` of initialisation.
    private func train(_ term: StageTerm = .fsp, stageEpochs: Int, epochs: Int, teacher: KillableTeacher, checkpoints: URL? = nil, metrics: URL? = nil,
                       built: (any LossTerm) -> Void = { _ in }) throws -> (student: CIFARResNet, history: [EpochRecord])
    {
        var generator = RandomGenerator(seed: 4)
        let student = CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator)
        let initialisation = StageSettings(epochs: stageEpochs, optimizer: SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), learningRate: 0.05)
        let staged = stageTerm(term, initialisation: initialisation)
        built(staged)
        let loss = WeightedLoss([(1, CrossEntropyTerm()), (0.5, KnowledgeDistillationLoss(temperature: 4)),
                                 (1, staged)])
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
    /// uninterrupted one bit for bit (AB's connectors and their batch statistics included);
    /// killed in the main training, the resumed run does not repeat the stage. The metrics
    /// name each epoch's stage.
    func testARunKilledInsideOrAfterTheStageResumesExactly() throws {
        for term in StageTerm.allCases { try killAndResume(term) }
    }

    private func killAndResume(_ term: StageTerm) throws {
        let straightTeacher = KillableTeacher(teacherModel())
        let (straight, straightHistory) = try train(term, stageEpochs: 3, epochs: 2, teacher: straightTeacher)
        let stageCalls = 12  // 3 stage epochs of 4 batches, before any other call
        XCTAssertEqual(straightTeacher.calls.prefix(stageCalls + 1).map { $0 == stageRequest(term) }, Array(repeating: true, count: stageCalls) + [term == .ft])
        let mainCalls = straightTeacher.calls.count - stageCalls
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        // In the stage's second epoch; at the last batch of the second main epoch (the last
        // call is that epoch's evaluation).
        for killAtCall in [6, straightTeacher.calls.count - 2] {
            try? FileManager.default.removeItem(at: folder)
            XCTAssertThrowsError(try train(term, stageEpochs: 3, epochs: 2, teacher: KillableTeacher(teacherModel(), killAtCall: killAtCall),
                                           checkpoints: folder, metrics: metrics)) { XCTAssertTrue($0 is KillableTeacher.Killed, "\($0)") }
            let notes = try TrainingCheckpoint.notes(at: folder.appendingPathComponent("last.safetensors"))
            XCTAssertEqual(notes["stage"], killAtCall < stageCalls ? stageName(term) : nil, "the checkpoint names its stage")
            let resumedTeacher = KillableTeacher(teacherModel())
            let (resumed, resumedHistory) = try train(term, stageEpochs: 3, epochs: 2, teacher: resumedTeacher, checkpoints: folder, metrics: metrics)
            for (path, value) in straight.stateDict() {
                XCTAssertEqual(resumed.stateDict()[path]?.scalars, value.scalars, "\(term) killed at call \(killAtCall): \(path)")
            }
            XCTAssertEqual(resumedHistory.map(\.stage), straightHistory.map(\.stage))
            XCTAssertEqual(resumedHistory.map(\.step), straightHistory.map(\.step))
            XCTAssertEqual(resumedHistory.map(\.trainLoss), straightHistory.map(\.trainLoss))
            // Killed in the stage: its last two epochs and the whole main training run again;
            // killed in the second main epoch: that epoch alone.
            XCTAssertEqual(resumedTeacher.calls.count, killAtCall < stageCalls ? 8 + mainCalls : mainCalls / 2, "only unfinished epochs run again")
            let lines = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n")
            let name = stageName(term)
            XCTAssertEqual(try lines.map { try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)).stage }, [name, name, name, nil, nil])
            XCTAssertTrue(lines[0].contains(#""stage":"\#(name)""#), String(lines[0]))
            XCTAssertFalse(lines[3].contains("stage"), "main epochs' lines are as before")
        }
    }

    /// FT's paraphraser trains in its stage, with the student untouched; then the translator
    /// trains with the student, and the paraphraser stays as the stage left it.
    func testFTsParaphraserTrainsInItsStageAndIsFrozenAfter() throws {
        var generator = RandomGenerator(seed: 4)
        let initial = CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator).stateDict()
        var term: FactorTransfer?
        let (afterStage, stageHistory) = try train(.ft, stageEpochs: 2, epochs: 0, teacher: KillableTeacher(teacherModel())) { term = $0 as? FactorTransfer }
        let paraphraser = try XCTUnwrap(term).paraphraser.stateDict(), translator = try XCTUnwrap(term).translator.stateDict()
        for (path, value) in afterStage.stateDict() { XCTAssertEqual(value.scalars, initial[path]?.scalars, "the student is not trained in the stage: \(path)") }
        XCTAssertLessThan(stageHistory[1].trainLoss["ft_paraphraser"]!, stageHistory[0].trainLoss["ft_paraphraser"]!, "the paraphraser learns to reconstruct")
        var mainTerm: FactorTransfer?
        _ = try train(.ft, stageEpochs: 2, epochs: 1, teacher: KillableTeacher(teacherModel())) { mainTerm = $0 as? FactorTransfer }
        for (path, value) in try XCTUnwrap(mainTerm).paraphraser.stateDict() {
            XCTAssertEqual(value.scalars, paraphraser[path]?.scalars, "the main training leaves the paraphraser: \(path)")
        }
        XCTAssertNotEqual(try XCTUnwrap(mainTerm).translator.stateDict()["encoder.0.weight"]?.scalars, translator["encoder.0.weight"]?.scalars,
                          "the translator trains with the student")
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
