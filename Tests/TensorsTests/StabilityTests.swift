import Foundation
import Tensors
import XCTest

/// Numerical stability at the extremes the literature's losses meet.
final class StabilityTests: XCTestCase {
    func testLogSoftmaxAndCrossEntropyWithHugeLogits() {
        let logits = Tensor([1e4, -1e4, 0, -1e4, 1e4, 1e4], shape: [2, 3]).requiringGradient()
        let logProbabilities = logits.logSoftmax(axis: 1)
        XCTAssertTrue(logProbabilities.scalars.allSatisfy(\.isFinite), "\(logProbabilities)")
        XCTAssertEqual(logProbabilities.scalars[0], 0, accuracy: 1e-6)
        XCTAssertEqual(logProbabilities.scalars[4], -Foundation.log(Float(2)), accuracy: 1e-6)
        let loss = crossEntropy(logits: logits, labels: Tensor([1, 0]))
        // Row 0: 1e4 − (−1e4); row 1: (1e4 + log 2) − (−1e4).
        XCTAssertEqual(loss.item, 2e4 + Foundation.log(Float(2)) / 2, accuracy: 1e-2)
        let gradient = gradients(of: loss, wrt: [logits])[0]
        XCTAssertTrue(gradient.scalars.allSatisfy(\.isFinite))
        assertClose(gradient, Tensor([0.5, -0.5, 0, -0.5, 0.25, 0.25], shape: [2, 3]), tolerance: 1e-6, "gradient")
        XCTAssertTrue(logits.softmax(axis: 1).scalars.allSatisfy(\.isFinite))
        XCTAssertTrue(logits.logSumExp(axes: [1]).scalars.allSatisfy(\.isFinite))
    }

    func testKLDivergenceWithZeroTargetProbabilities() {
        let target = Tensor([0, 1, 0, 0.5, 0.5, 0], shape: [2, 3]).requiringGradient()
        let input = Tensor([-3, -0.1, -5, -0.7, -0.7, -20], shape: [2, 3]).requiringGradient()
        let loss = klDivergence(logProbabilities: input, target: target)
        let halfTerm: Float = 0.5 * (Foundation.log(Float(0.5)) + 0.7)
        let expected: Float = (0.1 + 2 * halfTerm) / 2
        XCTAssertEqual(loss.item, expected, accuracy: 1e-6)
        let grads = gradients(of: loss, wrt: [input, target])
        XCTAssertTrue(grads.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        XCTAssertEqual(grads[0].scalars, [0, -0.5, 0, -0.25, -0.25, 0])
        let kd = distillationKLDivergence(
            studentLogits: Tensor([1e4, 0, -1e4], shape: [1, 3]), teacherLogits: Tensor([-1e4, 0, 1e4], shape: [1, 3]), temperature: 1)
        XCTAssertTrue(kd.item.isFinite)
    }

    func testVarianceOfAConstantIsZero() {
        let constant = Tensor(shape: [1000], repeating: 0.1).requiringGradient()
        let variance = constant.variance()
        XCTAssertEqual(variance.item, 0, accuracy: 1e-12)
        XCTAssertGreaterThanOrEqual(variance.item, 0)
        XCTAssertTrue(gradients(of: variance, wrt: [constant])[0].scalars.allSatisfy { $0.isFinite && abs($0) < 1e-9 })
        let normalized = layerNorm(Tensor(shape: [2, 8], repeating: 3))
        XCTAssertEqual(normalized.scalars, [Float](repeating: 0, count: 16))
    }

    func testNormGradientAtTheOriginIsZero() {
        let zero = Tensor.zeros([3]).requiringGradient()
        XCTAssertEqual(gradients(of: zero.norm(), wrt: [zero])[0].scalars, [0, 0, 0])
    }

    func testBinaryCrossEntropyWithExtremeLogits() {
        let loss = binaryCrossEntropy(logits: Tensor([1e4, -1e4]), targets: Tensor([1, 0]))
        XCTAssertEqual(loss.item, 0)
        let wrong = binaryCrossEntropy(logits: Tensor([1e4, -1e4]), targets: Tensor([0, 1]))
        XCTAssertEqual(wrong.item, 1e4, accuracy: 1)
    }
}
