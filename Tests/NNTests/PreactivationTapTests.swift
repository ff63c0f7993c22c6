import NN
import Tensors
import XCTest

/// The `preact` points of the zoo's residual blocks: AB reads activation boundaries before
/// the ReLU, so each block exposes its value there by path, and tapping it changes neither
/// the output nor the state dict.
final class PreactivationTapTests: XCTestCase {
    /// Every block's `preact` is what its output is the ReLU of (for ShuffleNetV2, up to the
    /// channel shuffle, as RepDistiller's `preact` is unshuffled); the logits are the same
    /// with the taps as without.
    func testEachBlocksPreactivationIsWhatItsOutputIsTheReLUOf() throws {
        var generator = RandomGenerator(seed: 2)
        let models: [(name: String, model: Module, shuffled: Bool)] = [
            ("resnet", CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator), false),
            ("resnet18", ResNet(blocks: [1, 1, 1, 1], classes: 3, using: &generator), false),
            ("shufflenet-v1", ShuffleNetV1(channels: [48, 96, 192], blocks: [2, 1, 1], groups: 3, classes: 3, using: &generator), false),
            ("shufflenet-v2", ShuffleNetV2(size: 0.5, classes: 3, using: &generator), true),
        ]
        let input = Tensor.normal([2, 3, 16, 16], using: &generator)
        for (name, model, shuffled) in models {
            model.eval()
            let blocks = model.namedModules().filter { $0.module.tapPoints.contains("preact") }.map(\.path)
            XCTAssertFalse(blocks.isEmpty, name)
            let plain = model(input)
            let (tapped, features) = try model.capturingFeatures(blocks + blocks.map { "\($0).preact" }) { model(input) }
            XCTAssertEqual(tapped.scalars, plain.scalars, "\(name): a tap does not change the output")
            for block in blocks {
                let (preact, output) = (try XCTUnwrap(features["\(block).preact"], "\(name) \(block)"), try XCTUnwrap(features[block]))
                XCTAssertEqual(preact.shape, output.shape, "\(name) \(block)")
                XCTAssertTrue(preact.scalars.contains { $0 < 0 }, "\(name) \(block): the value before the ReLU has negative entries")
                if shuffled {
                    XCTAssertEqual(preact.relu().scalars.sorted(), output.scalars.sorted(), "\(name) \(block)")
                } else {
                    XCTAssertEqual(preact.relu().scalars, output.scalars, "\(name) \(block)")
                }
            }
        }
    }

    /// Where a model's features before the ReLU are already module outputs, as the models'
    /// documentation names them: a WRN stage's next `bn1`, a VGG block, a MobileNetV2 block.
    func testTheDocumentedPreactivationPathsHoldValuesBelowZero() throws {
        var generator = RandomGenerator(seed: 3)
        let models: [(Module, [String])] = [
            (WideResNet(depth: 10, widenFactor: 1, classes: 3, using: &generator), ["block2.layer.0.bn1", "block3.layer.0.bn1", "bn1"]),
            (VGG(named: "vgg8", classes: 3, using: &generator)!, ["block1", "block2", "block3"]),
            (MobileNetV2(classes: 3, using: &generator), ["blocks.1", "blocks.3"]),
        ]
        let input = Tensor.normal([2, 3, 16, 16], using: &generator)
        for (model, paths) in models {
            model.eval()
            let features = try model.capturingFeatures(paths) { model(input) }.features
            for path in paths {
                XCTAssertTrue(try XCTUnwrap(features[path], path).scalars.contains { $0 < 0 }, "\(type(of: model)) \(path) is before its ReLU")
            }
        }
    }

    func testPointsAreListedAmongTheValidPathsAndLeaveTheStateDictAsItWas() {
        var generator = RandomGenerator(seed: 2)
        let model = CIFARResNet(depth: 8, widths: [4, 4, 8, 8], classes: 3, using: &generator)
        XCTAssertFalse(model.stateDict().keys.contains { $0.contains("preact") })
        XCTAssertThrowsError(try model.capturingFeatures(["layer1.0.preactivation"]) { model(Tensor.zeros([1, 3, 8, 8])) }) { error in
            let valid = (error as? FeatureTapError)?.validPaths ?? []
            XCTAssertTrue(valid.contains("layer1.0.preact"), "\(valid)")
            XCTAssertTrue(valid.contains("layer1.0"))
        }
        XCTAssertThrowsError(try model.capturingFeatures(["fc.preact"]) { model(Tensor.zeros([1, 3, 8, 8])) }, "a Linear has no points")
    }
}
