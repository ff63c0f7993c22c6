import Tensors

/// Mirrors each image left–right with probability `probability`.
public struct RandomHorizontalFlip: BatchTransform {
    public let probability: Float
    public init(probability: Float = 0.5) { self.probability = probability }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        batch.mappingImages { image, channels, height, width in
            guard generator.nextUniform() < probability else { return }
            for row in 0..<(channels * height) {
                let line = image + row * width
                for x in 0..<(width / 2) {
                    let mirrored = line[width - 1 - x]
                    line[width - 1 - x] = line[x]
                    line[x] = mirrored
                }
            }
        }
    }
}

/// Pads each image by `padding` (with `fill`) and crops a random `height × width` window
/// (the CIFAR recipe: pad 4, crop 32).
public struct RandomCrop: BatchTransform {
    public let height: Int
    public let width: Int
    public let padding: Int
    public let fill: Float

    public init(height: Int, width: Int, padding: Int = 0, fill: Float = 0) {
        self.height = height
        self.width = width
        self.padding = padding
        self.fill = fill
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        let x = batch.inputs
        precondition(x.rank == 4 && x.shape[2] + 2 * padding >= height && x.shape[3] + 2 * padding >= width,
                     "RandomCrop: \(height)×\(width) does not fit inputs \(x.shape) padded by \(padding)")
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var result = Tensor(shape: [b, c, height, width], repeating: fill)
        x.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                for i in 0..<b {
                    // The window's top-left corner in padded coordinates.
                    let top = generator.nextInt(below: h + 2 * padding - height + 1) - padding
                    let left = generator.nextInt(below: w + 2 * padding - width + 1) - padding
                    for ch in 0..<c {
                        for y in 0..<height where (0..<h).contains(top + y) {
                            for xx in 0..<width where (0..<w).contains(left + xx) {
                                destination[((i * c + ch) * height + y) * width + xx] = source[((i * c + ch) * h + top + y) * w + left + xx]
                            }
                        }
                    }
                }
            }
        }
        return batch.replacing(inputs: result)
    }
}

/// Random erasing (Zhong et al., 2020): with probability `probability`, a rectangle of
/// random area (a `scale` fraction of the image) and aspect ratio (`ratio`) is set to `value`.
public struct RandomErasing: BatchTransform {
    public let probability: Float
    public let scale: ClosedRange<Float>
    public let ratio: ClosedRange<Float>
    public let value: Float

    public init(probability: Float = 0.5, scale: ClosedRange<Float> = 0.02...0.33, ratio: ClosedRange<Float> = 0.3...3.3, value: Float = 0) {
        self.probability = probability
        self.scale = scale
        self.ratio = ratio
        self.value = value
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        batch.mappingImages { image, channels, height, width in
            guard generator.nextUniform() < probability else { return }
            // Up to 10 tries for a rectangle that fits, as torchvision does.
            for _ in 0..<10 {
                let area = Float(height * width) * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * generator.nextUniform())
                let logRatio = Foundation.log(ratio.lowerBound) + (Foundation.log(ratio.upperBound) - Foundation.log(ratio.lowerBound)) * generator.nextUniform()
                let aspect = Foundation.exp(logRatio)
                let h = Int((area * aspect).squareRoot().rounded()), w = Int((area / aspect).squareRoot().rounded())
                guard h >= 1, w >= 1, h < height, w < width else { continue }
                let top = generator.nextInt(below: height - h + 1), left = generator.nextInt(below: width - w + 1)
                for c in 0..<channels {
                    for y in top..<(top + h) { (image + (c * height + y) * width + left).update(repeating: value, count: w) }
                }
                return
            }
        }
    }
}

import Foundation

/// Masks a random `ratio` of each image's `patch × patch` squares (set to `value`), as masked
/// image modelling hides tokens; DMAE shows the student only what is left.
public struct RandomPatchMasking: BatchTransform {
    public let patch: Int
    public let ratio: Float
    public let value: Float

    public init(patch: Int, ratio: Float, value: Float = 0) {
        precondition(patch >= 1 && (0...1).contains(ratio), "RandomPatchMasking: patch \(patch) must be positive and ratio \(ratio) in [0, 1]")
        (self.patch, self.ratio, self.value) = (patch, ratio, value)
    }

    public func callAsFunction(_ batch: Batch, using generator: inout RandomGenerator) -> Batch {
        batch.mappingImages { image, channels, height, width in
            let (rows, columns) = ((height + patch - 1) / patch, (width + patch - 1) / patch)
            let masked = Int((Float(rows * columns) * ratio).rounded())
            for cell in randomPermutation(rows * columns, using: &generator).prefix(masked) {
                let (top, left) = (cell / columns * patch, cell % columns * patch)
                let (h, w) = (min(patch, height - top), min(patch, width - left))
                for c in 0..<channels {
                    for y in top..<(top + h) { (image + (c * height + y) * width + left).update(repeating: value, count: w) }
                }
            }
        }
    }
}
