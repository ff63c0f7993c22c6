import Tensors
import XCTest

final class TensorTests: XCTestCase {
    func testCreation() {
        XCTAssertEqual(Tensor.zeros([2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(Tensor.full([3], value: 7).scalars, [7, 7, 7])
        XCTAssertEqual(Tensor.arange(1, 2, step: 0.25).scalars, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(Tensor.linspace(0, 1, count: 5).scalars, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(Tensor.eye(2, columns: 3).scalars, [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(Tensor(4).shape, [])
        XCTAssertEqual(Tensor(4).item, 4)
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t[element: [1, 2]], 6)
        XCTAssertEqual(t[1].scalars, [4, 5, 6])
    }

    func testCopyOnWrite() {
        let original = Tensor([1, 2, 3])
        var copy = original
        copy.withUnsafeMutableBufferPointer { $0[0] = 10 }
        XCTAssertEqual(original.scalars, [1, 2, 3])
        XCTAssertEqual(copy.scalars, [10, 2, 3])
        var reshaped = original.reshaped([3, 1])
        reshaped.assign(Tensor([7, 8, 9], shape: [3, 1]))
        XCTAssertEqual(original.scalars, [1, 2, 3])
        XCTAssertEqual(reshaped.scalars, [7, 8, 9])
    }

    func testAssignKeepsGradientIdentity() {
        var parameter = Tensor([1, 2]).requiringGradient()
        let before = parameter
        parameter.assign(Tensor([3, 4]))
        XCTAssertEqual(before.scalars, [1, 2], "the old value is not overwritten (copy on write)")
        let loss = (parameter * parameter).sum()
        // The assigned tensor is still the same leaf: asking by the old value finds it.
        XCTAssertEqual(gradients(of: loss, wrt: [before])[0].scalars, [6, 8])
    }

    func testLargeTensorsUseThreadsAndAgreeWithSmallOnes() {
        // Sizes above the parallel threshold take the threaded paths of every kernel family.
        var rng = RandomGenerator(seed: 3)
        let big = Tensor.normal([512, 300], using: &rng)
        let rowSums = big.sum(axes: [1])
        let manual = (0..<512).map { r in big[r].scalars.reduce(0, +) }
        assertClose(rowSums, Tensor(manual), tolerance: 1e-5, "row sums")
        XCTAssertEqual(big.sum().item, manual.reduce(0, +), accuracy: 0.05)
        let columnMax = big.max(axes: [0])
        XCTAssertEqual(columnMax.scalars[7], (0..<512).map { big[element: [$0, 7]] }.max()!)
        assertClose((big + big[0]).slice(axis: 0, start: 3, end: 4), (big[3] + big[0]).unsqueezed(axis: 0), "broadcast add")
        assertClose(big.transposed().transposed(), big, "transpose twice")
        assertClose(big.softmax(axis: 1).sum(axes: [1]), Tensor.ones([512]), tolerance: 1e-5, "softmax rows sum to one")
    }

    func testConvolutionSplitAcrossThreadsAgreesImageByImage() {
        // Enough work per image that a batch of 5 is split across threads (in unequal
        // chunks); each image alone runs on one chunk with BLAS's own threads.
        var rng = RandomGenerator(seed: 4)
        let images = Tensor.normal([5, 16, 8, 8], using: &rng), weight = Tensor.normal([16, 16, 3, 3], using: &rng)
        let bias = Tensor.normal([16], using: &rng), seed = Tensor.normal([5, 16, 8, 8], using: &rng)
        func convolve(_ input: Tensor, _ kernel: Tensor, _ g: Tensor) -> (output: Tensor, gradInput: Tensor, gradWeight: Tensor) {
            let (x, w) = (input.requiringGradient(), kernel.requiringGradient())
            let output = conv2d(x, weight: w, bias: bias, padding: (1, 1))
            let grads = gradients(of: output, wrt: [x, w], seed: g)
            return (output.detached(), grads[0], grads[1])
        }
        let whole = convolve(images, weight, seed)
        var gradWeight = Tensor.zeros(weight.shape)
        for n in 0..<5 {
            let single = convolve(images[n].unsqueezed(axis: 0), weight, seed[n].unsqueezed(axis: 0))
            assertClose(whole.output[n], single.output[0], tolerance: 1e-4, "output of image \(n)")
            assertClose(whole.gradInput[n], single.gradInput[0], tolerance: 1e-4, "input gradient of image \(n)")
            gradWeight = gradWeight + single.gradWeight
        }
        assertClose(whole.gradWeight, gradWeight, tolerance: 1e-3, "weight gradient")
        let transposed = convTranspose2d(images, weight: weight, padding: (1, 1))
        for n in [0, 4] {
            assertClose(transposed[n], convTranspose2d(images[n].unsqueezed(axis: 0), weight: weight, padding: (1, 1))[0], tolerance: 1e-4, "transposed convolution of image \(n)")
        }
    }
}
