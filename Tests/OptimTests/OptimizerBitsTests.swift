import Foundation
import NN
import Optim
import Tensors
import XCTest

/// The optimizers' exact bits: weights and state after a few steps, for each configuration,
/// hashed and compared with the hashes the optimizers gave before they shared one update
/// loop (session 4). A change of expression order changes the hash; so does a lost buffer,
/// a step taken on the wrong elements, or a block split differently across threads.
final class OptimizerBitsTests: XCTestCase {
    /// FNV-1a over the bit patterns of every tensor, in key order.
    private func hash(_ tensors: [String: Tensor]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            for value in tensor.scalars { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
        }
        return hash
    }

    /// Four steps on a model with odd-sized parameters (partial SIMD blocks) and one large
    /// enough (75,000 weights) to be split across threads, with gradients drawn from a fixed
    /// generator (no BLAS, whose bits differ between cores); the hash of weights and state.
    private func fingerprint(_ optimizer: Optimizer) -> UInt64 {
        var generator = RandomGenerator(seed: 11)
        let model = MLP(widths: [300, 250, 13, 3], using: &generator)
        for step in 0..<4 {
            optimizer.learningRate = 0.01 * Float(step + 1)
            var gradients: [String: Tensor] = [:]
            for (path, parameter) in model.namedParameters().sorted(by: { $0.0 < $1.0 }) {
                // Some exact zeros too: a dead unit's gradient.
                gradients[path] = Tensor.normal(parameter.wrappedValue.shape, using: &generator).clamped(min: -1.5, max: 2)
                    * Tensor.bernoulli(parameter.wrappedValue.shape, probability: 0.9, using: &generator)
            }
            optimizer.update(model, gradients: gradients)
        }
        let weights = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.wrappedValue) })
        return hash(weights) ^ (hash(optimizer.stateDict()) &* 31)
    }

    func testEachConfigurationKeepsItsBits() {
        let configurations: [(String, Optimizer, UInt64)] = [
            ("sgd", SGD(learningRate: 0.1), 0xc2c45c956239fe1a),
            ("sgd momentum decay", SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4), 0xc1e82c9902b6c6be),
            ("sgd dampening", SGD(learningRate: 0.1, momentum: 0.8, dampening: 0.1), 0xe0f7ee87f730a0a9),
            ("sgd nesterov", SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true), 0xa91adb98af18bb16),
            ("adam", Adam(learningRate: 1e-3), 0x8e9f304e49fb61a6),
            ("adam coupled decay", Adam(learningRate: 1e-3, weightDecay: 1e-2), 0x4b57cc9b88a9479a),
            ("adamw", AdamW(learningRate: 1e-3, weightDecay: 0.05), 0xe7a80e9dd80d82a0),
            ("rmsprop", RMSprop(learningRate: 1e-3), 0x8f6bfea9d432bc7),
            ("rmsprop momentum decay", RMSprop(learningRate: 1e-3, alpha: 0.9, momentum: 0.5, weightDecay: 1e-3), 0x96de22b1033dd567),
        ]
        for (name, optimizer, expected) in configurations {
            let found = fingerprint(optimizer)
            XCTAssertEqual(found, expected, "\(name): 0x\(String(found, radix: 16))")
        }
    }
}
