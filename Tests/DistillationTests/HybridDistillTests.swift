import Datasets
import Distillation
import NN
import Optim
import Tensors
import XCTest

/// Hybrid Distill (Shi et al., 2023) at small scale: a student ViT learns one teacher's token
/// features (with the labels) and another teacher's token relations through a
/// `TeacherPanel`. It takes on the second teacher's relations — much closer to them than a
/// student taught the first teacher's features alone — without losing accuracy.
final class HybridDistillTests: XCTestCase {
    func vit(dimension: Int, seed: UInt64) -> VisionTransformer {
        var generator = RandomGenerator(seed: seed)
        return VisionTransformer(imageSize: 8, patch: 2, channels: 1, dimension: dimension, depth: 2, heads: 2, mlpRatio: 2, classes: 10, using: &generator)
    }

    func train(_ model: Module, _ objective: any TrainingObjective, epochs: Int = 8) throws {
        try Trainer(student: model, objective: objective, optimizer: Adam(learningRate: 2e-3),
                    options: TrainingOptions(epochs: epochs, batchSize: 32, schedule: .constant(2e-3), seed: 3))
            .fit(DistillationEffectTests.data.train, validation: Optional<TensorDataset>.none)
    }

    func testStudentTakesOneTeachersFeaturesAndTheOthersTokenRelations() throws {
        let labelsOnly = WeightedLoss([(1, CrossEntropyTerm())])
        // Two different teachers: one on the images, one on images with half their patches masked.
        let supervised = vit(dimension: 32, seed: 1), masked = vit(dimension: 32, seed: 2)
        try train(supervised, DistillationObjective(teacher: nil, loss: labelsOnly))
        try train(masked, DistillationObjective(teacher: nil, loss: labelsOnly, studentView: RandomPatchMasking(patch: 2, ratio: 0.5)))
        let panel = TeacherPanel([("sup", ModelTeacher(supervised)), ("mim", ModelTeacher(masked))])
        let relations = TokenRelationDistillation(student: "blocks.1", teacher: TeacherPanel.featurePath("mim", "blocks.1"))
        func student(hybrid: Bool) throws -> (accuracy: Double, relationGap: Float) {
            let model = vit(dimension: 16, seed: 4)
            var generator = RandomGenerator(seed: 5)
            var terms: [(weight: Float, term: any LossTerm)] = [
                (1, CrossEntropyTerm()),
                (1, FitNetsHint(student: "blocks.1", teacher: TeacherPanel.featurePath("sup", "blocks.1"), studentChannels: 16, teacherChannels: 32,
                                spatial: false, using: &generator)),
            ]
            if hybrid { terms.append((1, relations)) }
            try train(model, DistillationObjective(teacher: panel, loss: WeightedLoss(terms)))
            model.eval()
            let test = DistillationEffectTests.data.test
            let (logits, studentFeatures) = try model.capturingFeatures(["blocks.1"]) { model(test.inputs) }
            let teacherFeatures = try panel.outputs(for: test.inputs, featurePaths: [relations.teacherPath]).features
            let gap = relations(DistillationBatch(studentLogits: logits, studentFeatures: studentFeatures, teacherFeatures: teacherFeatures)).item
            return (ClassificationMetrics(logits: logits, labels: test.labels!).top1, gap)
        }
        let (featuresOnly, hybrid) = (try student(hybrid: false), try student(hybrid: true))
        print("features only: accuracy \(featuresOnly.accuracy), relation gap to the MIM-side teacher \(featuresOnly.relationGap); "
              + "hybrid: accuracy \(hybrid.accuracy), gap \(hybrid.relationGap)")
        XCTAssertLessThan(hybrid.relationGap, featuresOnly.relationGap * 0.7)
        XCTAssertGreaterThan(hybrid.accuracy, featuresOnly.accuracy - 0.02)
    }
}
