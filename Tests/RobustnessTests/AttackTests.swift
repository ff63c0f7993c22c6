import Datasets
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Distillation
import NN
import Optim
import Robustness
import Tensors
import XCTest

/// Shared small problem: the embedded digits and an undefended MLP trained on them.
enum Digits {
    static let train = try! DatasetCatalog.load("digits", split: .train)
    static let test = try! DatasetCatalog.load("digits", split: .test)

    /// Trains a 64-hidden-10 MLP by `objective` (plain cross-entropy when nil).
    static func trainedMLP(hidden: [Int] = [64], epochs: Int = 20, seed: UInt64 = 1, objective: (any TrainingObjective)? = nil) -> MLP {
        var generator = RandomGenerator(seed: seed)
        let model = MLP(widths: [64] + hidden + [10], using: &generator)
        let trainer = Trainer(
            student: model, objective: objective ?? DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])),
            optimizer: Adam(learningRate: 3e-3), options: TrainingOptions(epochs: epochs, batchSize: 32, schedule: .constant(3e-3), seed: seed))
        try! trainer.fit(train, validation: Optional<TensorDataset>.none)
        model.eval()
        return model
    }

    static let undefended = trainedMLP()
    static let batch = test.batch(at: Array(0..<200))
}

final class AttackTests: XCTestCase {
    let linf = ThreatModel(norm: .linf, epsilon: 0.1)
    let l2 = ThreatModel(norm: .l2, epsilon: 0.5)

    func testEveryAttackStaysWithinItsBudgetAndTheInputRange() {
        let (x, y) = (Digits.batch.inputs, Digits.batch.labels!)
        let attacks: [(any Attack, ThreatModel)] = [
            (FGSM(linf), linf), (FGSM(l2), l2), (PGD(linf, steps: 10), linf), (PGD(l2, steps: 10), l2),
            (PGD(linf, steps: 10, loss: .margin, schedule: .cosine), linf), (MIFGSM(linf, steps: 10), linf),
            (APGD(linf, steps: 20), linf), (APGD(l2, steps: 20), l2),
            (CarliniWagnerL2(steps: 30, binarySearchSteps: 3, threat: l2), l2),
        ]
        for (attack, threat) in attacks {
            var generator = RandomGenerator(seed: 3)
            let adversarial = attack.perturb(Digits.undefended, inputs: x, labels: y, using: &generator)
            XCTAssertEqual(adversarial.shape, x.shape)
            let largest = threat.perturbationSizes(adversarial, from: x).max()!
            XCTAssertLessThanOrEqual(largest, threat.epsilon * (1 + 1e-5) + 1e-6, "\(attack.name) exceeds ε = \(threat.epsilon)")
            XCTAssertGreaterThan(largest, threat.epsilon * 0.5, "\(attack.name) should use its budget")
            XCTAssertGreaterThanOrEqual(adversarial.scalars.min()!, 0, attack.name)
            XCTAssertLessThanOrEqual(adversarial.scalars.max()!, 1, attack.name)
        }
    }

    func testTargetedAttacksHitTheirTargetOnAnUndefendedModel() {
        let (x, y) = (Digits.batch.inputs, Digits.batch.labels!)
        let targets = Tensor(y.integerScalars.map { Float(($0 + 3) % 10) })
        for attack in [PGD(ThreatModel(epsilon: 0.3), steps: 40) as any Attack, PGD(ThreatModel(epsilon: 0.3), steps: 40, loss: .margin),
                       CarliniWagnerL2(steps: 60, binarySearchSteps: 4)] {
            var generator = RandomGenerator(seed: 4)
            let adversarial = attack.perturb(Digits.undefended, inputs: x, labels: y, targets: targets, using: &generator)
            let predicted = Digits.undefended(adversarial).argmax(axis: 1).integerScalars
            let hits = zip(predicted, targets.integerScalars).filter { $0 == $1 }.count
            XCTAssertGreaterThan(Double(hits) / 200, 0.9, "\(attack.name) targeted success")
        }
    }

