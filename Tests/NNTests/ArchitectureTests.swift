import Foundation
import NN
import Tensors
import XCTest

/// The model zoo against the PyTorch definitions of the CRD benchmark: the same parameter
/// names, shapes and counts, and — for weights written by PyTorch — the same logits.
final class ArchitectureTests: XCTestCase {
    private func model(_ name: String) -> Module {
        var generator = RandomGenerator(seed: 0)
        switch name {
        case "mlp": return MLP(widths: [784, 128, 64, 10], using: &generator)
        case "lenet5": return LeNet5(using: &generator)
        case "resnet18": return ResNet.resnet18(using: &generator)
        case "resnet34": return ResNet.resnet34(using: &generator)
        case "mobilenetv2": return MobileNetV2(using: &generator)
        case "shufflenetv1": return ShuffleNetV1(using: &generator)
        case "shufflenetv2": return ShuffleNetV2(using: &generator)
        case "vit": return VisionTransformer(using: &generator)
        case "vit-tiny": return VisionTransformer(patch: 8, dimension: 64, depth: 2, heads: 4, using: &generator)
        default:
            if let resnet = CIFARResNet(named: name, using: &generator) { return resnet }
            if let wrn = WideResNet(named: name, using: &generator) { return wrn }
            if let vgg = VGG(named: name, using: &generator) { return vgg }
            fatalError("no model \(name)")
        }
    }

    func testStateDictNamesShapesAndCountsMatchPyTorch() {
        for (name, value) in Fixtures.architectures {
            let reference = value as! [String: Any]
            let names = reference["names"] as! [String], shapes = reference["shapes"] as! [[Int]]
            let swift = model(name)
            let state = swift.stateDict()
            XCTAssertEqual(Set(state.keys), Set(names), "\(name): names differ: missing \(Set(names).subtracting(state.keys).sorted().prefix(5)), extra \(Set(state.keys).subtracting(names).sorted().prefix(5))")
            for (key, shape) in zip(names, shapes) where state[key] != nil {
                XCTAssertEqual(state[key]!.shape, shape, "\(name).\(key)")
            }
            XCTAssertEqual(swift.parameterCount, reference["parameters"] as! Int, "\(name) parameter count")
        }
    }

    func testWeightsWrittenByPyTorchGiveTheSameLogits() throws {
        for name in ["resnet20", "wrn-16-2", "lenet5", "mlp", "mobilenetv2", "vit-tiny", "shufflenetv1"] {
            let swift = model(name)
            try swift.load(from: Fixtures.folder.appendingPathComponent("\(name).safetensors"))
            swift.eval()
            let logits = withoutGradients { swift(Fixtures.tensor("\(name)_input")) }
            assertClose(logits, Fixtures.tensor("\(name)_logits"), tolerance: 1e-4, name)
        }
    }

    func testStagesAreExposedAsNamedFeatures() throws {
        var generator = RandomGenerator(seed: 1)
        let resnet = CIFARResNet(depth: 8, classes: 10, using: &generator)
        let (logits, stages) = resnet.logitsAndStages(Tensor.normal([2, 3, 32, 32], using: &generator))
        XCTAssertEqual(logits.shape, [2, 10])
        XCTAssertEqual(stages["layer1"]?.shape, [2, 16, 32, 32])
        XCTAssertEqual(stages["layer2"]?.shape, [2, 32, 16, 16])
        XCTAssertEqual(stages["layer3"]?.shape, [2, 64, 8, 8])
        let wrn = WideResNet(named: "wrn-16-1", using: &generator)!
        XCTAssertEqual(wrn.logitsAndStages(Tensor.normal([1, 3, 32, 32], using: &generator)).stages["block3"]?.shape, [1, 64, 8, 8])
        XCTAssertNil(CIFARResNet(named: "resnet9", using: &generator))
    }
}
