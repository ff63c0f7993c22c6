import Configuration
import Tensors

/// ShuffleNet's bottleneck (Zhang et al., 2018): grouped 1×1 convolution, channel
/// shuffle, depthwise 3×3, grouped 1×1; the shortcut is added, or — when striding —
/// average-pooled and concatenated.
public final class ShuffleBottleneck: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    public let stride: Int
    private let shuffleGroups: Int

    public init(_ input: Int, _ output: Int, stride: Int, groups: Int, using generator: inout RandomGenerator) {
        let middle = output / 4
        // The first stage's input (24 channels from the stem) is not grouped.
        let firstGroups = input == 24 ? 1 : groups
        conv1 = Conv2d(input, middle, kernelSize: 1, groups: firstGroups, bias: false, using: &generator)
        bn1 = BatchNorm2d(middle)
        conv2 = Conv2d(middle, middle, kernelSize: 3, stride: stride, padding: 1, groups: middle, bias: false, using: &generator)
        bn2 = BatchNorm2d(middle)
        conv3 = Conv2d(middle, output, kernelSize: 1, groups: groups, bias: false, using: &generator)
        bn3 = BatchNorm2d(output)
        (self.stride, shuffleGroups) = (stride, firstGroups)
        super.init()
    }

    /// `preact`: the sum (or, when strided, the joined branches) before the last ReLU, as
    /// RepDistiller's `preact`.
    public override var tapPoints: [String] { ["preact"] }

    public override func forward(_ input: Tensor) -> Tensor {
        var out = channelShuffle(bn1(conv1(input)).relu(), groups: shuffleGroups)
        out = bn3(conv3(bn2(conv2(out)).relu()))
        guard stride == 2 else { return tapPoint("preact", out + input).relu() }
        let shortcut = avgPool2d(input, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))
        return tapPoint("preact", concatenate([out, shortcut], axis: 1)).relu()
    }
}

/// ShuffleNetV1 for CIFAR as in the CRD benchmark (`ShuffleV1`: 240/480/960 channels,
/// 4/8/4 blocks, 3 groups).
public final class ShuffleNetV1: Module, Classifier {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let linear: Linear

    public init(channels: [Int] = [240, 480, 960], blocks: [Int] = [4, 8, 4], groups: Int = 3, classes: Int = 10, using generator: inout RandomGenerator) {
        conv1 = Conv2d(3, 24, kernelSize: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(24)
        var current = 24
        func stage(_ output: Int, _ count: Int, _ generator: inout RandomGenerator) -> Sequential {
            var layers: [Module] = []
            for i in 0..<count {
                // The strided first block concatenates its input, so it makes fewer channels.
                layers.append(ShuffleBottleneck(current, output - (i == 0 ? current : 0), stride: i == 0 ? 2 : 1, groups: groups, using: &generator))
                current = output
            }
            return Sequential(layers)
        }
        layer1 = stage(channels[0], blocks[0], &generator)
        layer2 = stage(channels[1], blocks[1], &generator)
        layer3 = stage(channels[2], blocks[2], &generator)
        linear = Linear(channels[2], classes, using: &generator)
        super.init()
    }

    public var stagePaths: [String] { ["layer1", "layer2", "layer3"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = layer3(layer2(layer1(bn1(conv1(input)).relu())))
        return linear(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config name

extension ShuffleNetV1: ConfigurableModel {
    public static var modelNames: [String] { ["shufflenetv1"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel { request.name == "shufflenetv1" ? ShuffleNetV1(classes: request.classes, using: &generator) : nil }
    }
}