    func testStrongerAttacksNeverRaiseAccuracy() throws {
        let e = ThreatModel(epsilon: 0.1)
        let report = try evaluateRobustness(
            Digits.undefended, on: Digits.test,
            attacks: [FGSM(e), PGD(e, steps: 5), PGD(e, steps: 20), PGD(e, steps: 50), APGD(e, steps: 50), CarliniWagnerL2(steps: 50, binarySearchSteps: 4, threat: ThreatModel(norm: .l2, epsilon: 0.8))],
            threat: e, limit: 200)
        print(report.markdown())
        let accuracy = { (name: String) in report[name]!.accuracy }
        XCTAssertLessThanOrEqual(accuracy("fgsm"), report.cleanAccuracy)
        XCTAssertLessThanOrEqual(accuracy("pgd-20"), accuracy("fgsm"))
        XCTAssertLessThanOrEqual(accuracy("pgd-20"), accuracy("pgd-5") + 0.01, "more steps must not help the model")
        XCTAssertLessThanOrEqual(accuracy("pgd-50"), accuracy("pgd-20") + 0.01)
        XCTAssertLessThanOrEqual(accuracy("apgd-ce"), accuracy("pgd-50") + 0.02)
        XCTAssertLessThan(accuracy("pgd-20"), report.cleanAccuracy - 0.3, "ε = 0.1 should hurt an undefended model badly")
        XCTAssertLessThanOrEqual(report.worstCaseAccuracy, report.attacks.map(\.accuracy).min()!)
        XCTAssertGreaterThan(report.cleanAccuracy, 0.93)
    }

    func testCarliniWagnerFindsSmallPerturbations() {
        let (x, y) = (Digits.batch.inputs, Digits.batch.labels!)
        var generator = RandomGenerator(seed: 5)
        let adversarial = CarliniWagnerL2(steps: 80, binarySearchSteps: 5).perturb(Digits.undefended, inputs: x, labels: y, using: &generator)
        let predicted = Digits.undefended(adversarial).argmax(axis: 1).integerScalars
        let clean = Digits.undefended(x).argmax(axis: 1).integerScalars
        let broken = zip(predicted, y.integerScalars).filter { $0 != $1 }.count
        XCTAssertGreaterThan(Double(broken) / 200, 0.95, "unbounded CW breaks almost every sample")
        let sizes = ThreatModel(norm: .l2, epsilon: 1).perturbationSizes(adversarial, from: x).sorted()
        print("CW median L2 \(sizes[100]), clean-correct \(zip(clean, y.integerScalars).filter { $0 == $1 }.count)")
        // An L∞ step of 0.1 on all 64 inputs has L2 norm 0.8, and PGD at that budget leaves
        // over 40% of these samples correct (testStrongerAttacksNeverRaiseAccuracy).
        XCTAssertLessThan(sizes[100], 0.8, "CW's median perturbation is smaller than an L∞ 0.1 sign step's")
    }
}

final class QuadAttackTests: XCTestCase {
    /// Ordered top-3 targets on an undefended model: QuadAttack puts the three classes first,
    /// in order, on most samples within the budget; a targeted PGD on the first target alone
    /// rarely gets the order right.
    func testQuadAttackAchievesOrderedTopKTargets() {
        let (x, y) = (Digits.batch.inputs.slice(axis: 0, start: 0, end: 100), Digits.batch.labels!.slice(axis: 0, start: 0, end: 100))
        var generator = RandomGenerator(seed: 11)
        let targets = Tensor(y.integerScalars.flatMap { label -> [Float] in
            let others = (0..<10).filter { $0 != label }
            return randomPermutation(others.count, using: &generator).prefix(3).map { Float(others[$0]) }
        }, shape: [100, 3])
        let threat = ThreatModel(epsilon: 0.3)
        let attack = QuadAttack(threat, featurePath: "1", classifierPath: "2", steps: 60)
        let adversarial = attack.perturb(Digits.undefended, inputs: x, labels: y, targets: targets, using: &generator)
        XCTAssertLessThanOrEqual(threat.perturbationSizes(adversarial, from: x).max()!, 0.3 + 1e-6)
        let hits = QuadAttack.hitsOrderedTopK(Digits.undefended(adversarial), targets: targets).filter { $0 }.count
        let pgd = PGD(threat, steps: 60).perturb(Digits.undefended, inputs: x, labels: y, targets: targets.slice(axis: 1, start: 0, end: 1).reshaped([100]), using: &generator)
        let pgdHits = QuadAttack.hitsOrderedTopK(Digits.undefended(pgd), targets: targets).filter { $0 }.count
        print("ordered top-3: QuadAttack \(hits)/100, targeted PGD on the first target \(pgdHits)/100")
        XCTAssertGreaterThan(hits, 70)
        XCTAssertGreaterThan(hits, pgdHits + 30)
    }
}

