import Foundation
import NN
import Optim
import Tensors
import XCTest

/// LoRA around a `Linear` and a `Conv2d`: it starts as the base layer, merged and unmerged
/// outputs agree, only the adapter trains, and it saves and loads under PEFT's names.
final class LoRATests: XCTestCase {
    /// A Linear and a strided, padded Conv2d wrapped at rank 2, with inputs for each.
    private func adapted(seed: UInt64) -> [(lora: LoRA, input: Tensor)] {
        var generator = RandomGenerator(seed: seed)
        let linear = LoRA(wrapping: Linear(6, 5, using: &generator), rank: 2, alpha: 4, using: &generator)
        let conv = LoRA(wrapping: Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, using: &generator), rank: 2, alpha: 4, using: &generator)
        var inputs = RandomGenerator(seed: 99)
        return [(linear, Tensor.normal([3, 6], using: &inputs)), (conv, Tensor.normal([2, 3, 7, 7], using: &inputs))]
    }

    /// B is zero at first, so the adapted layer is the base layer; a step of SGD moves the
    /// adapter and nothing else.
    func testItStartsAsTheBaseLayerAndOnlyTheAdapterTrains() {
        for (lora, input) in adapted(seed: 1) {
            XCTAssertEqual(lora(input).scalars, lora.baseLayer(input).scalars)
            XCTAssertEqual(lora.trainableParameters.map(\.path).sorted(), ["lora_A.weight", "lora_B.weight"])
            let before = lora.stateDict()
            let (_, gradients) = lora.valueAndGradients { lora(input).squared().sum() }
            SGD(learningRate: 0.1).update(lora, gradients: gradients)
            let after = lora.stateDict()
            for (path, value) in before where path.hasPrefix("base_layer") { XCTAssertEqual(after[path]?.scalars, value.scalars, path) }
            XCTAssertNotEqual(after["lora_B.weight"]?.scalars, before["lora_B.weight"]?.scalars, "B gets a gradient through A x")
        }
    }

    /// Merged, the layer computes the same outputs with the update folded into its weight;
    /// unmerged, the base weight is back.
    func testMergedAndUnmergedOutputsAreEqual() {
        for (lora, input) in adapted(seed: 2) {
            var generator = RandomGenerator(seed: 3)
            lora.up.update(parameters: ["weight": Tensor.normal(lora.up.stateDict()["weight"]!.shape, using: &generator)])
            let base = lora.baseLayer.stateDict()["weight"]!
            let unmerged = lora(input)
            XCTAssertNotEqual(unmerged.scalars, lora.baseLayer(input).scalars)
            lora.merge()
            XCTAssertTrue(lora.isMerged)
            for (a, b) in zip(lora(input).scalars, unmerged.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 * (1 + abs(b))) }
            lora.unmerge()
            for (a, b) in zip(lora.baseLayer.stateDict()["weight"]!.scalars, base.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            for (a, b) in zip(lora(input).scalars, unmerged.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 * (1 + abs(b))) }
        }
    }

    func testTheAdaptersGradientsPassTheFiniteDifferenceCheck() {
        for (lora, input) in adapted(seed: 4) {
            var generator = RandomGenerator(seed: 5)
            lora.up.update(parameters: ["weight": Tensor.normal(lora.up.stateDict()["weight"]!.shape, using: &generator)])
            XCTAssertTrue(lora.checkParameterGradients(input: input).passed)
        }
    }

    /// Saved as safetensors under PEFT's names and loaded into a fresh wrapper, the layer gives
    /// the same outputs; an adapter-only file loads into a wrapper of the same base.
    func testItSavesAndLoadsUnderPEFTsNames() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for ((lora, input), (fresh, _)) in zip(adapted(seed: 6), adapted(seed: 7)) {
            var generator = RandomGenerator(seed: 8)
            lora.up.update(parameters: ["weight": Tensor.normal(lora.up.stateDict()["weight"]!.shape, using: &generator)])
            XCTAssertTrue(Set(lora.stateDict().keys).isSuperset(of: ["base_layer.weight", "lora_A.weight", "lora_B.weight"]))
            let url = folder.appendingPathComponent("\(type(of: lora.baseLayer)).safetensors")
            try lora.save(to: url)
            try fresh.load(from: url)
            XCTAssertEqual(fresh(input).scalars, lora(input).scalars)
            // The adapter alone, into a wrapper around the same base weights.
            let adapter = lora.stateDict().filter { $0.key.hasPrefix("lora_") }
            let sameBase = adapted(seed: 6).first { type(of: $0.lora.baseLayer) == type(of: lora.baseLayer) }!.lora
            try sameBase.loadStateDict(adapter, strict: false)
            XCTAssertEqual(sameBase(input).scalars, lora(input).scalars)
        }
    }

    /// Injected into an MLP, adapters wrap every Linear under PEFT's paths; the model computes
    /// what it did, and after freezing the model only the adapters train.
    func testInjectedAdaptersWrapEveryLinearOfASequential() {
        var generator = RandomGenerator(seed: 9)
        let model = Sequential(MLP(widths: [4, 8, 8, 3], using: &generator), Activation(.tanh))
        let input = Tensor.normal([5, 4], using: &generator)
        let before = model(input).scalars
        model.freeze()
        let adapted = LoRA.inject(into: model, rank: 2, alpha: 2, where: { $0 != "0.4" }, using: &generator)
        XCTAssertEqual(adapted, ["0.0", "0.2"])
        XCTAssertEqual(model(input).scalars, before)
        XCTAssertEqual(model.trainableParameters.map(\.path), ["0.0.lora_A.weight", "0.0.lora_B.weight", "0.2.lora_A.weight", "0.2.lora_B.weight"])
        XCTAssertTrue(model.stateDict().keys.contains("0.2.base_layer.bias"))
        XCTAssertTrue(model.stateDict().keys.contains("0.4.weight"), "the excluded layer keeps its path")
        XCTAssertEqual(LoRA.inject(into: model, rank: 2, alpha: 2, where: { $0 != "0.4" }, using: &generator), [], "adapters are not wrapped again")
    }
}
