import Generative
import NN
import Tensors
import XCTest

/// Finite-difference checks of the denoising network: its parameters, and its inputs — the
/// samples and the noise level, through the sinusoidal time embedding and the
/// preconditioning (the derivative in σ is what a continuous-time consistency tangent needs).
final class DenoiserGradientTests: XCTestCase {
    func testTheDenoisingNetworkAndItsPreconditioningHaveCorrectGradients() {
        var generator = RandomGenerator(seed: 21)
        let network = DenoisingMLP(dimension: 2, hidden: [8, 8], embeddingSize: 6, using: &generator)
        let x = Tensor.normal([3, 2], using: &generator)
        let sigma = Tensor([0.3, 1.2, 4.0])
        for isConsistencyModel in [false, true] {
            let preconditioning = EDMPreconditioning(sigmaData: 0.5, isConsistencyModel: isConsistencyModel)
            let parameters = network.checkParameterGradients { preconditioning(network, x, sigma: sigma).squared().sum() }
            XCTAssertTrue(parameters.passed, "parameters, consistency \(isConsistencyModel): \(parameters)")
            let inputs = checkGradients(of: { values in preconditioning(network, values[0], sigma: values[1]).sin().sum() },
                                        at: [x, sigma], absoluteTolerance: 5e-3, relativeTolerance: 5e-3)
            XCTAssertTrue(inputs.passed, "x and σ, consistency \(isConsistencyModel): \(inputs)")
        }
        let embedding = checkGradients(of: { network.embedding($0[0]).squared().sum() }, at: [Tensor([-1.3, 0.2, 0.9])],
                                       absoluteTolerance: 5e-3, relativeTolerance: 5e-3)
        XCTAssertTrue(embedding.passed, "time embedding: \(embedding)")
    }
}
