import Configuration
import Tensors

/// `Conv → BatchNorm → ReLU` as one `Sequential` (`0`, `1`, `2`), as the CRD repo's
/// `conv_bn` and `conv_1x1_bn`.
func convolutionBatchNormReLU(_ input: Int, _ output: Int, kernel: Int, stride: Int, using generator: inout RandomGenerator) -> Sequential {
    Sequential(
        Conv2d(input, output, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: false, using: &generator),
        BatchNorm2d(output), Activation(.relu))
}

/// The inverted residual block of MobileNetV2 (Sandler et al., 2018): 1×1 expansion,
/// 3×3 depthwise convolution, 1×1 linear projection, and a residual connection when the
/// shape is kept. Layers in `conv` as in the CRD repo. The projection is linear (no ReLU
/// after it), so a block's output is its own pre-activation, as RepDistiller reads it.
public final class InvertedResidual: Module {
    public let conv: Sequential
    public let usesResidual: Bool

    public init(_ input: Int, _ output: Int, stride: Int, expansion: Int, using generator: inout RandomGenerator) {
        let hidden = input * expansion
        conv = Sequential(
            Conv2d(input, hidden, kernelSize: 1, bias: false, using: &generator), BatchNorm2d(hidden), Activation(.relu),
            Conv2d(hidden, hidden, kernelSize: 3, stride: stride, padding: 1, groups: hidden, bias: false, using: &generator),
            BatchNorm2d(hidden), Activation(.relu),
            Conv2d(hidden, output, kernelSize: 1, bias: false, using: &generator), BatchNorm2d(output))
        usesResidual = stride == 1 && input == output
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        usesResidual ? input + conv(input) : conv(input)
    }
}

/// MobileNetV2 for 32×32 inputs as in the CRD benchmark (`mobilenetv2` is expansion 6,
/// width 0.5): a strided stem, seven stages of inverted residuals, a 1×1 convolution to
/// 1280 channels, pooling and `classifier.0`.
public final class MobileNetV2: Module, Classifier {
    public let conv1: Sequential
    public let blocks: [Sequential]
    public let conv2: Sequential
    public let classifier: Sequential

    public init(expansion: Int = 6, widthMultiplier: Float = 0.5, classes: Int = 10, using generator: inout RandomGenerator) {
        // (expansion, channels, blocks, stride) per stage; the first stage never expands.
        let settings = [(1, 16, 1, 1), (expansion, 24, 2, 1), (expansion, 32, 3, 2), (expansion, 64, 4, 2),
                        (expansion, 96, 3, 1), (expansion, 160, 3, 2), (expansion, 320, 1, 1)]
        var channels = Int(32 * widthMultiplier)
        conv1 = convolutionBatchNormReLU(3, channels, kernel: 3, stride: 2, using: &generator)
        var stages: [Sequential] = []
        for (t, c, n, s) in settings {
            let output = Int(Float(c) * widthMultiplier)
            var layers: [Module] = []
            for i in 0..<n {
                layers.append(InvertedResidual(channels, output, stride: i == 0 ? s : 1, expansion: t, using: &generator))
                channels = output
            }
            stages.append(Sequential(layers))
        }
        blocks = stages
        let last = widthMultiplier > 1 ? Int(1280 * widthMultiplier) : 1280
        conv2 = convolutionBatchNormReLU(channels, last, kernel: 1, stride: 1, using: &generator)
        classifier = Sequential(Linear(last, classes, using: &generator))
        super.init()
    }

    public var stagePaths: [String] { ["blocks.1", "blocks.2", "blocks.4", "blocks.6"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = conv2(blocks.reduce(conv1(input)) { $1($0) })
        return classifier(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config name

extension MobileNetV2: ConfigurableModel {
    public static var modelNames: [String] { ["mobilenetv2"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        try request.colorImageModel { request.name == "mobilenetv2" ? MobileNetV2(classes: request.classes, using: &generator) : nil }
    }
}
