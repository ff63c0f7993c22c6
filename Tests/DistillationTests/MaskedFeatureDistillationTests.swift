import Datasets
import Distillation
import NN
import Optim
import Tensors
import XCTest

/// DMAE (Bai et al., 2023) at small scale: the student is pre-trained by matching the
/// teacher's features while it sees only part of each image (the teacher sees all of it),
/// with no labels, then fine-tuned on 5 labels per class. Same student, same labels and
/// seeds as the labels-alone baseline.
final class MaskedFeatureDistillationTests: XCTestCase {
    func testFeatureDistillationFromMaskedImagesTeachesWhatTheLabelsCannot() throws {
        let data = DistillationEffectTests.data
        let seeds: [UInt64] = [2, 3, 4]
        /// Mean test accuracy over the seeds of a 64-32-10 student, pre-trained with a
        /// FitNets hint on the unlabeled training images masked at `ratio` (none: no
        /// pre-training), then fine-tuned on the labeled few.
        func accuracy(pretrainedAt ratio: Float?) throws -> Double {
            var total = 0.0
            for seed in seeds {
                var generator = RandomGenerator(seed: seed)
                let student = MLP(widths: [64, 32, 10], using: &generator)
                if let ratio {
                    let hint = FitNetsHint(student: "1", teacher: "3", studentChannels: 32, teacherChannels: 256, spatial: false, using: &generator)
                    let objective = DistillationObjective(
                        teacher: DistillationEffectTests.teacher, loss: WeightedLoss([(1, hint)]),
                        studentView: ratio > 0 ? RandomPatchMasking(patch: 2, ratio: ratio) : nil)
                    try Trainer(student: student, objective: objective, optimizer: Adam(learningRate: 3e-3),
                                options: TrainingOptions(epochs: 40, batchSize: 32, schedule: .constant(3e-3), seed: seed))
                        .fit(data.train.withoutLabels(), validation: Optional<TensorDataset>.none)
                }
                let fineTuning = Trainer(
                    student: student, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), optimizer: Adam(),
                    options: TrainingOptions(epochs: 60, batchSize: 16, schedule: .constant(1e-3), seed: seed))
                try fineTuning.fit(data.train.labeledSplit(fraction: 0.035, seed: seed).labeled, validation: Optional<TensorDataset>.none)
                total += try fineTuning.evaluate(on: data.test, by: ClassificationEvaluation()).top1 / Double(seeds.count)
            }
            return total
        }
        let alone = try accuracy(pretrainedAt: nil)
        let (unmasked, half, threeQuarters) = (try accuracy(pretrainedAt: 0), try accuracy(pretrainedAt: 0.5), try accuracy(pretrainedAt: 0.75))
        print("labels alone \(alone); pre-trained on unmasked \(unmasked), 50% masked \(half), 75% masked \(threeQuarters)")
        XCTAssertGreaterThan(unmasked, alone + 0.05)
        // The student sees a quarter (a half) of each image and still learns the teacher's
        // features well enough to beat the labels alone.
        XCTAssertGreaterThan(half, alone + 0.03)
        XCTAssertGreaterThan(threeQuarters, alone + 0.03)
    }
}
