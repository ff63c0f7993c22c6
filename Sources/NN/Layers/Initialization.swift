import Tensors

/// PyTorch's default initialisation of linear and convolution layers: weights and biases
/// uniform in `±1/√fan_in` (`kaiming_uniform_(a=√5)` works out to that bound).
func defaultUniform(_ shape: [Int], fanIn: Int, using generator: inout RandomGenerator) -> Tensor {
    let bound = 1 / Float(max(fanIn, 1)).squareRoot()
    return Tensor.uniform(shape, low: -bound, high: bound, using: &generator)
}

/// Glorot (Xavier) uniform initialisation, `±√(6 / (fan_in + fan_out))` for a weight
/// `[fan_out, fan_in]`: what GCN (and PyTorch Geometric's layers) start their weights at.
func glorotUniform(_ shape: [Int], using generator: inout RandomGenerator) -> Tensor {
    let bound = (6 / Float(max(shape[0] + shape[1], 1))).squareRoot()
    return Tensor.uniform(shape, low: -bound, high: bound, using: &generator)
}
