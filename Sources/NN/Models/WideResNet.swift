import Configuration
import Tensors

/// The pre-activation block of wide residual networks (Zagoruyko & Komodakis, 2016):
/// `bn → relu → conv 3×3 → bn → relu → (dropout) → conv 3×3`, with a 1×1 `convShortcut`
/// when the shape changes. Names as in the CRD benchmark's `wrn.py`.
public final class WideBasicBlock: Module {
    public let bn1: BatchNorm2d, conv1: Conv2d, bn2: BatchNorm2d, conv2: Conv2d
    public let convShortcut: Conv2d?
    public let dropout: Dropout?

    public init(_ inputChannels: Int, _ channels: Int, stride: Int, dropRate: Float, using generator: inout RandomGenerator) {
        bn1 = BatchNorm2d(inputChannels)
        conv1 = Conv2d(inputChannels, channels, kernelSize: 3, stride: stride, padding: 1, bias: false, using: &generator)
        bn2 = BatchNorm2d(channels)
        conv2 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false, using: &generator)
        convShortcut = inputChannels == channels ? nil : Conv2d(inputChannels, channels, kernelSize: 1, stride: stride, bias: false, using: &generator)
        dropout = dropRate > 0 ? Dropout(probability: dropRate, using: &generator) : nil
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let activated = bn1(input).relu()
        var out = bn2(conv1(activated)).relu()
        if let dropout { out = dropout(out) }
        out = conv2(out)
        // Where the shape changes, the shortcut projects the activated input.
        return out + (convShortcut?(activated) ?? input)
    }
}

/// A stage of wide blocks, named `layer.0`, `layer.1`, … as `NetworkBlock` in the CRD repo.
public final class NetworkBlock: Module {
    public let layer: Sequential

    public init(blocks: Int, _ inputChannels: Int, _ channels: Int, stride: Int, dropRate: Float, using generator: inout RandomGenerator) {
        layer = Sequential((0..<blocks).map { i in
            WideBasicBlock(i == 0 ? inputChannels : channels, channels, stride: i == 0 ? stride : 1, dropRate: dropRate, using: &generator)
        })
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { layer(input) }
}

/// WRN-d-k (`wrn-16-2`, `wrn-40-2`, …): a 3×3 stem of 16 channels, three stages of
/// `(d − 4)/6` wide blocks of 16k, 32k, 64k channels, then bn, relu, pooling, `fc`.
///
/// The blocks are pre-activation blocks, so a stage's output is already before a ReLU; the
/// batch norm in front of that ReLU is the next stage's first `bn1` (`block2.layer.0.bn1`,
/// `block3.layer.0.bn1`) and, after the last stage, `bn1`. Those paths are the features
/// before the ReLU that RepDistiller's `preact` reads (AB), tapped from the forward's own
/// call rather than a second one.
public final class WideResNet: Module, Classifier {
    public let conv1: Conv2d
    public let block1: NetworkBlock, block2: NetworkBlock, block3: NetworkBlock
    public let bn1: BatchNorm2d
    public let fc: Linear

    public init(depth: Int, widenFactor: Int, classes: Int = 10, dropRate: Float = 0, using generator: inout RandomGenerator) {
        precondition((depth - 4) % 6 == 0, "WideResNet: depth \(depth) must be 6n + 4")
        let n = (depth - 4) / 6
        let widths = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor]
        conv1 = Conv2d(3, widths[0], kernelSize: 3, padding: 1, bias: false, using: &generator)
        block1 = NetworkBlock(blocks: n, widths[0], widths[1], stride: 1, dropRate: dropRate, using: &generator)
        block2 = NetworkBlock(blocks: n, widths[1], widths[2], stride: 2, dropRate: dropRate, using: &generator)
        block3 = NetworkBlock(blocks: n, widths[2], widths[3], stride: 2, dropRate: dropRate, using: &generator)
        bn1 = BatchNorm2d(widths[3])
        fc = Linear(widths[3], classes, using: &generator)
        super.init()
    }

    /// `wrn-16-1`, `wrn-16-2`, `wrn-40-1`, `wrn-40-2`, … by name.
    public convenience init?(named name: String, classes: Int = 10, using generator: inout RandomGenerator) {
        guard let (depth, k) = Self.depthAndWidth(named: name) else { return nil }
        self.init(depth: depth, widenFactor: k, classes: classes, using: &generator)
    }

    /// The depth and widening factor a `wrn-<depth>-<width>` name gives, when it is one.
    static func depthAndWidth(named name: String) -> (depth: Int, widenFactor: Int)? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "wrn", let depth = Int(parts[1]), let k = Int(parts[2]), depth >= 10, (depth - 4) % 6 == 0, k >= 1 else {
            return nil
        }
        return (depth, k)
    }

    public var stagePaths: [String] { ["block1", "block2", "block3"] }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = bn1(block3(block2(block1(conv1(input))))).relu()
        return fc(adaptiveAvgPool2d(x, outputSize: (1, 1)).flattened(startAxis: 1))
    }
}

// MARK: Config names

extension WideResNet: ConfigurableModel {
    public static var modelNames: [String] { ["wrn-<depth>-<width>"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard let (depth, k) = depthAndWidth(named: request.name) else { return nil }
        // Per stage, (depth − 4)/6 blocks of two 3×3 convolutions at 16k, 32k and 64k channels.
        let blocks = (depth - 4) / 6
        // Activations: about six feature maps per block (norms, activations, convolutions),
        // at full, half and quarter resolution.
        let pixels = request.inputShape.count == 3 ? request.inputShape[1] * request.inputShape[2] : 1024
        try request.requireMemory(forParameterShapes: [[blocks, 2, 9, 16, 16, k, k], [blocks, 2, 9, 32, 32, k, k], [blocks, 2, 9, 64, 64, k, k]],
                                  activationShapes: [[blocks, 6, pixels, 16, k], [blocks, 6, pixels / 4, 32, k], [blocks, 6, pixels / 16, 64, k]])
        return try request.colorImageModel { WideResNet(depth: depth, widenFactor: k, classes: request.classes, using: &generator) }
    }
}
