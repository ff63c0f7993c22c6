import Configuration
import NN
import Tensors
import Training

/// What this target offers to configs by name (see `DistillationRegistry`): the denoising
/// networks and the methods that train them from a YAML config.
public enum GenerativeRegistry {
    /// The networks, in the order errors list them.
    public static let models: [any ConfigurableModel.Type] = [DenoisingMLP.self, UNetDenoiser.self]
    /// The methods, in the order errors list them.
    public static let methods: [any ConfigurableMethod.Type] = [
        DenoisingObjective.self, ConsistencyDistillation.self, ContinuousConsistencyDistillation.self, BOOTDistillation.self,
        ProgressiveDistillation.self, ReflowDistillation.self, DistributionMatchingMethod<DMDRecipe>.self, DistributionMatchingMethod<DMD2Recipe>.self,
        DistributionMatchingMethod<SiDRecipe>.self, DistributionMatchingMethod<VSDRecipe>.self, DistributionMatchingMethod<DisBackRecipe>.self,
        DistributionMatchingMethod<SIGNRecipe>.self, AdversarialDistillationMethod<ADDRecipe>.self, AdversarialDistillationMethod<LADDRecipe>.self,
    ]
}

/// The class count a denoising network's section asks for: the data's classes when
/// `conditional: true`, else none.
private func conditionalClasses(_ request: ModelRequest) throws -> Int {
    guard try request.section.value("conditional", default: false) else { return 0 }
    guard request.classes > 0 else { throw request.section.error("conditional: true needs labelled data; this data set has no classes") }
    return request.classes
}

extension DenoisingMLP: ConfigurableModel {
    /// Vectors `[D]`.
    public static var modelNames: [String] { ["denoising-mlp"] }
    public static var configKeys: String { "hidden (widths, default [128, 128, 128]), embedding_size (32), conditional (false)" }

    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "denoising-mlp" else { return nil }
        guard request.inputShape.count == 1 else { throw request.nameEntry.error("denoising-mlp takes vectors; the data's samples are \(request.inputShape) (use unet for images)") }
        let section = request.section
        let hidden: [Int] = try section.values("hidden", default: [128, 128, 128])
        guard !hidden.isEmpty, hidden.allSatisfy({ (1...1 << 16).contains($0) }) else { throw section.error("hidden widths \(hidden) must be in 1…65536") }
        let embeddingSize: Int = try section.value("embedding_size", default: 32, in: 2...4096)
        guard embeddingSize % 2 == 0 else { throw (try section.optional("embedding_size") ?? section).error("embedding_size must be even, found \(embeddingSize)") }
        let classes = try conditionalClasses(request)
        let dimension = request.inputShape[0]
        let widths = [dimension + embeddingSize] + hidden + [dimension]
        try request.requireMemory(forParameterShapes: zip(widths, widths.dropFirst()).flatMap { [[$0, $1], [$1]] } + [[classes + 1, embeddingSize]],
                                  activationShapes: widths.map { [2, $0] })
        return DenoisingMLP(dimension: dimension, hidden: hidden, embeddingSize: embeddingSize, classCount: classes, using: &generator)
    }
}

extension UNetDenoiser: ConfigurableModel {
    /// Images `[C, H, W]` whose sides halve evenly at every level.
    public static var modelNames: [String] { ["unet"] }
    public static var configKeys: String { "channels (per level, default [32, 64]), heads (1), conditional (false)" }

    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "unet" else { return nil }
        let shape = request.inputShape
        guard shape.count == 3 else { throw request.nameEntry.error("unet takes images [C, H, W]; the data's samples are \(shape)") }
        let section = request.section
        let channels: [Int] = try section.values("channels", default: [32, 64])
        guard (1...6).contains(channels.count), channels.allSatisfy({ (1...4096).contains($0) }) else {
            throw (try section.optional("channels") ?? section).error("channels lists 1 to 6 levels of 1…4096, found \(channels)")
        }
        let divisor = 1 << (channels.count - 1)
        guard shape[1] % divisor == 0, shape[2] % divisor == 0 else {
            throw (try section.optional("channels") ?? section).error("\(channels.count) levels halve the image \(channels.count - 1) times; \(shape[1])×\(shape[2]) is not divisible by \(divisor)")
        }
        let heads: Int = try section.value("heads", default: 1, in: 1...64)
        guard channels.last! % heads == 0 else { throw (try section.optional("heads") ?? section).error("heads (\(heads)) must divide the lowest level's \(channels.last!) channels") }
        let classes = try conditionalClasses(request)
        // About eight 3×3 kernels of each level's width squared, and ten feature maps a level.
        try request.requireMemory(
            forParameterShapes: channels.map { [8, $0, $0, 9] } + [[classes + 1, 4 * channels[0]]],
            activationShapes: channels.enumerated().map { [10, $0.element, shape[1] >> $0.offset, shape[2] >> $0.offset] })
        return UNetDenoiser(imageChannels: shape[0], channels: channels, heads: heads, classCount: classes, using: &generator)
    }
}
