import Foundation
import NN
import Optim
import Tensors
import Training
import XCTest

/// A training checkpoint restores model, optimizer, module generators and the loop's
/// generator, so a resumed run continues exactly.
final class TrainingCheckpointTests: XCTestCase {
    func testCheckpointResumesExactly() throws {
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.normal([16, 4], using: &generator), y = Tensor.normal([16, 2], using: &generator)
        func makeModel() -> MLP {
            var init_ = RandomGenerator(seed: 3)
            return MLP(widths: [4, 8, 2], dropout: 0.3, using: &init_)  // dropout: its generator must resume too
        }
        func train(_ model: MLP, _ optimizer: Optimizer, steps: Range<Int>, _ rng: inout RandomGenerator) {
            for _ in steps {
                let noise = Tensor.normal([16, 4], standardDeviation: 0.1, using: &rng)
                let (_, grads) = model.valueAndGradients { meanSquaredError(model(x + noise), y) }
                optimizer.update(model, gradients: grads)
            }
        }
        // Ten steps straight through.
        let straight = makeModel(), straightOptimizer = Adam(learningRate: 0.01)
        var straightRNG = RandomGenerator(seed: 4)
        train(straight, straightOptimizer, steps: 0..<10, &straightRNG)
        // Five steps, a checkpoint, a fresh process's worth of objects, five more.
        let first = makeModel(), firstOptimizer = Adam(learningRate: 0.01)
        var rng = RandomGenerator(seed: 4)
        train(first, firstOptimizer, steps: 0..<5, &rng)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try TrainingCheckpoint(epoch: 1, step: 5, generator: rng, notes: ["best": "0.5"]).save(model: first, optimizer: firstOptimizer, to: url)
        let resumed = makeModel(), resumedOptimizer = Adam(learningRate: 0.01)
        let checkpoint = try TrainingCheckpoint.load(from: url, model: resumed, optimizer: resumedOptimizer)
        XCTAssertEqual(checkpoint.epoch, 1)
        XCTAssertEqual(checkpoint.step, 5)
        XCTAssertEqual(checkpoint.notes, ["best": "0.5"])
        var resumedRNG = checkpoint.generator
        train(resumed, resumedOptimizer, steps: 5..<10, &resumedRNG)
        for ((path, a), (_, b)) in zip(straight.namedParameters(), resumed.namedParameters()) {
            XCTAssertEqual(a.wrappedValue.scalars, b.wrappedValue.scalars, path)
        }
    }
}
