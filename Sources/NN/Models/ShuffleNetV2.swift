import Configuration
import Tensors

/// Interleaves the channels of `groups` groups (ShuffleNet's channel shuffle).
func channelShuffle(_ x: Tensor, groups: Int) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return x.reshaped([n, groups, c / groups, h, w]).permuted([0, 2, 1, 3, 4]).reshaped([n, c, h, w])
}

/// ShuffleNetV2's basic unit (Ma et al., 2018): half the channels pass through, the other
/// half go 1×1 → depthwise 3×3 → 1×1, then the halves are joined and shuffled.
public final class ShuffleUnit: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d

    public init(channels: Int, using generator: inout RandomGenerator) {
        let half = channels / 2
        conv1 = Conv2d(half, half, kernelSize: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(half)
        conv2 = Conv2d(half, half, kernelSize: 3, padding: 1, groups: half, bias: false, using: &generator)
        bn2 = BatchNorm2d(half)
        conv3 = Conv2d(half, half, kernelSize: 1, bias: false, using: &generator)
        bn3 = BatchNorm2d(half)
        super.init()
    }

    /// `preact`: the kept half and the branch before its last ReLU, joined but not shuffled,
    /// as RepDistiller's `preact` is.
    public override var tapPoints: [String] { ["preact"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let halves = input.split(sizes: [input.shape[1] / 2, input.shape[1] - input.shape[1] / 2], axis: 1)
        let preactivation = bn3(conv3(bn2(conv2(bn1(conv1(halves[1])).relu()))))
        recordPoint("preact", concatenate([halves[0], preactivation], axis: 1))
        return channelShuffle(concatenate([halves[0], preactivation.relu()], axis: 1), groups: 2)
    }
}

/// ShuffleNetV2's down-sampling unit: two strided branches, joined and shuffled.
public final class ShuffleDownUnit: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let conv3: Conv2d, bn3: BatchNorm2d, conv4: Conv2d, bn4: BatchNorm2d, conv5: Conv2d, bn5: BatchNorm2d

    public init(_ input: Int, _ output: Int, using generator: inout RandomGenerator) {
        let middle = output / 2
        conv1 = Conv2d(input, input, kernelSize: 3, stride: 2, padding: 1, groups: input, bias: false, using: &generator)
        bn1 = BatchNorm2d(input)
        conv2 = Conv2d(input, middle, kernelSize: 1, bias: false, using: &generator)
        bn2 = BatchNorm2d(middle)
        conv3 = Conv2d(input, middle, kernelSize: 1, bias: false, using: &generator)
        bn3 = BatchNorm2d(middle)
        conv4 = Conv2d(middle, middle, kernelSize: 3, stride: 2, padding: 1, groups: middle, bias: false, using: &generator)
        bn4 = BatchNorm2d(middle)
        conv5 = Conv2d(middle, middle, kernelSize: 1, bias: false, using: &generator)
        bn5 = BatchNorm2d(middle)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let left = bn2(conv2(bn1(conv1(input)))).relu()
        let right = bn5(conv5(bn4(conv4(bn3(conv3(input)).relu())))).relu()
        return channelShuffle(concatenate([left, right], axis: 1), groups: 2)
    }
}

/// ShuffleNetV2 for CIFAR as in the CRD benchmark (`ShuffleV2` is size 1): a 1×1 stem of
/// 24 channels, three stages (a down unit and 3/7/3 basic units), a 1×1 convolution, pooling
/// and `linear`.
public final class ShuffleNetV2: Module, Classifier {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let conv2: Conv2d, bn2: BatchNorm2d
    public let linear: Linear

    /// Output channels per stage and of the last convolution, by net size.
    public static let sizes: [Float: [Int]] = [
        0.5: [48, 96, 192, 1024], 1: [116, 232, 464, 1024], 1.5: [176, 352, 704, 1024], 2: [224, 488, 976, 2048],
    ]

    public init(size: Float = 1, classes: Int = 10, using generator: inout RandomGenerator) {
        guard let widths = Self.sizes[size] else { preconditionFailure("ShuffleNetV2: size \(size) is not one of \(Self.sizes.keys.sorted())") }
        conv1 = Conv2d(3, 24, kernelSize: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(24)
        var channels = 24
        func stage(_ width: Int, units: Int, _ generator: inout RandomGenerator) -> Sequential {
            var layers: [Module] = [ShuffleDownUnit(channels, width, using: &generator)]
            for _ in 0..<units { layers.append(ShuffleUnit(channels: width, using: &generator)) }
            channels = width
            return Sequential(layers)
        }
        layer1 = stage(widths[0], units: 3, &generator)
        layer2 = stage(widths[1], units: 7, &generator)
        layer3 = stage(widths[2], units: 3, &generator)
        conv2 = Conv2d(widths[2], widths[3], kernelSize: 1, bias: false, using: &generator)
        bn2 = BatchNorm2d(widths[3])
        linear = Linear(widths[3], classes, using: &generator)
        super.init()
    }

    public var stagePaths: [String] { ["layer1", "layer2", "layer3"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = bn2(conv2(layer3(layer2(layer1(bn1(conv1(input)).relu()))))).relu()
        return linear(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config name

extension ShuffleNetV2: ConfigurableModel {
    public static var modelNames: [String] { ["shufflenetv2"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel { request.name == "shufflenetv2" ? ShuffleNetV2(classes: request.classes, using: &generator) : nil }
    }
}