final class AccuracyCurveTests: XCTestCase {
    func testAccuracyFallsWithEpsilonAndThePlotIsWritten() throws {
        let epsilons: [Float] = [0, 0.05, 0.1, 0.2]
        let series = try AccuracyCurve.measure(Digits.undefended, on: Digits.test, epsilons: epsilons, label: "plain MLP", limit: 200) {
            PGD(ThreatModel(epsilon: $0), steps: 10)
        }
        let accuracies = series.points.map(\.accuracy)
        XCTAssertEqual(series.points.map(\.epsilon), epsilons.map(Double.init))
        XCTAssertEqual(accuracies, accuracies.sorted(by: >), "robust accuracy never rises with ε")
        XCTAssertGreaterThan(accuracies[0], 0.95)
        XCTAssertLessThan(accuracies[3], 0.1)
        let svg = AccuracyCurve(title: "digits, PGD-10 <L∞>", norm: .linf, series: [series]).svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains("<polyline points=\""))
        XCTAssertTrue(svg.contains("plain MLP"))
        XCTAssertTrue(svg.contains("&lt;L∞&gt;"), "text is escaped")
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 4)
        XCTAssertNoThrow(try XMLDocument(xmlString: svg), "well-formed XML")
    }
}

final class DefensiveDistillationLossTests: XCTestCase {
    /// The term by hand — `−Σ q·log softmax(z/T)` with q the labels' one-hot or the teacher's
    /// softmax at T — and its gradient.
    func testValueByHandAndGradient() {
        var generator = RandomGenerator(seed: 12)
        let (student, teacher) = (Tensor.normal([4, 3], standardDeviation: 5, using: &generator), Tensor.normal([4, 3], standardDeviation: 5, using: &generator))
        let labels = Tensor([0, 2, 1, 2])
        let term = DefensiveDistillationLoss(temperature: 10)
        func logSoftmax(_ row: [Float]) -> [Double] {
            let scaled = row.map { Double($0) / 10 }, top = scaled.max()!
            let lse = top + log(scaled.map { exp($0 - top) }.reduce(0, +))
            return scaled.map { $0 - lse }
        }
        var withLabels = 0.0, withTeacher = 0.0
        for i in 0..<4 {
            let s = logSoftmax(Array(student.scalars[(i * 3)..<(i * 3 + 3)]))
            let q = logSoftmax(Array(teacher.scalars[(i * 3)..<(i * 3 + 3)])).map { exp($0) }
            withLabels -= s[labels.integerScalars[i]] / 4
            withTeacher -= zip(q, s).map { $0 * $1 }.reduce(0, +) / 4
        }
        XCTAssertEqual(Double(term(DistillationBatch(studentLogits: student, labels: labels)).item), withLabels, accuracy: 1e-5)
        let distilling = DistillationBatch(studentLogits: student, teacherLogits: teacher, labels: labels)
        XCTAssertEqual(Double(term(distilling).item), withTeacher, accuracy: 1e-5)
        XCTAssertTrue(checkGradients(of: { values in
            var perturbed = distilling
            perturbed.studentLogits = values[0]
            return term(perturbed)
        }, at: [student]).passed)
    }
}
