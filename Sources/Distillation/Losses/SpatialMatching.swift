import Tensors

/// Two `[N, C, H, W]` feature maps brought to one spatial size: the larger average-pooled to
/// the smaller's (PyTorch's adaptive windows), as RepDistiller's NST, FSP and FT do before
/// comparing maps of different stages or models.
func pooledToTheSmallerSize(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
    if a.shape[2] * a.shape[3] > b.shape[2] * b.shape[3] { return (adaptiveAvgPool2d(a, outputSize: (b.shape[2], b.shape[3])), b) }
    if a.shape[2...] != b.shape[2...] { return (a, adaptiveAvgPool2d(b, outputSize: (a.shape[2], a.shape[3]))) }
    return (a, b)
}

/// Whether `pooledToTheSmallerSize` can take these shapes: both `[N, C, H, W]`, one map at
/// least as large as the other both ways.
func poolableToOneSize(_ a: [Int], _ b: [Int]) -> Bool {
    a.count == 4 && b.count == 4 && ((a[2] >= b[2] && a[3] >= b[3]) || (a[2] <= b[2] && a[3] <= b[3]))
}
