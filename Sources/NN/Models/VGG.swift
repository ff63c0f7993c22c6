import Configuration
import Tensors

/// VGG with batch norm for CIFAR (Simonyan & Zisserman, 2015), as in the CRD benchmark:
/// five blocks of 3×3 convolutions (`block0…block4`, each `conv, bn, relu, …` without the
/// last relu), 2×2 max pooling between them, global average pooling and `classifier`. A
/// block's output is so its value before the ReLU, RepDistiller's `preact` (AB).
public final class VGG: Module, Classifier {
    public let block0: Sequential, block1: Sequential, block2: Sequential, block3: Sequential, block4: Sequential
    public let classifier: Linear

    /// Channel widths per block for `vgg8`, `vgg11`, `vgg13`, `vgg16`, `vgg19`.
    public static let configurations: [String: [[Int]]] = [
        "vgg8": [[64], [128], [256], [512], [512]],
        "vgg11": [[64], [128], [256, 256], [512, 512], [512, 512]],
        "vgg13": [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
        "vgg16": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
        "vgg19": [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
    ]

    public init(configuration: [[Int]], classes: Int = 10, using generator: inout RandomGenerator) {
        precondition(configuration.count == 5, "VGG: configuration needs five blocks")
        var channels = 3
        var blocks: [Sequential] = []
        for widths in configuration {
            var layers: [Module] = []
            for width in widths {
                layers += [Conv2d(channels, width, kernelSize: 3, padding: 1, using: &generator), BatchNorm2d(width), Activation(.relu)]
                channels = width
            }
            blocks.append(Sequential(Array(layers.dropLast())))
        }
        (block0, block1, block2, block3, block4) = (blocks[0], blocks[1], blocks[2], blocks[3], blocks[4])
        classifier = Linear(channels, classes, using: &generator)
        super.init()
    }

    public convenience init?(named name: String, classes: Int = 10, using generator: inout RandomGenerator) {
        guard let configuration = Self.configurations[name] else { return nil }
        self.init(configuration: configuration, classes: classes, using: &generator)
    }

    public var stagePaths: [String] { ["block0", "block1", "block2", "block3", "block4"] }

    public override func forward(_ input: Tensor) -> Tensor {
        var x = block0(input).relu()
        for block in [block1, block2, block3] { x = block(maxPool2d(x, kernelSize: (2, 2))).relu() }
        // The CRD model pools a fourth time only for 64×64 inputs.
        if input.shape[2] == 64 { x = maxPool2d(x, kernelSize: (2, 2)) }
        x = block4(x).relu()
        return classifier(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config names

extension VGG: ConfigurableModel {
    public static var modelNames: [String] { configurations.keys.sorted() }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel { VGG(named: request.name, classes: request.classes, using: &generator) }
    }
}
