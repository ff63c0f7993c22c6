import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// What AB and FT claim, at small scale: the embedded digits as 3-channel 8×8 images, a
/// resnet20 teacher trained on every training image, resnet8 students (the CIFAR ResNets of
/// RepDistiller's benchmark, 16/16/32/64 channels).
final class StagedLossEffectTests: XCTestCase {
    static func colour(_ data: TensorDataset) -> TensorDataset {
        let images = data.inputs.reshaped([data.count, 1, 8, 8])
        return try! TensorDataset(inputs: concatenate([images, images, images], axis: 1), labels: data.labels)
    }

    static let data = (train: colour(try! DatasetCatalog.load("digits", split: .train)), test: colour(try! DatasetCatalog.load("digits", split: .test)))

    /// Adam for 15 epochs: 98.9% test top-1.
    static let teacher: ModelTeacher = {
        var generator = RandomGenerator(seed: 1)
        let model = CIFARResNet(depth: 20, widths: [16, 16, 32, 64], classes: 10, using: &generator)
        let trainer = Trainer(student: model, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), optimizer: Adam(),
                              options: TrainingOptions(epochs: 15, batchSize: 32, schedule: .constant(1e-3), seed: 1))
        try! trainer.fit(data.train, validation: Optional<TensorDataset>.none)
        return ModelTeacher(model)
    }()

    private func stage(epochs: Int, learningRate: Float) -> StageSettings {
        StageSettings(epochs: epochs, optimizer: SGD(learningRate: learningRate, momentum: 0.9, weightDecay: 5e-4), learningRate: learningRate)
    }

    /// A fresh resnet8 trained by `terms` (and their stages) with RepDistiller's SGD, and its
    /// trainer.
    private func train(_ terms: [(Float, any LossTerm)], on training: some Dataset, epochs: Int, seed: UInt64) throws -> Trainer {
        var generator = RandomGenerator(seed: seed)
        let student = CIFARResNet(depth: 8, widths: [16, 16, 32, 64], classes: 10, using: &generator)
        let trainer = Trainer(student: student, teacher: Self.teacher, loss: WeightedLoss(terms),
                              optimizer: SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4),
                              options: TrainingOptions(epochs: epochs, batchSize: 16, schedule: .constant(0.05), seed: seed))
        try trainer.fit(training, validation: Optional<TensorDataset>.none)
        return trainer
    }

    /// The share of neurons, before the ReLU, on the same side of zero in both models, over
    /// the test images and the three stages' last blocks.
    private func boundaryAgreement(_ student: Module, pairs: [(student: String, teacher: String)]) throws -> Double {
        student.eval()
        defer { student.train() }
        let inputs = Self.data.test.inputs
        let studentFeatures = try withoutGradients { try student.capturingFeatures(pairs.map(\.student)) { student(inputs) } }.features
        let teacherFeatures = try Self.teacher.outputs(for: inputs, featurePaths: pairs.map(\.teacher)).features
        var (agreeing, total) = (0, 0)
        for pair in pairs {
            let (s, t) = (studentFeatures[pair.student]!.scalars, teacherFeatures[pair.teacher]!.scalars)
            agreeing += zip(s, t).filter { ($0 > 0) == ($1 > 0) }.count
            total += s.count
        }
        return Double(agreeing) / Double(total)
    }

    /// Heo et al. (2019): AB's stage transfers where the teacher's neurons switch on. After 10
    /// epochs of it (RepDistiller's rate 0.05, the student in `eval()`), the student's
    /// neurons agree in sign with the teacher's far more often than before.
    func testABsStageTransfersTheTeachersActivationBoundaries() throws {
        let pairs = ["layer1", "layer2", "layer3"].map { (student: "\($0).0.preact", teacher: "\($0).2.preact") }
        var generator = RandomGenerator(seed: 2)
        let before = try boundaryAgreement(CIFARResNet(depth: 8, widths: [16, 16, 32, 64], classes: 10, using: &generator), pairs: pairs)
        let ab = ActivationBoundaries(pairs: pairs, connectors: pairs.map { _ in Identity() }, initialisation: stage(epochs: 10, learningRate: 0.05))
        let trainer = try train([(1, CrossEntropyTerm()), (1, ab)], on: Self.data.train, epochs: 0, seed: 2)
        let after = try boundaryAgreement(trainer.student, pairs: pairs)
        print("AB: the student's neurons agree in sign with the teacher's on \(before) of test activations before the stage, \(after) after")
        XCTAssertGreaterThan(after, before + 0.2)
    }

    /// Kim et al. (2018): the teacher's paraphrased factors carry its knowledge. Students see
    /// the labels of 5 images per class; FT's term also sees the other training images,
    /// unlabeled, through the teacher and the paraphraser its stage trained.
    func testFactorTransferTeachesFromUnlabeledImages() throws {
        var (alone, transferred) = (0.0, 0.0)
        for seed: UInt64 in [2, 3] {
            let (labeled, unlabeled) = Self.data.train.labeledSplit(fraction: 0.035, seed: seed)
            let data = try labeled.joined(unlabeled: unlabeled)
            var generator = RandomGenerator(seed: 9)
            let ft = FactorTransfer(student: "layer3", teacher: "layer3", paraphraser: Paraphraser(channels: 64, using: &generator),
                                    translator: Translator(studentChannels: 64, teacherChannels: 64, using: &generator),
                                    initialisation: stage(epochs: 10, learningRate: 0.01))
            let objectives: [[(Float, any LossTerm)]] = [[(1, CrossEntropyTerm())], [(1, CrossEntropyTerm()), (200, ft)]]
            let scores = try objectives.map { try train($0, on: data, epochs: 30, seed: seed).evaluate(on: Self.data.test, by: ClassificationEvaluation()).top1 }
            (alone, transferred) = (alone + scores[0] / 2, transferred + scores[1] / 2)
        }
        print("5 labels per class: cross-entropy alone \(alone), with FT \(transferred)")
        XCTAssertGreaterThan(transferred, alone + 0.15, "FT (\(transferred)) should beat labels alone (\(alone)) by 15 points")
    }
}
