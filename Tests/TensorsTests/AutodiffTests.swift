import Foundation
import Tensors
import XCTest

final class AutodiffTests: XCTestCase {
    func testGradientAccumulatesWhenATensorIsUsedTwice() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let loss = (x * x).sum() + (x * 3).sum()  // d/dx = 2x + 3
        XCTAssertEqual(gradients(of: loss, wrt: [x])[0].scalars, [5, 7, 9])
    }

    func testBroadcastGradientsAreSummedBackToTheOperandShape() {
        let matrix = Tensor.ones([2, 3]).requiringGradient()
        let bias = Tensor([1, 2, 3]).requiringGradient()
        let grads = gradients(of: (matrix * bias).sum(), wrt: [matrix, bias])
        XCTAssertEqual(grads[0].scalars, [1, 2, 3, 1, 2, 3])
        XCTAssertEqual(grads[1].shape, [3])
        XCTAssertEqual(grads[1].scalars, [2, 2, 2])
    }

    func testWithoutGradientsAndDetachedStopRecording() {
        let x = Tensor([1, 2]).requiringGradient()
        let inside = withoutGradients { x * 2 }
        XCTAssertFalse(inside.requiresGradient)
        XCTAssertTrue((x * 2).requiresGradient)
        let loss = (x.detached() * x).sum()  // only the second factor carries a gradient
        XCTAssertEqual(gradients(of: loss, wrt: [x])[0].scalars, [1, 2])
    }

    func testUnrelatedTargetGetsZerosAndSeedGivesVectorJacobianProduct() {
        let x = Tensor([1, 2]).requiringGradient(), unrelated = Tensor([5, 6, 7]).requiringGradient()
        let y = x * x
        let grads = gradients(of: y, wrt: [x, unrelated], seed: Tensor([10, 100]))
        XCTAssertEqual(grads[0].scalars, [20, 400])
        XCTAssertEqual(grads[1].scalars, [0, 0, 0])
    }

    func testInputGradientAloneSkipsParameterPullbacks() {
        // The gradient with respect to the input must be the same whether or not the
        // parameter's branch is traversed.
        var rng = RandomGenerator(seed: 1)
        let weight = Tensor.normal([4, 3], using: &rng).requiringGradient()
        let input = Tensor.normal([2, 4], using: &rng).requiringGradient()
        let loss = matmul(input, weight).tanh().sum()
        let both = gradients(of: loss, wrt: [input, weight])
        let inputOnly = gradients(of: loss, wrt: [input])
        assertClose(inputOnly[0], both[0], "input gradient")
    }

    func testValueAndGradients() {
        let (value, grads) = valueAndGradients(at: [Tensor([3])]) { ($0[0] * $0[0]).sum() }
        XCTAssertEqual(value.item, 9)
        XCTAssertEqual(grads[0].scalars, [6])
    }

    func testGradientCheckerDetectsAWrongGradient() {
        // Detaching one factor of x·x halves the analytic gradient; the numerical one is 2x.
        let wrong = checkGradients(of: { $0[0].detached() * $0[0] }, at: [Tensor([1, 2, 3])])
        XCTAssertFalse(wrong.passed)
        let right = checkGradients(of: { $0[0] * $0[0] }, at: [Tensor([1, 2, 3])])
        XCTAssertTrue(right.passed, "\(right)")
    }

    func testLongTrainingLoopKeepsResidentMemoryFlat() {
        var rng = RandomGenerator(seed: 2)
        var weight = Tensor.normal([64, 32], using: &rng)
        let input = Tensor.normal([16, 64], using: &rng)
        let labels = Tensor.randomIntegers([16], in: 0..<32, using: &rng)
        func step() {
            let w = weight.requiringGradient()
            let loss = crossEntropy(logits: matmul(input, w).relu(), labels: labels)
            let g = gradients(of: loss, wrt: [w])[0]
            weight = withoutGradients { weight - g * 0.01 }
        }
        for _ in 0..<1000 { step() }
        let before = residentBytes()
        for _ in 0..<10_000 { step() }
        let after = residentBytes()
        XCTAssertLessThan(after - before, 4 << 20, "resident memory grew from \(before) to \(after) bytes over 10,000 steps")
    }

    private func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = Int(statm.split(separator: " ")[1])
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
