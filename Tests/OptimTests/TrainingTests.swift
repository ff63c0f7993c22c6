import Datasets
import NN
import Optim
import Tensors
import XCTest

/// Small models learn what they should, with fixed seeds.
final class TrainingTests: XCTestCase {
    private func accuracy(_ logits: Tensor, _ labels: Tensor) -> Float {
        (logits.argmax(axis: 1) .== labels).mean().item
    }

    func testMLPLearnsTwoSpiralsToFullTrainingAccuracy() {
        let data = SyntheticData.twoSpirals(count: 256, turns: 1.5, noise: 0, seed: 1)
        var generator = RandomGenerator(seed: 2)
        let model = MLP(widths: [2, 64, 64, 2], activation: .tanh, using: &generator)
        let optimizer = Adam(learningRate: 0.01)
        let (x, y) = (data.inputs * 3, data.labels!)
        var reached = -1
        for step in 0..<3_000 {
            let (_, grads) = model.valueAndGradients { crossEntropy(logits: model(x), labels: y) }
            optimizer.update(model, gradients: grads)
            if step % 50 == 49, accuracy(withoutGradients { model(x) }, y) == 1 {
                reached = step
                break
            }
        }
        XCTAssertGreaterThanOrEqual(reached, 0, "training accuracy \(accuracy(withoutGradients { model(x) }, y)) after 3,000 steps")
    }

    func testLeNetOverfits256Images() throws {
        // 256 of the embedded digits, upsampled to LeNet's 28×28.
        let digits = try DatasetCatalog.load("digits", split: .train)
        let batch = digits.batch(at: Array(0..<256))
        let x = upsample(batch.inputs, size: (28, 28), mode: .bilinear(alignCorners: false)), y = batch.labels!
        var generator = RandomGenerator(seed: 3)
        let model = LeNet5(using: &generator)
        let optimizer = Adam(learningRate: 3e-3)
        for _ in 0..<150 {
            let (_, grads) = model.valueAndGradients { crossEntropy(logits: model(x), labels: y) }
            optimizer.update(model, gradients: grads)
        }
        XCTAssertEqual(accuracy(withoutGradients { model(x) }, y), 1, "LeNet did not fit 256 images")
    }
}
