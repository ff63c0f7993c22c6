import Configuration
import Tensors

/// The basic residual block (He et al., 2016): two 3×3 convolutions with batch norm, and
/// a 1×1 projection when the shape changes. The projection is named `downsample` in the CRD
/// CIFAR ResNets and `shortcut` in its ResNet-18/34; `projectionName` picks which.
public final class BasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    @Child public var projection: Sequential?

    public init(_ inputChannels: Int, _ channels: Int, stride: Int = 1, projectionName: String = "downsample", using generator: inout RandomGenerator) {
        conv1 = Conv2d(inputChannels, channels, kernelSize: 3, stride: stride, padding: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(channels)
        conv2 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false, using: &generator)
        bn2 = BatchNorm2d(channels)
        let needsProjection = stride != 1 || inputChannels != channels
        _projection = Child(
            wrappedValue: needsProjection
                ? Sequential(Conv2d(inputChannels, channels, kernelSize: 1, stride: stride, bias: false, using: &generator), BatchNorm2d(channels))
                : nil,
            key: projectionName)
        super.init()
    }

    /// `preact`: the residual sum before the last ReLU (RepDistiller's `preact`).
    public override var tapPoints: [String] { ["preact"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let out = bn2(conv2(bn1(conv1(input)).relu()))
        return tapPoint("preact", out + (projection?(input) ?? input)).relu()
    }
}

/// The CIFAR ResNets of the knowledge-distillation benchmarks (CRD, Tian et al., 2020):
/// a 3×3 stem, three stages of `(depth − 2)/6` basic blocks at strides 1, 2, 2, 8×8 average
/// pooling and a linear classifier. `resnet8…110` use widths 16/16/32/64; the `x4` variants
/// 32/64/128/256.
public final class CIFARResNet: Module, Classifier {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let fc: Linear

    public init(depth: Int, widths: [Int] = [16, 16, 32, 64], classes: Int = 10, using generator: inout RandomGenerator) {
        precondition((depth - 2) % 6 == 0 && widths.count == 4, "CIFARResNet: depth \(depth) must be 6n + 2, with 4 widths")
        let blocks = (depth - 2) / 6
        conv1 = Conv2d(3, widths[0], kernelSize: 3, padding: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(widths[0])
        var channels = widths[0]
        func stage(_ width: Int, stride: Int, _ generator: inout RandomGenerator) -> Sequential {
            var layers: [Module] = []
            for i in 0..<blocks {
                layers.append(BasicBlock(channels, width, stride: i == 0 ? stride : 1, using: &generator))
                channels = width
            }
            return Sequential(layers)
        }
        layer1 = stage(widths[1], stride: 1, &generator)
        layer2 = stage(widths[2], stride: 2, &generator)
        layer3 = stage(widths[3], stride: 2, &generator)
        fc = Linear(widths[3], classes, using: &generator)
        super.init()
    }

    /// A network of the benchmark by name: `resnet8`, `resnet14`, `resnet20`, `resnet32`,
    /// `resnet44`, `resnet56`, `resnet110`, `resnet8x4`, `resnet32x4`.
    public convenience init?(named name: String, classes: Int = 10, using generator: inout RandomGenerator) {
        let wide = name.hasSuffix("x4")
        guard name.hasPrefix("resnet"), let depth = Int(name.dropFirst(6).dropLast(wide ? 2 : 0)),
            [8, 14, 20, 32, 44, 56, 110].contains(depth), !wide || [8, 32].contains(depth)
        else { return nil }
        self.init(depth: depth, widths: wide ? [32, 64, 128, 256] : [16, 16, 32, 64], classes: classes, using: &generator)
    }

    public var stagePaths: [String] { ["layer1", "layer2", "layer3"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = layer3(layer2(layer1(bn1(conv1(input)).relu())))
        return fc(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

/// ResNet-18 and ResNet-34 with the CIFAR stem (3×3, stride 1, no max pool), as in the
/// CRD benchmark: four stages of 64/128/256/512 channels.
public final class ResNet: Module, Classifier {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let linear: Linear

    public init(blocks: [Int], classes: Int = 10, using generator: inout RandomGenerator) {
        precondition(blocks.count == 4, "ResNet: \(blocks) must give blocks for four stages")
        conv1 = Conv2d(3, 64, kernelSize: 3, padding: 1, bias: false, using: &generator)
        bn1 = BatchNorm2d(64)
        var channels = 64
        func stage(_ width: Int, _ count: Int, stride: Int, _ generator: inout RandomGenerator) -> Sequential {
            var layers: [Module] = []
            for i in 0..<count {
                layers.append(BasicBlock(channels, width, stride: i == 0 ? stride : 1, projectionName: "shortcut", using: &generator))
                channels = width
            }
            return Sequential(layers)
        }
        layer1 = stage(64, blocks[0], stride: 1, &generator)
        layer2 = stage(128, blocks[1], stride: 2, &generator)
        layer3 = stage(256, blocks[2], stride: 2, &generator)
        layer4 = stage(512, blocks[3], stride: 2, &generator)
        linear = Linear(512, classes, using: &generator)
        super.init()
    }

    public static func resnet18(classes: Int = 10, using generator: inout RandomGenerator) -> ResNet { ResNet(blocks: [2, 2, 2, 2], classes: classes, using: &generator) }
    public static func resnet34(classes: Int = 10, using generator: inout RandomGenerator) -> ResNet { ResNet(blocks: [3, 4, 6, 3], classes: classes, using: &generator) }

    public var stagePaths: [String] { ["layer1", "layer2", "layer3", "layer4"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = layer4(layer3(layer2(layer1(bn1(conv1(input)).relu()))))
        return linear(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config names

extension CIFARResNet: ConfigurableModel {
    public static var modelNames: [String] {
        ["resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet8x4", "resnet32x4"]
    }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel { CIFARResNet(named: request.name, classes: request.classes, using: &generator) }
    }
}

extension ResNet: ConfigurableModel {
    public static var modelNames: [String] { ["resnet18", "resnet34"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel {
            switch request.name {
            case "resnet18": resnet18(classes: request.classes, using: &generator)
            case "resnet34": resnet34(classes: request.classes, using: &generator)
            default: nil
            }
        }
    }
}
