import Configuration
import Tensors

/// What a config asks of a model: the name its `model:` key gives, the data's sample shape
/// and class count, and the entries to read its keys from and to blame in errors.
public struct ModelRequest {
    /// The name in the config (`resnet8x4`).
    public let name: String
    /// One sample's shape, without the batch axis (`[3, 32, 32]`).
    public let inputShape: [Int]
    public let classes: Int
    /// The model's section, whose other keys (`hidden`, `dropout`, …) the model reads.
    public let section: any ConfigEntry
    /// The `model:` entry itself, where a name that does not fit the data is reported.
    public let nameEntry: any ConfigEntry
    /// The samples per training batch, which the activations' memory scales with.
    public let batchSize: Int
    /// Whether the model is trained (weights, gradients and optimizer state in memory) or
    /// only run (a teacher: weights alone).
    public let isTrained: Bool

    public init(name: String, inputShape: [Int], classes: Int, section: any ConfigEntry, nameEntry: any ConfigEntry,
                batchSize: Int = 1, isTrained: Bool = true) {
        (self.name, self.inputShape, self.classes, self.section, self.nameEntry) = (name, inputShape, classes, section, nameEntry)
        (self.batchSize, self.isTrained) = (batchSize, isTrained)
    }

    /// The model `make` builds for this request, when it builds one, checked to fit the data:
    /// the CRD benchmark's models take square 3-channel images. `make` returns nil for a name
    /// that is not its own.
    public func colorImageModel(_ make: () -> Module?) throws -> Module? {
        guard let model = make() else { return nil }
        guard inputShape.count == 3, inputShape[0] == 3, inputShape[1] >= 8, inputShape[1] == inputShape[2] else {
            throw nameEntry.error("\(name) takes square 3-channel images; the data's samples are \(inputShape) (mlp and lenet5 take any)")
        }
        return model
    }
}

/// An architecture a config can name: the names it answers to (a family whose name carries
/// parameters listed as its name pattern, `wrn-<depth>-<width>` for `wrn-16-2`, `wrn-40-2`,
/// …, which `build` parses in full) and how it builds itself for
/// a request, reading and validating its own keys. Its target lists it (`NNRegistry.models`);
/// the config reader joins the lists.
public protocol ConfigurableModel: Module {
    /// The names this type answers to, as errors list them.
    static var modelNames: [String] { get }
    /// The keys its section may hold besides `model` (empty for none), as the README lists them.
    static var configKeys: String { get }
    /// The model the request names, or nil when the name is not one of this type's.
    static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module?
}

extension ConfigurableModel {
    public static var configKeys: String { "" }
}

/// What this target offers to configs by name (see `DistillationRegistry`).
public enum NNRegistry {
    /// The architectures, in the order errors list them.
    public static let models: [any ConfigurableModel.Type] = [
        MLP.self, LeNet5.self, CIFARResNet.self, ResNet.self, WideResNet.self, VGG.self, MobileNetV2.self, ShuffleNetV1.self,
        ShuffleNetV2.self, VisionTransformer.self, GCN.self, GAT.self, GraphSAGE.self, APPNP.self, VQGraphGCN.self, GIN.self, GPT.self,
    ]
}
