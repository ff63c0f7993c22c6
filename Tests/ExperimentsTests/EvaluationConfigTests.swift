import Experiments
import Foundation
import Robustness
import XCTest

/// A run's `evaluation:` section chooses the attacks its summary reports, and `distill
/// attack`'s workflow (`Experiment.attack`, `AttackEvaluation.run`) measures and writes them.
final class EvaluationConfigTests: FolderTestCase {
    private func experiment(_ yaml: String) throws -> Experiment {
        try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), outputDirectory: folder.appendingPathComponent("run"))
    }

    private let robust = """
        data: {dataset: digits, train_limit: 128}
        model: {model: mlp, hidden: [16]}
        method: {name: pgd-at, epsilon: 0.1, steps: 2}
        training: {epochs: 1, seed: 3}
        """
    private let plain = """
        data: {dataset: digits, train_limit: 128}
        model: {model: mlp, hidden: [16]}
        training: {epochs: 1, seed: 3}
        """

    /// Without the section a robust method's run is evaluated as before: PGD-20 and
    /// PGD-20-CW at its training threat, on up to 1,000 samples; any other run under none.
    func testTheDefaultIsPGD20AndItsCWVariantForARobustMethodOnly() throws {
        let evaluation = try XCTUnwrap(try experiment(robust).attackEvaluation)
        XCTAssertEqual(evaluation.names, ["pgd-20", "pgd-20-cw"])
        XCTAssertEqual(evaluation.attacks.map(\.name), ["pgd-20", "pgd-20-cw"])
        XCTAssertEqual(evaluation.limit, 1000)
        XCTAssertEqual(evaluation.seed, 3)
        XCTAssertEqual(evaluation.threat, ThreatModel(norm: .linf, epsilon: 0.1))
        XCTAssertNil(try experiment(plain).attackEvaluation)
        XCTAssertNil(try experiment(robust + "\nevaluation: {attacks: []}").attackEvaluation)
    }

    /// The config's attacks, threat and limit reach the summary of a plain run.
    func testTheConfigsAttacksAreWhatTheSummaryReports() throws {
        let run = try experiment(plain + "\nevaluation: {attacks: [fgsm, pgd-3-cw], threat: {norm: l2, epsilon: 0.5}, limit: 40}")
        let evaluation = try XCTUnwrap(run.attackEvaluation)
        XCTAssertEqual(evaluation.threat, ThreatModel(norm: .l2, epsilon: 0.5))
        let summary = try run.run()
        let robustness = try XCTUnwrap(summary.robustness)
        XCTAssertEqual(robustness.count, 40)
        XCTAssertEqual(robustness.attacks.map(\.attack), ["fgsm", "pgd-3-cw"])
        XCTAssertEqual(summary.threat, "l2 ε = 0.5")
        for attack in robustness.attacks {
            XCTAssertLessThanOrEqual(attack.accuracy, robustness.cleanAccuracy)
            XCTAssertLessThanOrEqual(attack.largestPerturbation, 0.5 + 1e-4)
        }
        XCTAssertTrue(try String(contentsOf: folder.appendingPathComponent("run/summary.md"), encoding: .utf8).contains("| pgd-3-cw |"))
    }

    func testEvaluationsThatCannotRunAreRefusedWithTheirKeys() throws {
        let language = """
            data: {dataset: tinyshakespeare, context: 16, train_limit: 200}
            model: {model: gpt, layers: 1, heads: 1, embedding: 8}
            training: {epochs: 1}
            """
        let cases: [(String, String)] = [
            (robust + "\nevaluation: {attacks: [pgd-20, pgd]}", "run.yaml:5: evaluation.attacks[1]: unknown attack 'pgd' (valid: fgsm, fgsm-cw, pgd-<steps>"),
            (plain + "\nevaluation: {attacks: [fgsm]}", "run.yaml:4: evaluation: attacks need a threat model: add `threat: {norm: linf, epsilon: …}` (this run's method has none)"),
            (plain + "\nevaluation: {attacks: [fgsm], threat: {epsilon: 2}}", "run.yaml:4: evaluation.threat.epsilon: 2.0 exceeds 1.0"),
            (plain + "\nevaluation: {attacks: [fgsm], threat: {norm: l1, epsilon: 0.1}}", "run.yaml:4: evaluation.threat.norm: unknown norm 'l1' (valid: linf, l2)"),
            (plain + "\nevaluation: {atacks: [fgsm]}", "run.yaml:4: evaluation.atacks: unknown key (valid here: attacks, limit, threat)"),
            (robust + "\nevaluation: {limit: 0}", "run.yaml:5: evaluation.limit: must be in [1, 2147483647], found 0"),
            (language + "\nevaluation: {attacks: [fgsm], threat: {epsilon: 0.1}}", "run.yaml:4: evaluation.attacks: attacks perturb a classifier's input tensor along its gradient; this run's GPT is not such a classifier"),
            (plain.replacingOccurrences(of: "train_limit: 128", with: "train_limit: 128, validation: none") + "\nevaluation: {attacks: [fgsm], threat: {epsilon: 0.1}}",
             "run.yaml:4: evaluation.attacks: attacks are evaluated on the validation data; set data.validation to test or holdout"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try experiment(yaml), yaml) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(yaml)\n→ \(error)")
            }
        }
    }

    /// `distill attack`'s workflow: the report and the curve are measured, written into the
    /// run's folder and read back equal; a budget beyond the inputs attacks nothing.
    func testTheAttackWorkflowWritesItsReportAndCurve() throws {
        let run = try experiment(plain)
        try run.run()
        try run.loadTrainedWeights()
        let evaluation = try AttackEvaluation(attacks: ["fgsm", "pgd-5"], threat: ThreatModel(norm: .linf, epsilon: 0.1), limit: 64, seed: 1)
        let outcome = try run.attack(by: evaluation, curveBudgets: [0.2, 0, 0.05])
        XCTAssertEqual(outcome.reportFile.lastPathComponent, "robustness-linf-0.1.json")
        let written = try JSONDecoder().decode(RobustnessReport.self, from: Data(contentsOf: outcome.reportFile))
        XCTAssertEqual(written, outcome.report)
        XCTAssertEqual(written.count, 64)
        let curve = try XCTUnwrap(outcome.curve)
        XCTAssertEqual(curve.points.map(\.epsilon), [0, 0.05, 0.2].map { Double(Float($0)) })
        XCTAssertEqual(curve.points[0].accuracy, written.cleanAccuracy)
        XCTAssertGreaterThanOrEqual(curve.points[1].accuracy, curve.points[2].accuracy, "a larger budget cannot help")
        XCTAssertTrue(try String(contentsOf: XCTUnwrap(outcome.curveFile), encoding: .utf8).hasPrefix("<svg"))

        let tooLarge = try AttackEvaluation(attacks: ["fgsm"], threat: ThreatModel(norm: .l2, epsilon: 9), limit: 8)
        XCTAssertThrowsError(try run.attack(by: tooLarge)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--epsilon 9.0 exceeds 8.0, the L2 diameter of 64 inputs"), "\(error)")
        }
    }
}
