import Datasets
import Distillation
import NN
import Optim
import Robustness
import Tensors
import XCTest

/// The robust training methods' claims at small scale (digits, L∞ ε = 0.1, PGD-20 evaluation).
final class RobustTrainingTests: XCTestCase {
    static let threat = ThreatModel(epsilon: 0.1)
    static let trainingAttack = PGD(threat, steps: 7, stepSize: 0.03)

    /// Madry's adversarially trained MLP: also the robust teacher below.
    static let adversariallyTrained = Digits.trainedMLP(hidden: [128], epochs: 20, objective: AdversarialTraining(attack: trainingAttack))

    func report(_ model: Module) throws -> RobustnessReport {
        try evaluateRobustness(model, on: Digits.test, attacks: [PGD(Self.threat, steps: 20), PGD(Self.threat, steps: 20, loss: .margin)],
                               threat: Self.threat, limit: 300)
    }

    func testAdversarialTrainingAndTRADESRaiseRobustAccuracyWellAboveAPlainModel() throws {
        let plain = try report(Digits.undefended)
        let madry = try report(Self.adversariallyTrained)
        let trades = try report(Digits.trainedMLP(hidden: [128], epochs: 20, objective: TRADES(attack: Self.trainingAttack, beta: 6)))
        print("plain\n\(plain.markdown())\nPGD-AT\n\(madry.markdown())\nTRADES\n\(trades.markdown())")
        XCTAssertGreaterThan(madry["pgd-20"]!.accuracy, plain["pgd-20"]!.accuracy + 0.25)
        XCTAssertGreaterThan(trades["pgd-20"]!.accuracy, plain["pgd-20"]!.accuracy + 0.25)
        XCTAssertGreaterThan(madry.cleanAccuracy, 0.85)
    }

    func testRobustDistillationGivesASmallStudentRobustness() throws {
        let teacher = ModelTeacher(Self.adversariallyTrained)
        let plainStudent = try report(Digits.trainedMLP(hidden: [32], epochs: 20, seed: 2))
        let ard = try report(Digits.trainedMLP(hidden: [32], epochs: 20, seed: 2, objective: ARD(teacher: teacher, attack: Self.trainingAttack, alpha: 0.9, temperature: 4)))
        let rslad = try report(Digits.trainedMLP(hidden: [32], epochs: 20, seed: 2, objective: RSLAD(teacher: teacher, attack: Self.trainingAttack)))
        print("student alone\n\(plainStudent.markdown())\nARD\n\(ard.markdown())\nRSLAD\n\(rslad.markdown())")
        XCTAssertGreaterThan(ard["pgd-20"]!.accuracy, plainStudent["pgd-20"]!.accuracy + 0.2)
        XCTAssertGreaterThan(rslad["pgd-20"]!.accuracy, plainStudent["pgd-20"]!.accuracy + 0.2)
    }

    func testMTARDBalancesTheTeachersEntropies() throws {
        let objective = MTARD(cleanTeacher: ModelTeacher(Digits.trainedMLP(hidden: [256], epochs: 20, seed: 5)),
                              robustTeacher: ModelTeacher(Self.adversariallyTrained), attack: Self.trainingAttack)
        let student = Digits.trainedMLP(hidden: [32], epochs: 15, seed: 2, objective: objective)
        let result = try report(student)
        print("MTARD τ_nat \(objective.cleanTemperature) τ_adv \(objective.robustTemperature) H \(objective.cleanEntropy) \(objective.robustEntropy) w_nat \(objective.cleanWeight)\n\(result.markdown())")
        XCTAssertEqual(objective.cleanEntropy, objective.robustEntropy, accuracy: 0.05, "the balance matches the entropies")
        XCTAssertNotEqual(objective.cleanTemperature, objective.robustTemperature, "the temperatures moved apart to get there")
        XCTAssertEqual(objective.cleanWeight + objective.robustWeight, 1, accuracy: 1e-5)
        XCTAssertGreaterThan(result["pgd-20"]!.accuracy, 0.5)
    }

    /// Papernot et al. (2016), and Carlini & Wagner (2017) breaking it: trained at T = 100,
    /// the deployed network's softmax saturates and its cross-entropy gradients vanish, so PGD
    /// on cross-entropy barely moves it, while PGD on the logit margin — and even examples
    /// transferred from an undefended surrogate — break it. Gradient masking shows too as
    /// PGD doing no better than one FGSM step.
    func testDefensiveDistillationMasksGradientsAndFallsToTheMarginAttack() throws {
        let defensive = WeightedLoss([(1, DefensiveDistillationLoss(temperature: 100))])
        let teacher = Digits.trainedMLP(hidden: [64], epochs: 40, seed: 3, objective: DistillationObjective(teacher: nil, loss: defensive))
        let student = Digits.trainedMLP(hidden: [64], epochs: 40, seed: 4, objective: DistillationObjective(teacher: ModelTeacher(teacher), loss: defensive))
        let attacks: [any Attack] = [FGSM(Self.threat), PGD(Self.threat, steps: 20), PGD(Self.threat, steps: 20, loss: .margin),
                                     TransferAttack(from: Digits.trainedMLP(hidden: [64], epochs: 20, seed: 8), attack: PGD(Self.threat, steps: 20))]
        let distilled = try evaluateRobustness(student, on: Digits.test, attacks: attacks, threat: Self.threat, limit: 300)
        let plain = try evaluateRobustness(Digits.undefended, on: Digits.test, attacks: attacks, threat: Self.threat, limit: 300)
        print("defensive distillation\n\(distilled.markdown())\nplain\n\(plain.markdown())")
        XCTAssertGreaterThan(distilled.cleanAccuracy, 0.9)
        XCTAssertGreaterThan(distilled["pgd-20"]!.accuracy, plain["pgd-20"]!.accuracy + 0.2, "cross-entropy attacks stall on the distilled network")
        XCTAssertLessThan(distilled["pgd-20-cw"]!.accuracy, plain["pgd-20"]!.accuracy + 0.1, "the margin attack breaks it anyway")
        XCTAssertLessThan(distilled.worstCaseAccuracy, distilled["pgd-20"]!.accuracy - 0.2)
        XCTAssertLessThan(distilled["transfer-pgd-20"]!.accuracy, distilled["pgd-20"]!.accuracy - 0.1, "black-box beats white-box: masking")
        XCTAssertGreaterThanOrEqual(distilled["pgd-20"]!.accuracy, distilled["fgsm"]!.accuracy - 0.02, "20 steps no better than one: masking")
        XCTAssertLessThan(plain["pgd-20"]!.accuracy, plain["fgsm"]!.accuracy, "on the undefended model more steps do help")
    }
}
