/// How `upsample` interpolates.
public enum UpsamplingMode: Sendable {
    /// The nearest input pixel (PyTorch's `nearest`: `⌊dst·in/out⌋`).
    case nearest
    /// Linear in each axis; `alignCorners` as in PyTorch.
    case bilinear(alignCorners: Bool)
}

/// Resizes the spatial axes of `[N, C, H, W]` to `size`. Both modes are built from
/// `indexSelect` along each axis (bilinear: a weighted sum of two selections), so their
/// gradients come from the same pullbacks.
public func upsample(_ x: Tensor, size: (Int, Int), mode: UpsamplingMode = .nearest) -> Tensor {
    precondition(x.rank == 4 && size.0 >= 1 && size.1 >= 1, "upsample: input \(x.shape) is not [N, C, H, W] or size \(size) is not positive")
    var result = x
    for (axis, outputs) in [(2, size.0), (3, size.1)] {
        let inputs = x.shape[axis]
        switch mode {
        case .nearest:
            result = result.indexSelect(axis: axis, indices: (0..<outputs).map { Swift.min($0 * inputs / outputs, inputs - 1) })
        case .bilinear(let alignCorners):
            var lower: [Int] = [], upper: [Int] = [], fraction: [Float] = []
            for o in 0..<outputs {
                var source: Float
                if alignCorners {
                    source = outputs > 1 ? Float(o) * Float(inputs - 1) / Float(outputs - 1) : 0
                } else {
                    source = Swift.max((Float(o) + 0.5) * Float(inputs) / Float(outputs) - 0.5, 0)
                }
                let low = Swift.min(Int(source), inputs - 1)
                lower.append(low)
                upper.append(Swift.min(low + 1, inputs - 1))
                fraction.append(source - Float(low))
            }
            var weightShape = [1, 1, 1, 1]
            weightShape[axis] = outputs
            let upperWeight = Tensor(fraction, shape: weightShape)
            result = result.indexSelect(axis: axis, indices: lower) * (1 - upperWeight)
                + result.indexSelect(axis: axis, indices: upper) * upperWeight
        }
    }
    return result
}
