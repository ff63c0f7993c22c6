import Foundation
import NN
import Tensors
import XCTest

final class ModuleTests: XCTestCase {
    func testBatchNormMatchesPyTorchInTrainingAndInference() {
        let bn = BatchNorm2d(3, momentum: 0.2)
        let x = Fixtures.tensor("bn_input")
        assertClose(bn(x), Fixtures.tensor("bn_train_out"), tolerance: 1e-5, "training output")
        assertClose(bn.runningMean, Fixtures.tensor("bn_running_mean"), tolerance: 1e-6, "running mean")
        assertClose(bn.runningVariance, Fixtures.tensor("bn_running_var"), tolerance: 1e-5, "running variance (unbiased)")
        XCTAssertEqual(bn.batchesTracked.item, 1)
        bn.eval()
        assertClose(bn(x), Fixtures.tensor("bn_eval_out"), tolerance: 1e-5, "inference output")
    }

    func testLayerParameterGradients() {
        var generator = RandomGenerator(seed: 3)
        let layers: [(String, Module, [Int])] = [
            ("Linear", Linear(5, 3, using: &generator), [4, 5]),
            ("Conv2d", Conv2d(4, 6, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), groups: 2, using: &generator), [2, 4, 5, 5]),
            ("Conv1d", Conv1d(2, 3, kernelSize: 3, padding: 1, using: &generator), [2, 2, 6]),
            ("ConvTranspose2d", ConvTranspose2d(2, 3, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), using: &generator), [2, 2, 3, 3]),
            ("BatchNorm2d", BatchNorm2d(3), [4, 3, 2, 2]),
            ("BatchNorm1d", BatchNorm1d(3), [5, 3]),
            ("LayerNorm", LayerNorm(6), [3, 6]),
            ("GroupNorm", GroupNorm(groups: 2, channels: 4), [2, 4, 3, 3]),
            ("MultiHeadSelfAttention", MultiHeadSelfAttention(dimension: 6, heads: 2, using: &generator), [2, 3, 6]),
            ("TransformerBlock", TransformerBlock(dimension: 4, heads: 2, mlpRatio: 2, using: &generator), [2, 3, 4]),
            ("Embedding", Embedding(5, 3, using: &generator), [4]),
        ]
        for (name, layer, shape) in layers {
            // Embedding takes indices; every other layer takes real inputs.
            let input = layer is Embedding ? Tensor([4, 0, 2, 4]) : Tensor.normal(shape, using: &generator)
            XCTAssertFalse(layer.namedParameters().isEmpty, name)
            let result = layer.checkParameterGradients(input: input)
            XCTAssertTrue(result.passed, "\(name): \(result)")
        }
    }

    func testFeatureTapsFreezeModesAndPaths() throws {
        var generator = RandomGenerator(seed: 4)
        let model = MLP(widths: [4, 8, 8, 2], dropout: 0.5, using: &generator)
        // Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear: numbered as nn.Sequential.
        XCTAssertEqual(model.namedParameters().map(\.path), ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
        XCTAssertEqual(model.stagePaths, ["1", "4"])
        let x = Tensor.normal([3, 4], using: &generator)
        model.eval()
        let (output, features) = try model.capturingFeatures(["1", "3"]) { model(x) }
        XCTAssertEqual(features["1"]?.shape, [3, 8])
        XCTAssertEqual(features["1"]!.min().item, 0, "relu output")
        XCTAssertEqual(output.shape, [3, 2])
        XCTAssertThrowsError(try model.capturingFeatures(["layer9"]) { model(x) }) { error in
            XCTAssertTrue("\(error)".contains("feature path 'layer9' does not exist in MLP (valid paths: 0, 1, 2, 3, 4, 5, 6)"), "\(error)")
        }
        // Inference is deterministic; training mode applies dropout.
        XCTAssertEqual(model(x).scalars, model(x).scalars)
        model.train()
        XCTAssertNotEqual(model(x).scalars, model(x).scalars)
        model.freeze()
        XCTAssertTrue(model.trainableParameters.isEmpty)
        XCTAssertFalse(model(x).requiresGradient)
        model.unfreeze()
        XCTAssertEqual(model.trainableParameters.count, 6)
    }

    func testLoadingReportsMissingExtraAndMisshapenKeys() throws {
        var generator = RandomGenerator(seed: 5)
        let model = MLP(widths: [4, 3, 2], using: &generator)
        var state = model.stateDict()
        state["0.weight"] = nil
        state["2.bias"] = Tensor.zeros([5])
        state["head.weight"] = Tensor.zeros([1])
        XCTAssertThrowsError(try model.loadStateDict(state, source: "teacher.safetensors")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("teacher.safetensors does not fit the model: "), text)
            XCTAssertTrue(text.contains("missing 0.weight"), text)
            XCTAssertTrue(text.contains("2.bias: shape [5], expected [2]"), text)
            XCTAssertTrue(text.contains("unexpected head.weight"), text)
        }
    }

    func testSaveThenLoadGivesIdenticalOutputs() throws {
        var generator = RandomGenerator(seed: 6)
        let original = CIFARResNet(depth: 8, using: &generator)
        let x = Tensor.normal([2, 3, 32, 32], using: &generator)
        _ = original(x)  // move the batch-norm statistics off their initial values
        original.eval()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resnet8-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try original.save(to: url)
        var other = RandomGenerator(seed: 99)
        let restored = CIFARResNet(depth: 8, using: &other)
        try restored.load(from: url)
        restored.eval()
        XCTAssertEqual(restored(x).scalars, original(x).scalars)
    }
}

/// A module whose child can be replaced, to test the cached structure.
private final class Swappable: Module {
    var head: Linear
    init(_ head: Linear) {
        self.head = head
        super.init()
    }
    override func forward(_ input: Tensor) -> Tensor { head(input) }
}

final class StructureCacheTests: XCTestCase {
    func testReplacedChildIsSeenAfterInvalidation() {
        var generator = RandomGenerator(seed: 7)
        let model = Swappable(Linear(2, 3, using: &generator))
        XCTAssertEqual(model.namedParameters().map { $0.parameter.wrappedValue.shape }, [[3, 2], [3]])
        model.head = Linear(2, 5, bias: false, using: &generator)
        model.invalidateCachedStructure()
        XCTAssertEqual(model.namedParameters().map(\.path), ["head.weight"])
        XCTAssertEqual(model.stateDict()["head.weight"]?.shape, [5, 2])
    }
}
