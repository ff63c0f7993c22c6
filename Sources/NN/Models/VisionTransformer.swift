import Configuration
import Tensors

/// Splits an image into `patch × patch` patches and embeds each linearly (a strided
/// convolution `proj`), giving tokens `[B, N, D]`.
public final class PatchEmbedding: Module {
    public let proj: Conv2d

    public init(channels: Int, dimension: Int, patch: Int, using generator: inout RandomGenerator) {
        proj = Conv2d(channels, dimension, kernelSize: patch, stride: patch, using: &generator)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        proj(input).flattened(startAxis: 2).transposed(1, 2)
    }
}

/// A small Vision Transformer (Dosovitskiy et al., 2021) with timm's parameter names:
/// patch embedding, a class token and learned position embeddings, pre-norm encoder
/// `blocks`, a final `norm`, and a linear `head` on the class token.
public final class VisionTransformer: Module, Classifier {
    public let patchEmbed: PatchEmbedding
    @Parameter public var classToken: Tensor
    @Parameter public var positionEmbedding: Tensor
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm
    public let head: Linear

    public init(
        imageSize: Int = 32, patch: Int = 4, channels: Int = 3, dimension: Int = 192, depth: Int = 6, heads: Int = 3,
        mlpRatio: Int = 4, classes: Int = 10, using generator: inout RandomGenerator
    ) {
        precondition(imageSize % patch == 0, "VisionTransformer: patch \(patch) does not divide image size \(imageSize)")
        let tokens = (imageSize / patch) * (imageSize / patch)
        patchEmbed = PatchEmbedding(channels: channels, dimension: dimension, patch: patch, using: &generator)
        _classToken = Parameter(Tensor.normal([1, 1, dimension], standardDeviation: 0.02, using: &generator), key: "cls_token")
        _positionEmbedding = Parameter(Tensor.normal([1, tokens + 1, dimension], standardDeviation: 0.02, using: &generator), key: "pos_embed")
        blocks = (0..<depth).map { _ in TransformerBlock(dimension: dimension, heads: heads, mlpRatio: mlpRatio, using: &generator) }
        norm = LayerNorm([dimension], epsilon: 1e-6)
        head = Linear(dimension, classes, using: &generator)
        super.init()
    }

    public override func namedChildren() -> [(name: String, module: Module)] {
        [("patch_embed", patchEmbed)] + blocks.enumerated().map { ("blocks.\($0.offset)", $0.element) } + [("norm", norm), ("head", head)]
    }

    public var stagePaths: [String] { blocks.indices.map { "blocks.\($0)" } }

    public override func forward(_ input: Tensor) -> Tensor {
        let patches = patchEmbed(input)
        let batch = patches.shape[0]
        var x = concatenate([classToken.broadcast(to: [batch, 1, classToken.shape[2]]), patches], axis: 1) + positionEmbedding
        for block in blocks { x = block(x) }
        return head(norm(x).slice(axis: 1, start: 0, end: 1).squeezed(axis: 1))
    }
}

// MARK: Config name

extension VisionTransformer: ConfigurableModel {
    /// Square images the patch divides.
    public static var modelNames: [String] { ["vit"] }
    public static var configKeys: String { "patch, dimension, depth, heads, mlp_ratio" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "vit" else { return nil }
        let (section, shape) = (request.section, request.inputShape)
        let patch: Int = try section.value("patch", default: 4)
        guard shape.count == 3, shape[1] == shape[2], patch > 0, shape[1] % patch == 0 else {
            throw request.nameEntry.error("vit takes square images whose side the patch (\(patch)) divides; the data's samples are \(shape)")
        }
        let dimension: Int = try section.positiveValue("dimension", default: 192)
        let heads: Int = try section.positiveValue("heads", default: 3)
        guard dimension % heads == 0 else {
            throw (try section.optional("heads") ?? section).error("\(heads) heads do not divide the dimension \(dimension)")
        }
        let depth: Int = try section.positiveValue("depth", default: 6)
        let mlpRatio: Int = try section.positiveValue("mlp_ratio", default: 4)
        let tokens = (shape[1] / patch) * (shape[1] / patch)
        // Each block: the attention's query, key, value and output projections, the MLP's two
        // layers (biases and norms are a rounding error beside them).
        // Activations per block: about six token-by-dimension tensors (norms, projections,
        // residuals), the MLP's two wide ones, and the attention maps.
        try request.requireMemory(
            forParameterShapes: [
                [shape[0], patch, patch, dimension], [tokens + 1, dimension], [depth, 4, dimension, dimension],
                [depth, 2, mlpRatio, dimension, dimension], [dimension, request.classes],
            ],
            activationShapes: [[depth, 6, tokens + 1, dimension], [depth, 2, mlpRatio, tokens + 1, dimension], [depth, 2, heads, tokens + 1, tokens + 1]])
        return VisionTransformer(
            imageSize: shape[1], patch: patch, channels: shape[0], dimension: dimension, depth: depth,
            heads: heads, mlpRatio: mlpRatio, classes: request.classes, using: &generator)
    }
}
