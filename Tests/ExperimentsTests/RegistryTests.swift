import Datasets
import Distillation
import Experiments
import Robustness
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

/// Training on label-smoothed cross-entropy: a method registered from outside the library.
struct SmoothedTraining: ConfigurableMethod {
    static let configName = "test_smoothed_ce"
    static let configKeys = "smoothing"
    static var needs: Set<MethodNeed> { [.noTeacher] }
    let smoothing: Float
    var teacher: (any Teacher)? { nil }
    var trainableModules: [Module] { [] }

    static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let smoothing: Float = try entry.value("smoothing", default: 0.1)
        guard (0..<1).contains(smoothing) else { throw (try entry.optional("smoothing") ?? entry).error("must be in [0, 1), found \(smoothing)") }
        return Self(smoothing: smoothing)
    }

    func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Batch { batch }

    func loss(_ batch: Batch, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let loss = crossEntropy(logits: student(batch.inputs), labels: batch.labels!, labelSmoothing: smoothing)
        return (loss, ["smoothed_ce": loss.item])
    }
}

/// The catalogs are the targets' registries joined; a program adds its own entries.
final class RegistryTests: XCTestCase {
    /// Registered once per process (the catalog is global).
    static let registration: Void = {
        try! LossCatalog.register(HalfKnowledgeDistillation.self)
        try! MethodCatalog.register(SmoothedTraining.self)
    }()

    func testTheTargetsListEveryLossTerm() {
        XCTAssertEqual(Array(LossCatalog.names.prefix(23)),
                       ["ce", "kd", "ssld", "dkd", "fitnets", "at", "sp", "rkd", "pkt", "vid", "crd", "meal", "mi_alpha", "token_relations", "nst", "cc", "fsp", "ab", "ft", "defensive",
                        "ffg2m_low", "ffg2m_high", "vqgraph_tokens"],
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

    func testTheTargetsListEveryMethod() {
        XCTAssertEqual(Array(MethodCatalog.names.prefix(21)), ["pgd-at", "trades", "ard", "rslad", "mtard", "hard",
                                                               "denoising", "consistency", "scm", "boot", "progressive", "reflow", "dmd", "dmd2", "sid", "vsd", "disback", "sign", "add", "ladd", "vqgraph"])
    }

    func testAMethodRegisteredByAProgramIsUsableByName() throws {
        Self.registration
        let yaml = """
            data: {dataset: digits, train_limit: 64}
            model: {model: mlp, hidden: [8]}
            method: {name: test_smoothed_ce, smoothing: 0.2}
            training: {epochs: 1}
            """
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), kind: .train)
        XCTAssertEqual((experiment.trainer.objective as? SmoothedTraining)?.smoothing, 0.2)
        XCTAssertNil(experiment.threat, "not a robust method: no threat to evaluate at")
        XCTAssertEqual(validationError(yaml.replacingOccurrences(of: "smoothing: 0.2", with: "smoothing: 1.5"), kind: .train),
                       "run.yaml:3: method.smoothing: must be in [0, 1), found 1.5")
        XCTAssertThrowsError(try MethodCatalog.register(TRADES.self)) { error in
            XCTAssertEqual("\(error)", "cannot register TRADES as method 'trades': TRADES has that name")
        }
    }

    func testAnUnknownMethodListsExactlyTheRegisteredNames() {
        let yaml = distillConfig(["losses:": "method: {name: fgsm-at, epsilon: 0.1}", "  - {name: kd": "", "  - {name: ce": ""])
        XCTAssertEqual(validationError(yaml), "run.yaml:6: method.name: unknown method 'fgsm-at' (valid: \(MethodCatalog.names.joined(separator: ", ")))")
    }

    func testEveryAttackNameResolvesAndAnUnknownOneListsThemAll() throws {
        XCTAssertEqual(AttackCatalog.names, ["fgsm", "fgsm-cw", "pgd-<steps>", "pgd-<steps>-cw", "mi-fgsm", "apgd-ce", "apgd-cw", "cw-l2"])
        let threat = ThreatModel(norm: .linf, epsilon: 0.1)
        for name in AttackCatalog.names {
            let attack = try AttackCatalog.attack(named: name.replacingOccurrences(of: "<steps>", with: "7"), threat: threat)
            XCTAssertTrue(type(of: attack) is any NamedAttack.Type, name)
        }
        XCTAssertEqual((try AttackCatalog.attack(named: "pgd-7-cw", threat: threat) as? PGD)?.steps, 7)
        XCTAssertThrowsError(try AttackCatalog.attack(named: "pgd-0", threat: threat)) { error in
            XCTAssertEqual("\(error)", "unknown attack 'pgd-0' (valid: \(AttackCatalog.names.joined(separator: ", ")))")
        }
    }

    func testEveryModelNameIsListedAndAnUnknownOneListsThemAll() {
        XCTAssertEqual(ModelCatalog.names, [
            "mlp", "lenet5", "resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet8x4", "resnet32x4",
            "resnet18", "resnet34", "wrn-<depth>-<width>",
        ] + VGG.configurations.keys.sorted() + ["mobilenetv2", "shufflenetv1", "shufflenetv2", "vit", "gcn", "gat", "graphsage", "appnp", "vqgraph-gcn", "gin", "gpt", "denoising-mlp", "unet"])
        XCTAssertEqual(ModelCatalog.entries.filter { !$0.keys.isEmpty }.map { $0.name }, ["mlp", "vit", "gcn", "gat", "graphsage", "appnp", "vqgraph-gcn", "gin", "gpt", "denoising-mlp", "unet"], "the models that read keys of their own")
        XCTAssertTrue(validationError(distillConfig(["  hidden: [8]": "  hidden: [8]\n  depth: 3"])).hasPrefix("run.yaml:6: student.depth: unknown key"),
                      "a key the model does not read")
        XCTAssertEqual(validationError(distillConfig(["  model: mlp": "  model: resnet21"])),
                       "run.yaml:4: student.model: unknown model 'resnet21' (valid: \(ModelCatalog.names.joined(separator: ", ")))")
        XCTAssertEqual(validationError(distillConfig(["  model: mlp": "  model: wrn-16-2"])),
                       "run.yaml:4: student.model: wrn-16-2 takes square 3-channel images; the data's samples are [1, 8, 8] (mlp and lenet5 take any)")
    }
}
