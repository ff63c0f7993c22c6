import Tensors

/// A random (or deterministic) change to a batch, applied by the `DataLoader` with a
/// generator derived from the seed, epoch and batch, so augmentation is reproducible.
public protocol BatchTransform: Sendable {
    func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch
}

/// Transforms applied in order.
public struct Compose: BatchTransform {
    public let transforms: [any BatchTransform]
    public init(_ transforms: [any BatchTransform]) { self.transforms = transforms }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        transforms.reduce(batch) { $1($0, using: &generator) }
    }
}

/// `(x − mean_c) / std_c` per channel (axis 1).
public struct Normalize: BatchTransform {
    public let mean: [Float]
    public let standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(mean.count == standardDeviation.count && standardDeviation.allSatisfy { $0 > 0 },
                     "Normalize: \(mean.count) means and \(standardDeviation.count) standard deviations (all positive) expected")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        let x = batch.inputs
        precondition(x.rank >= 2 && x.shape[1] == mean.count, "Normalize: \(mean.count) channels expected on axis 1 of \(x.shape)")
        let channelShape = [1, mean.count] + [Int](repeating: 1, count: x.rank - 2)
        let scaled = (x - Tensor(mean, shape: channelShape)) / Tensor(standardDeviation, shape: channelShape)
        return batch.replacing(inputs: scaled)
    }
}

/// Adds Gaussian noise of the given standard deviation to every input.
public struct GaussianNoise: BatchTransform {
    public let standardDeviation: Float
    public init(standardDeviation: Float) { self.standardDeviation = standardDeviation }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        let noise = Tensor.normal(batch.inputs.shape, standardDeviation: standardDeviation, using: &generator)
        return batch.replacing(inputs: batch.inputs + noise)
    }
}

extension Batch {
    /// Rewrites each image `[C, H, W]` of `[B, C, H, W]` inputs in place.
    func mappingImages(_ body: (_ image: UnsafeMutablePointer<Float>, _ channels: Int, _ height: Int, _ width: Int) -> Void) -> Batch {
        precondition(inputs.rank == 4, "image transforms need [B, C, H, W] inputs, got \(inputs.shape)")
        var images = inputs.detached()
        let (b, c, h, w) = (inputs.shape[0], inputs.shape[1], inputs.shape[2], inputs.shape[3])
        images.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<b { body(buffer.baseAddress! + i * c * h * w, c, h, w) }
        }
        return replacing(inputs: images)
    }
}
