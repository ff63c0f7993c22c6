import Generative
import NN
import Tensors
import XCTest

/// The image denoiser: gradients through every layer (GroupNorm, the attention over pixels,
/// the time and class embeddings, the skips), and the shapes a 28×28 image takes through it.
final class UNetTests: XCTestCase {
    func testTheUNetHasCorrectGradientsForItsParametersAndInputs() {
        var generator = RandomGenerator(seed: 31)
        let network = UNetDenoiser(imageChannels: 1, channels: [4, 8], heads: 2, classCount: 3, using: &generator)
        let x = Tensor.normal([2, 1, 8, 8], using: &generator)
        let levels = Tensor([-0.7, 0.4])
        let classes = Tensor([2, 3])
        let parameters = network.checkParameterGradients(tolerance: 5e-3) {
            network(.init(x: x, noiseLevel: levels, classes: classes)).prediction.sin().sum()
        }
        XCTAssertTrue(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { network(.init(x: $0[0], noiseLevel: $0[1], classes: classes)).prediction.sin().sum() },
                                    at: [x, levels], absoluteTolerance: 5e-3, relativeTolerance: 5e-3)
        XCTAssertTrue(inputs.passed, "x and noise level: \(inputs)")
    }

    func testA28By28ImageKeepsItsShapeAndTheClassChangesTheOutput() {
        var generator = RandomGenerator(seed: 32)
        let network = UNetDenoiser(imageChannels: 1, channels: [8, 16], classCount: 10, using: &generator)
        let x = Tensor.normal([3, 1, 28, 28], using: &generator)
        let levels = Tensor([0.1, 0.5, 0.9])
        let (first, second) = withoutGradients {
            (network(.init(x: x, noiseLevel: levels, classes: Tensor([0, 1, 2]))).prediction,
             network(.init(x: x, noiseLevel: levels, classes: Tensor([3, 4, 10]))).prediction)
        }
        XCTAssertEqual(first.shape, [3, 1, 28, 28])
        XCTAssertGreaterThan((first - second).abs().max().item, 1e-4)
        XCTAssertEqual(network.namedParameters().map(\.path).filter { $0.hasPrefix("down.0.") }.sorted(), [
            "down.0.conv1.bias", "down.0.conv1.weight", "down.0.conv2.bias", "down.0.conv2.weight", "down.0.embedding.bias", "down.0.embedding.weight",
            "down.0.norm1.bias", "down.0.norm1.weight", "down.0.norm2.bias", "down.0.norm2.weight",
        ])
        // W6's network: the PyTorch twin in benchmarks/torch_workloads.py has 481,089 parameters
        // under the same names.
        XCTAssertEqual(UNetDenoiser(imageChannels: 1, channels: [32, 64], using: &generator).parameterCount, 481_089)
    }
}
