import Datasets
import Distillation
import NN
import Optim
import Robustness
import Tensors
import XCTest

final class ProARDTests: XCTestCase {
    /// One weight-sharing student trained once; students of three sizes extracted without
    /// retraining have the requested parameter counts, the dynamic network's exact outputs,
    /// clean accuracy far above chance and robustness above a plain network's.
    func testExtractedSubStudentsHaveTheRequestedSizesAndWorkWithoutRetraining() throws {
        var generator = RandomGenerator(seed: 4)
        let network = DynamicMLP(inputSize: 64, maximumWidth: 64, maximumDepth: 2, classes: 10, using: &generator)
        let threat = ThreatModel(epsilon: 0.1)
        let objective = ProARD(teacher: ModelTeacher(RobustTrainingTests.adversariallyTrained), attack: PGD(threat, steps: 5, stepSize: 0.04),
                               widthChoices: [16, 32, 64], depthChoices: [1, 2])
        let trainer = Trainer(student: network, objective: objective, optimizer: Adam(learningRate: 3e-3),
                              options: TrainingOptions(epochs: 12, batchSize: 32, schedule: .constant(3e-3), seed: 4))
        try trainer.fit(Digits.train, validation: Optional<TensorDataset>.none)
        network.eval()
        let plain = try evaluateRobustness(Digits.undefended, on: Digits.test, attacks: [PGD(threat, steps: 20)], limit: 300)
        for widths in [[16], [32, 32], [64, 64]] {
            let student = network.extract(widths: widths)
            var reference = RandomGenerator(seed: 0)
            XCTAssertEqual(student.parameterCount, MLP(widths: [64] + widths + [10], using: &reference).parameterCount, "\(widths)")
            network.active = widths
            let x = Digits.test.inputs.slice(axis: 0, start: 0, end: 20)
            for (a, b) in zip(student(x).scalars, network(x).scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
            let report = try evaluateRobustness(student, on: Digits.test, attacks: [PGD(threat, steps: 20)], limit: 300)
            print("\(widths) (\(student.parameterCount) parameters): clean \(report.cleanAccuracy), PGD-20 \(report.attacks[0].accuracy); plain model PGD-20 \(plain.attacks[0].accuracy)")
            XCTAssertGreaterThan(report.cleanAccuracy, 0.8, "\(widths)")
            XCTAssertGreaterThan(report.attacks[0].accuracy, plain.attacks[0].accuracy + 0.1, "\(widths)")
        }
    }
}
