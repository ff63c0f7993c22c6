import Datasets
import Distillation
import NN
import Optim
import Robustness
import Tensors
import XCTest

/// HARD (Sanchez et al., 2023): training also on inputs where teacher and student disagree
/// transfers the teacher's behaviour off the data — measured as agreement with the teacher on
/// out-of-domain versions of the test images (noisy, shifted) — better than KD on the data alone.
final class HARDTests: XCTestCase {
    func testHardAugmentationTransfersTheTeachersBehaviourOutOfDomain() throws {
        let teacher = Digits.trainedMLP(hidden: [256, 256], epochs: 20, seed: 1)
        func student(_ objective: any TrainingObjective) -> MLP {
            Digits.trainedMLP(hidden: [32], epochs: 20, seed: 2, objective: objective)
        }
        let kd = student(DistillationObjective(teacher: ModelTeacher(teacher), loss: WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 4))])))
        let hard = student(HARD(teacher: teacher, augmentation: PGD(ThreatModel(epsilon: 0.2), steps: 5, stepSize: 0.06)))
        var generator = RandomGenerator(seed: 3)
        let clean = Digits.test.inputs
        let noisy = (clean + Tensor.normal(clean.shape, standardDeviation: 0.3, using: &generator)).clamped(min: 0, max: 1)
        let shifted = concatenate([clean.slice(axis: 3, start: 1), Tensor.zeros([clean.shape[0], 1, 8, 1])], axis: 3)
        func agreement(_ model: MLP, _ inputs: Tensor) -> Double {
            Double((model(inputs).argmax(axis: 1) .== teacher(inputs).argmax(axis: 1)).mean().item)
        }
        for (name, inputs) in [("clean", clean), ("noisy", noisy), ("shifted", shifted)] {
            print("\(name): agreement with the teacher, KD \(agreement(kd, inputs)), HARD \(agreement(hard, inputs))")
        }
        XCTAssertGreaterThan(agreement(hard, noisy), agreement(kd, noisy) + 0.03)
        XCTAssertGreaterThan(agreement(hard, shifted), agreement(kd, shifted) + 0.05)
        XCTAssertGreaterThan(agreement(hard, clean), 0.9, "HARD keeps in-domain agreement")
    }
}
