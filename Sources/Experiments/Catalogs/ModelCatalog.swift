import NN
import Tensors

/// The architectures a configuration can name, built for the data's sample shape and class
/// count. A model section reads `model:` and that architecture's own keys:
///
/// ```yaml
/// model: mlp          # hidden: [256, 256], activation: relu, dropout: 0.1
/// model: resnet20     # the CIFAR family, 3-channel images
/// model: wrn-16-2     # WRN-depth-width
/// model: vit          # patch, dimension, depth, heads, mlp_ratio
/// ```
public enum ModelCatalog {
    /// The names, as listed in errors (`wrn-D-K` stands for any valid depth and width).
    public static let names: [String] =
        ["mlp", "lenet5"] + CIFARFamily.resNets + ["resnet18", "resnet34", "wrn-D-K"] + VGG.configurations.keys.sorted()
        + ["mobilenetv2", "shufflenetv1", "shufflenetv2", "vit"]

    /// Builds the model the section names (reading its keys; the caller finishes the section).
    public static func build(_ section: ConfigNode, inputShape: [Int], classes: Int, using generator: inout RandomGenerator) throws -> Module {
        let nameNode = try section.required("model", "one of: \(names.joined(separator: ", "))")
        let name: String = try nameNode.value()
        switch name {
        case "mlp":
            let hidden: [Int] = try section.values("hidden", default: [256])
            let activation = try section.choice("activation", from: Activation.Kind.allCases.map(\.rawValue), default: "relu")
            let dropout: Float = try section.value("dropout", default: 0)
            guard hidden.allSatisfy({ $0 > 0 }) else { throw section.error("hidden widths \(hidden) must be positive") }
            return MLP(widths: [inputShape.reduce(1, *)] + hidden + [classes], activation: Activation.Kind(rawValue: activation)!,
                       dropout: dropout, using: &generator)
        case "lenet5":
            guard inputShape.count == 3, [28, 32].contains(inputShape[1]), inputShape[1] == inputShape[2] else {
                throw nameNode.error("lenet5 takes 28×28 or 32×32 images; the data's samples are \(inputShape)")
            }
            return LeNet5(inputChannels: inputShape[0], classes: classes, padding: inputShape[1] == 28 ? 2 : 0, using: &generator)
        case "vit":
            let patch: Int = try section.value("patch", default: 4)
            guard inputShape.count == 3, inputShape[1] == inputShape[2], patch > 0, inputShape[1] % patch == 0 else {
                throw nameNode.error("vit takes square images whose side the patch (\(patch)) divides; the data's samples are \(inputShape)")
            }
            return VisionTransformer(
                imageSize: inputShape[1], patch: patch, channels: inputShape[0],
                dimension: try section.value("dimension", default: 192), depth: try section.value("depth", default: 6),
                heads: try section.value("heads", default: 3), mlpRatio: try section.value("mlp_ratio", default: 4),
                classes: classes, using: &generator)
        default:
            guard let model = try buildColorImageModel(name, classes: classes, using: &generator) else {
                throw nameNode.error("unknown model '\(name)' (valid: \(names.joined(separator: ", ")))")
            }
            try requireColorImages(name, inputShape, nameNode)
            return model
        }
    }

    private enum CIFARFamily {
        static let resNets = ["resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet8x4", "resnet32x4"]
    }

    /// The models of the CRD benchmark, which take 3-channel images; nil for an unknown name.
    private static func buildColorImageModel(_ name: String, classes: Int, using generator: inout RandomGenerator) throws -> Module? {
        switch name {
        case "resnet18": return ResNet.resnet18(classes: classes, using: &generator)
        case "resnet34": return ResNet.resnet34(classes: classes, using: &generator)
        case "mobilenetv2": return MobileNetV2(classes: classes, using: &generator)
        case "shufflenetv1": return ShuffleNetV1(classes: classes, using: &generator)
        case "shufflenetv2": return ShuffleNetV2(classes: classes, using: &generator)
        default:
            return CIFARResNet(named: name, classes: classes, using: &generator)
                ?? WideResNet(named: name, classes: classes, using: &generator)
                ?? VGG(named: name, classes: classes, using: &generator)
        }
    }

    private static func requireColorImages(_ name: String, _ inputShape: [Int], _ node: ConfigNode) throws {
        guard inputShape.count == 3, inputShape[0] == 3, inputShape[1] >= 8, inputShape[1] == inputShape[2] else {
            throw node.error("\(name) takes square 3-channel images; the data's samples are \(inputShape) (mlp and lenet5 take any)")
        }
    }
}
