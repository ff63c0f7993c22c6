import Tensors

/// Scales all gradients together so that their global L2 norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`); returns the norm before clipping.
@discardableResult
public func clipGradientsByGlobalNorm(_ gradients: inout [String: Tensor], maxNorm: Float) -> Float {
    // Summed in key order: a dictionary's own order changes from process to process, and
    // with it the norm's last bit, so that runs with clipping would not repeat exactly.
    let total = gradients.keys.sorted().reduce(Float(0)) { sum, key in
        sum + gradients[key]!.withUnsafeBufferPointer { $0.reduce(0) { $0 + $1 * $1 } }
    }
    let norm = total.squareRoot()
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for key in gradients.keys { gradients[key] = withoutGradients { gradients[key]! * scale } }
    }
    return norm
}
