import Tensors

/// Mixup (Zhang et al., 2018): each input becomes `λx_i + (1 − λ)x_π(i)` for a random
/// pairing π and `λ ~ Beta(α, α)`, and the labels the same mixture of one-hot vectors,
/// giving soft labels `[B, C]`.
public struct Mixup: BatchTransform {
    public let alpha: Double
    public let classCount: Int

    public init(alpha: Double = 0.2, classCount: Int) {
        precondition(alpha > 0 && classCount >= 1, "Mixup: alpha \(alpha) and classCount \(classCount) must be positive")
        self.alpha = alpha
        self.classCount = classCount
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        let lambda = Float(generator.nextBeta(alpha, alpha))
        let pairing = randomPermutation(batch.count, using: &generator)
        let inputs = batch.inputs * lambda + batch.inputs.indexSelect(axis: 0, indices: pairing) * (1 - lambda)
        return batch.replacing(inputs: inputs, labels: mixedLabels(batch, pairing: pairing, keep: lambda, classCount: classCount))
    }
}

/// CutMix (Yun et al., 2019): a random box of each image is replaced by the same box of
/// its pair, and the labels mixed by the box's share of the area (`λ ~ Beta(α, α)` sets
/// the expected area).
public struct CutMix: BatchTransform {
    public let alpha: Double
    public let classCount: Int

    public init(alpha: Double = 1, classCount: Int) {
        precondition(alpha > 0 && classCount >= 1, "CutMix: alpha \(alpha) and classCount \(classCount) must be positive")
        self.alpha = alpha
        self.classCount = classCount
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        let x = batch.inputs
        precondition(x.rank == 4, "CutMix: inputs \(x.shape) are not [B, C, H, W]")
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let lambda = generator.nextBeta(alpha, alpha)
        let pairing = randomPermutation(b, using: &generator)
        let cut = (1 - lambda).squareRoot()
        let boxHeight = Int(Double(h) * cut), boxWidth = Int(Double(w) * cut)
        let centerY = generator.nextInt(below: h), centerX = generator.nextInt(below: w)
        let top = Swift.max(centerY - boxHeight / 2, 0), bottom = Swift.min(centerY + boxHeight / 2, h)
        let left = Swift.max(centerX - boxWidth / 2, 0), right = Swift.min(centerX + boxWidth / 2, w)
        var mixed = x.detached()
        x.withUnsafeBufferPointer { source in
            mixed.withUnsafeMutableBufferPointer { destination in
                for i in 0..<b {
                    for ch in 0..<c {
                        for y in top..<bottom {
                            for xx in left..<right {
                                destination[((i * c + ch) * h + y) * w + xx] = source[((pairing[i] * c + ch) * h + y) * w + xx]
                            }
                        }
                    }
                }
            }
        }
        // λ is corrected to the box that was actually pasted (it may be clipped at the edges).
        let kept = 1 - Float((bottom - top) * (right - left)) / Float(h * w)
        return batch.replacing(inputs: mixed, labels: mixedLabels(batch, pairing: pairing, keep: kept, classCount: classCount))
    }
}

/// `keep·y_i + (1 − keep)·y_π(i)`, with the labels as distributions `[B, C]` (one-hot from
/// class indices).
private func mixedLabels(_ batch: Batch, pairing: [Int], keep: Float, classCount: Int) -> Tensor {
    guard let labels = batch.labels else { preconditionFailure("mixing augmentation needs labels") }
    let targets = labels.rank == 2 ? labels : oneHot(labels, classCount: classCount)
    return targets * keep + targets.indexSelect(axis: 0, indices: pairing) * (1 - keep)
}
