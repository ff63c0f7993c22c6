import Foundation
import NN
import Optim
import Tensors
import Training
import XCTest

/// Checkpoints written by an earlier Distillery still resume. The fixtures were written by
/// `testWriteFixtures` (run with `DISTILLERY_WRITE_FIXTURES=1`) in session 4, before the
/// optimizers shared one update loop; each holds, as a note, the hash of weights and
/// optimizer state after one more step, which the current code must reproduce.
final class CheckpointCompatibilityTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private static let optimizers: [(name: String, make: () -> Optimizer)] = [
        ("adam", { Adam(learningRate: 1e-3) }),
        ("sgd-momentum", { SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4) }),
        ("rmsprop", { RMSprop(learningRate: 1e-3, momentum: 0.5) }),
    ]

    private func model() -> MLP {
        var generator = RandomGenerator(seed: 5)
        return MLP(widths: [9, 7, 3], dropout: 0.2, using: &generator)
    }

    /// Steps with gradients from a fixed generator (no BLAS, whose bits differ between cores).
    private func train(_ model: MLP, _ optimizer: Optimizer, steps: Int, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        for _ in 0..<steps {
            var gradients: [String: Tensor] = [:]
            for (path, parameter) in model.namedParameters().sorted(by: { $0.0 < $1.0 }) {
                gradients[path] = Tensor.normal(parameter.wrappedValue.shape, using: &generator)
            }
            optimizer.update(model, gradients: gradients)
        }
    }

    private func fingerprint(_ model: MLP, _ optimizer: Optimizer) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let weights = model.namedParameters().map { ($0.0, $0.1.wrappedValue) }
        for (key, tensor) in (weights + optimizer.stateDict().map { ($0.key, $0.value) }).sorted(by: { $0.0 < $1.0 }) {
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            for value in tensor.scalars { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }

    func testWriteFixtures() throws {
        guard ProcessInfo.processInfo.environment["DISTILLERY_WRITE_FIXTURES"] != nil else { return }
        for (name, make) in Self.optimizers {
            let trained = model(), optimizer = make()
            train(trained, optimizer, steps: 3, seed: 1)
            let checkpoint = TrainingCheckpoint(epoch: 2, step: 3, generator: RandomGenerator(seed: 9), notes: [:])
            let url = Self.fixtures.appendingPathComponent("\(name)-checkpoint.safetensors")
            try checkpoint.save(model: trained, optimizer: optimizer, to: url)
            // The hash after one more step, taken on copies loaded back from the file.
            let next = model(), nextOptimizer = make()
            _ = try TrainingCheckpoint.load(from: url, model: next, optimizer: nextOptimizer)
            train(next, nextOptimizer, steps: 1, seed: 2)
            try TrainingCheckpoint(epoch: 2, step: 3, generator: RandomGenerator(seed: 9), notes: ["next_step_hash": fingerprint(next, nextOptimizer)])
                .save(model: trained, optimizer: optimizer, to: url)
        }
    }

    func testCheckpointsOfEarlierVersionsResumeExactly() throws {
        for (name, make) in Self.optimizers {
            let resumed = model(), optimizer = make()
            let checkpoint = try TrainingCheckpoint.load(
                from: Self.fixtures.appendingPathComponent("\(name)-checkpoint.safetensors"), model: resumed, optimizer: optimizer)
            XCTAssertEqual(checkpoint.epoch, 2, name)
            XCTAssertEqual(checkpoint.step, 3, name)
            XCTAssertEqual(optimizer.step, 3, name)
            train(resumed, optimizer, steps: 1, seed: 2)
            XCTAssertEqual(fingerprint(resumed, optimizer), checkpoint.notes["next_step_hash"], name)
        }
    }
}
