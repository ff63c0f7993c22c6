import Distillation
import Experiments
import Foundation
import NN
import Tensors
import XCTest

/// Half of Hinton's KD loss: a term registered from outside the library's targets.
struct HalfKnowledgeDistillation: ConfigurableLossTerm {
    static let configName = "test_half_kd"
    static let configKeys = "temperature"
    let temperature: Float
    var name: String { Self.configName }

    static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(temperature: try entry.positiveValue("temperature", default: 4))
    }

    func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        0.5 * KnowledgeDistillationLoss(temperature: temperature)(batch)
    }
}

/// The catalogs are the targets' registries joined; a program adds its own entries.
final class RegistryTests: XCTestCase {
    /// Registered once per process (the catalog is global).
    static let registration: Void = { try! LossCatalog.register(HalfKnowledgeDistillation.self) }()

    func testTheTargetsListEveryLossTerm() {
        XCTAssertEqual(Array(LossCatalog.names.prefix(15)),
                       ["ce", "kd", "ssld", "dkd", "fitnets", "at", "sp", "rkd", "pkt", "vid", "crd", "meal", "mi_alpha", "token_relations", "defensive"],
                       "a loss type left out of its target's list would be missing here")
    }

    func testALossRegisteredByAProgramIsUsableByName() throws {
        Self.registration
        let yaml = distillConfig(["  - {name: kd": "  - {name: test_half_kd, weight: 0.9, temperature: 2}"])
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), kind: .distill)
        let terms = (experiment.trainer.objective as! DistillationObjective).lossTerms.terms
        XCTAssertEqual(terms.map { $0.term.name }, ["test_half_kd", "ce"])
        let half = try XCTUnwrap(terms[0].term as? HalfKnowledgeDistillation)
        XCTAssertEqual(half.temperature, 2)
        var generator = RandomGenerator(seed: 3)
        let batch = DistillationBatch(studentLogits: Tensor.normal([4, 10], using: &generator), teacherLogits: Tensor.normal([4, 10], using: &generator))
        XCTAssertEqual(half(batch).item, 0.5 * KnowledgeDistillationLoss(temperature: 2)(batch).item, accuracy: 1e-6)

        XCTAssertTrue(validationError(distillConfig(["  - {name: kd": "  - {name: test_half_kd, temperature: -1}"]))
            .hasSuffix("losses[0].temperature: must be positive, found -1.0"), "the term validates its own keys")
        XCTAssertThrowsError(try LossCatalog.register(HalfKnowledgeDistillation.self)) { error in
            XCTAssertEqual("\(error)", "cannot register HalfKnowledgeDistillation as loss 'test_half_kd': HalfKnowledgeDistillation has that name")
        }
        XCTAssertThrowsError(try LossCatalog.register(KnowledgeDistillationLoss.self)) { error in
            XCTAssertEqual("\(error)", "cannot register KnowledgeDistillationLoss as loss 'kd': KnowledgeDistillationLoss has that name")
        }
    }

    func testAnUnknownLossListsExactlyTheRegisteredNames() {
        XCTAssertEqual(validationError(distillConfig(["  - {name: kd": "  - {name: kdd}"])),
                       "run.yaml:7: losses[0].name: unknown loss 'kdd' (valid: \(LossCatalog.names.joined(separator: ", ")))")
    }
}
