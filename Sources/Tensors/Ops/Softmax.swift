import Foundation

extension Tensor {
    /// `softmax(x / temperature)` along `axis`. Temperatures above 1 soften the
    /// distribution, as in Hinton et al. (2015).
    public func softmax(axis: Int = -1, temperature: Float = 1) -> Tensor {
        let (a, result) = laneSoftmax(axis: axis, temperature: temperature, exponentiate: true, operation: "softmax")
        guard Tensor.shouldRecord(self) else { return result }
        let probabilities = result.detached()
        return result.recorded(inputs: [self]) { g, _ in
            // dx = y ⊙ (g − Σ g⊙y) / T
            let weighted = (g * probabilities).sum(axes: [a], keepDims: true)
            return [probabilities * (g - weighted) * (1 / temperature)]
        }
    }

    /// `log(softmax(x / temperature))` along `axis`, computed without forming the softmax.
    public func logSoftmax(axis: Int = -1, temperature: Float = 1) -> Tensor {
        let (a, result) = laneSoftmax(axis: axis, temperature: temperature, exponentiate: false, operation: "logSoftmax")
        guard Tensor.shouldRecord(self) else { return result }
        let logProbabilities = result.detached()
        return result.recorded(inputs: [self]) { g, _ in
            // dx = (g − softmax ⊙ Σ g) / T
            let total = g.sum(axes: [a], keepDims: true)
            return [(g - logProbabilities.exp() * total) * (1 / temperature)]
        }
    }

    /// The (log-)softmax of every lane along `axis`, not recorded, and the normalised axis.
    private func laneSoftmax(axis: Int, temperature: Float, exponentiate: Bool, operation: String) -> (Int, Tensor) {
        let a = normalizedAxis(axis, rank: rank, operation: operation)
        precondition(temperature > 0, "\(operation): temperature \(temperature) must be positive")
        let result = Tensor(uninitialized: shape)
        let x = storage.pointer, y = result.storage.pointer
        forEachLane(shape: shape, axis: a) { offset, stride, count in
            _ = logSoftmaxLane(x + offset, into: y + offset, count: count, stride: stride, inverseTemperature: 1 / temperature)
            if exponentiate {
                for j in 0..<count { y[offset + j * stride] = Foundation.exp(y[offset + j * stride]) }
            }
        }
        return (a, result)
    }
}
