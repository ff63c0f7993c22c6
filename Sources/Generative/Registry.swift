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

/// How many networks a denoising network's section asks for: `students: K` makes K of its
/// shape, each owning a block of the classes (`MultiStudentNetwork`, MSD); 1 by default.
private func studentCount(_ request: ModelRequest, classes: Int) throws -> Int {
    let count: Int = try request.section.value("students", default: 1, in: 1...256)
    if count > 1 && classes < count {
        throw (try request.section.optional("students") ?? request.section).error(
            "students: \(count) splits the classes among \(count) students, and needs `conditional: true` on data of at least \(count) classes; "
                + (classes == 0 ? "this network is unconditional" : "there are \(classes)"))
    }
    return count
}

/// The `students` key as the denoising networks' `configKeys` list it.
private let studentsKey = "students (1; K > 1: K such networks, each owning a block of the classes and sampling them, MSD's multi-student "
    + "distillation; conditional only, without guidance)"

/// The network of a section, or its `count` students (`MultiStudentNetwork`).
private func denoisingNetwork(students count: Int, using generator: inout RandomGenerator, _ make: (inout RandomGenerator) -> any DenoisingNetwork) -> Module {
    count == 1 ? make(&generator) : MultiStudentNetwork(students: (0..<count).map { _ in make(&generator) })
}

extension DenoisingMLP: ConfigurableModel {
    /// Vectors `[D]`.
    public static var modelNames: [String] { ["denoising-mlp"] }
    public static var configKeys: String { "hidden (widths, default [128, 128, 128]), embedding_size (32), conditional (false), \(studentsKey)" }

    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "denoising-mlp" else { return nil }
        guard request.inputShape.count == 1 else { throw request.nameEntry.error("denoising-mlp takes vectors; the data's samples are \(request.inputShape) (use unet for images)") }
        let section = request.section
        let hidden: [Int] = try section.values("hidden", default: [128, 128, 128])
        guard !hidden.isEmpty, hidden.allSatisfy({ (1...1 << 16).contains($0) }) else { throw section.error("hidden widths \(hidden) must be in 1…65536") }
        let embeddingSize: Int = try section.value("embedding_size", default: 32, in: 2...4096)
        guard embeddingSize % 2 == 0 else { throw (try section.optional("embedding_size") ?? section).error("embedding_size must be even, found \(embeddingSize)") }
        let classes = try conditionalClasses(request)
        let students = try studentCount(request, classes: classes)
        let dimension = request.inputShape[0]
        let widths = [dimension + embeddingSize] + hidden + [dimension]
        let parameterShapes = zip(widths, widths.dropFirst()).flatMap { [[$0, $1], [$1]] } + [[classes + 1, embeddingSize]]
        try request.requireMemory(forParameterShapes: Array(repeating: parameterShapes, count: students).flatMap { $0 }, activationShapes: widths.map { [2, $0] })
        return denoisingNetwork(students: students, using: &generator) {
            DenoisingMLP(dimension: dimension, hidden: hidden, embeddingSize: embeddingSize, classCount: classes, using: &$0)
        }
    }
}

extension UNetDenoiser: ConfigurableModel {
    /// Images `[C, H, W]` whose sides halve evenly at every level.
    public static var modelNames: [String] { ["unet"] }
    public static var configKeys: String { "channels (per level, default [32, 64]), heads (1), conditional (false), \(studentsKey)" }

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
        let students = try studentCount(request, classes: classes)
        // About eight 3×3 kernels of each level's width squared, and ten feature maps a level.
        let parameterShapes = channels.map { [8, $0, $0, 9] } + [[classes + 1, 4 * channels[0]]]
        try request.requireMemory(
            forParameterShapes: Array(repeating: parameterShapes, count: students).flatMap { $0 },
            activationShapes: channels.enumerated().map { [10, $0.element, shape[1] >> $0.offset, shape[2] >> $0.offset] })
        return denoisingNetwork(students: students, using: &generator) {
            UNetDenoiser(imageChannels: shape[0], channels: channels, heads: heads, classCount: classes, using: &$0)
        }
    }
}
