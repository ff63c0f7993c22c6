import Foundation
import Tensors

/// The keys and values a GPT has computed for a sequence's earlier tokens, per layer, so
/// that decoding one more token attends to them without computing them again.
public final class KeyValueCache {
    /// Per layer: keys and values `[B, H, T, d]` of the tokens so far.
    var layers: [(keys: Tensor, values: Tensor)?]

    public init(layers: Int) { self.layers = Array(repeating: nil, count: layers) }

    /// How many tokens the cache holds.
    public var length: Int { layers.first??.keys.shape[2] ?? 0 }

    /// Keeps, for each sequence of the batch, the cached sequence `rows[i]` (beam search's
    /// beams after each step).
    public func reorder(_ rows: [Int]) {
        layers = layers.map { $0.map { ($0.keys.indexSelect(axis: 0, indices: rows), $0.values.indexSelect(axis: 0, indices: rows)) } }
    }
}

/// nanoGPT's causal self-attention: one fused projection `c_attn` to queries, keys and values,
/// each query attending to the keys at or before it, then `c_proj`, with dropout on the
/// attention weights and on the output. Parameters `c_attn.weight` `[3C, C]`, `c_proj.weight`
/// (and their biases when `bias`).
public final class CausalSelfAttention: Module {
    public let c_attn: Linear
    public let c_proj: Linear
    public let attn_dropout: Dropout
    public let resid_dropout: Dropout
    public let heads: Int

    public init(dimension: Int, heads: Int, bias: Bool = true, dropout: Float = 0, using generator: inout RandomGenerator) {
        precondition(dimension % heads == 0, "CausalSelfAttention: \(heads) heads do not divide dimension \(dimension)")
        c_attn = Linear(dimension, 3 * dimension, bias: bias, using: &generator)
        c_proj = Linear(dimension, dimension, bias: bias, using: &generator)
        attn_dropout = Dropout(probability: dropout, using: &generator)
        resid_dropout = Dropout(probability: dropout, using: &generator)
        self.heads = heads
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { attend(input, cache: nil, layer: 0) }

    /// The attention of `input` `[B, T, C]`; with `cache`, the tokens follow those the cache
    /// holds, whose keys and values at `layer` they attend to and then join.
    public func callAsFunction(_ input: Tensor, cache: KeyValueCache?, layer: Int) -> Tensor {
        recordingCall { attend(input, cache: cache, layer: layer) }
    }

    private func attend(_ input: Tensor, cache: KeyValueCache?, layer: Int) -> Tensor {
        precondition(input.rank == 3, "CausalSelfAttention: input \(input.shape) is not [B, T, C]")
        let (b, t, c) = (input.shape[0], input.shape[1], input.shape[2])
        // [B, T, 3, H, d] → [3, B, H, T, d]
        let projected = c_attn(input).reshaped([b, t, 3, heads, c / heads]).permuted([2, 0, 3, 1, 4])
        var (keys, values) = (projected[1], projected[2])
        if let cache {
            if let earlier = cache.layers[layer] {
                keys = concatenate([earlier.keys, keys], axis: 2)
                values = concatenate([earlier.values, values], axis: 2)
            }
            cache.layers[layer] = (keys.detached(), values.detached())
        }
        let attended = scaledDotProductAttention(projected[0], keys, values, mask: .causal, dropout: attn_dropout)
        return resid_dropout(c_proj(attended.permuted([0, 2, 1, 3]).reshaped([b, t, c])))
    }
}

/// nanoGPT's block MLP: `c_fc` to 4× the width, GELU, `c_proj` back, dropout.
public final class GPTMLP: Module {
    public let c_fc: Linear, c_proj: Linear
    public let dropout: Dropout

    public init(dimension: Int, bias: Bool = true, dropout probability: Float = 0, using generator: inout RandomGenerator) {
        c_fc = Linear(dimension, 4 * dimension, bias: bias, using: &generator)
        c_proj = Linear(4 * dimension, dimension, bias: bias, using: &generator)
        dropout = Dropout(probability: probability, using: &generator)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { dropout(c_proj(c_fc(input).gelu())) }
}

/// A pre-LayerNorm decoder block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class GPTBlock: Module {
    public let ln_1: LayerNorm, attn: CausalSelfAttention, ln_2: LayerNorm, mlp: GPTMLP

    public init(dimension: Int, heads: Int, bias: Bool = true, dropout: Float = 0, using generator: inout RandomGenerator) {
        ln_1 = LayerNorm([dimension], bias: bias)
        attn = CausalSelfAttention(dimension: dimension, heads: heads, bias: bias, dropout: dropout, using: &generator)
        ln_2 = LayerNorm([dimension], bias: bias)
        mlp = GPTMLP(dimension: dimension, bias: bias, dropout: dropout, using: &generator)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { callAsFunction(input, cache: nil, layer: 0) }

    public func callAsFunction(_ input: Tensor, cache: KeyValueCache?, layer: Int) -> Tensor {
        recordingCall {
            let x = input + attn(ln_1(input), cache: cache, layer: layer)
            return x + mlp(ln_2(x))
        }
    }
}

/// nanoGPT's `transformer` dictionary: token and position embeddings, dropout, the blocks
/// and the final LayerNorm.
public final class GPTTransformer: Module {
    public let wte: Embedding, wpe: Embedding
    public let drop: Dropout
    public let h: [GPTBlock]
    public let ln_f: LayerNorm

    init(_ configuration: GPT.Configuration, using generator: inout RandomGenerator) {
        let (width, bias, dropout) = (configuration.embedding, configuration.bias, configuration.dropout)
        wte = Embedding(configuration.vocabularySize, width, using: &generator)
        wpe = Embedding(configuration.contextLength, width, using: &generator)
        drop = Dropout(probability: dropout, using: &generator)
        h = (0..<configuration.layers).map { _ in GPTBlock(dimension: width, heads: configuration.heads, bias: bias, dropout: dropout, using: &generator) }
        ln_f = LayerNorm([width], bias: bias)
        super.init()
    }
}

/// What a language model reads: token ids `[B, T]` (as numbers).
public struct TokenInputs {
    public var tokens: Tensor
    public init(tokens: Tensor) { self.tokens = tokens }
}

/// A language model's outputs: the next-token scores at every position.
public struct LanguageModelOutputs: NamedTensors {
    /// `[B, T, V]`.
    public var logits: Tensor
    public init(logits: Tensor) { self.logits = logits }
    public var namedTensors: [(name: String, tensor: Tensor)] { [("logits", logits)] }
}

/// GPT (Radford et al., 2019) as nanoGPT builds it: token and position embeddings, pre-LayerNorm
/// causal blocks, a final LayerNorm, and the output head tied to the token embedding. The
/// state dict's names are nanoGPT's (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`,
/// …, `lm_head.weight`, the tied copy), so a nanoGPT checkpoint saved as safetensors loads.
/// Weights start as nanoGPT's: N(0, 0.02), the residual projections N(0, 0.02/√(2·layers)),
/// biases zero.
public final class GPT: Module, TaskModel {
    /// nanoGPT's `GPTConfig`.
    public struct Configuration: Equatable, Sendable {
        public var vocabularySize: Int
        /// The most tokens the model sees at once (`block_size`).
        public var contextLength: Int
        public var layers: Int
        public var heads: Int
        public var embedding: Int
        public var dropout: Float
        /// Biases in the linear layers and LayerNorms (nanoGPT's default: false).
        public var bias: Bool

        public init(vocabularySize: Int, contextLength: Int, layers: Int, heads: Int, embedding: Int, dropout: Float = 0, bias: Bool = false) {
            (self.vocabularySize, self.contextLength, self.layers, self.heads, self.embedding) = (vocabularySize, contextLength, layers, heads, embedding)
            (self.dropout, self.bias) = (dropout, bias)
        }
    }

    public let configuration: Configuration
    public let transformer: GPTTransformer

    public init(_ configuration: Configuration, using generator: inout RandomGenerator) {
        precondition(configuration.embedding % configuration.heads == 0 && configuration.layers >= 1 && configuration.contextLength >= 1,
                     "GPT: \(configuration) is not a model")
        self.configuration = configuration
        transformer = GPTTransformer(configuration, using: &generator)
        super.init()
        let residualScale = 0.02 / Float(2 * configuration.layers).squareRoot()
        for (path, parameter) in namedParameters() {
            let shape = parameter.wrappedValue.shape
            if path.hasSuffix(".bias") { parameter.assign(Tensor.zeros(shape)); continue }
            if path.hasPrefix("transformer.ln") || path.contains(".ln_") { continue }
            let scale: Float = path.hasSuffix("c_proj.weight") ? residualScale : 0.02
            parameter.assign(Tensor.normal(shape, using: &generator) * scale)
        }
    }

    /// The output head shares the token embedding (nanoGPT's weight tying): PyTorch's state
    /// dict lists it again as `lm_head.weight`.
    public override var tiedParameters: [String: String] { ["lm_head.weight": "transformer.wte.weight"] }

    public func forward(_ inputs: TokenInputs) -> LanguageModelOutputs {
        LanguageModelOutputs(logits: logits(inputs.tokens, cache: nil))
    }

    /// The next-token logits `[B, T, V]` of `tokens` `[B, T]`; with `cache`, the tokens
    /// follow those it holds (positions count on from its length), and join it.
    public func logits(_ tokens: Tensor, cache: KeyValueCache?) -> Tensor {
        matmul(hiddenStates(tokens, cache: cache), transformer.wte.weight, transposeB: true)
    }

    /// The final layer-normed states `[B, T, C]` the head reads, as `logits(_:cache:)` reads
    /// `tokens` (a trunk for a head of another kind: a sequence's score at its last position).
    public func hiddenStates(_ tokens: Tensor, cache: KeyValueCache?) -> Tensor {
        precondition(tokens.rank == 2, "GPT: tokens of shape \(tokens.shape) are not [B, T]")
        let start = cache?.length ?? 0
        let count = tokens.shape[1]
        precondition(start + count <= configuration.contextLength,
                     "GPT: \(start + count) positions exceed the context of \(configuration.contextLength)")
        let positions = Tensor((start..<(start + count)).map(Float.init), shape: [count])
        var x = transformer.drop(transformer.wte(tokens) + transformer.wpe(positions))
        for (layer, block) in transformer.h.enumerated() { x = block(x, cache: cache, layer: layer) }
        return transformer.ln_f(x)
    }
}

extension GPT: ConfigurableModel {
    /// Token windows `[T]` of a text data set: the context is the window, the vocabulary the
    /// data's class count.
    public static var modelNames: [String] { ["gpt"] }
    public static var configKeys: String {
        "layers (default 4), heads (default 4), embedding (default 128), dropout (default 0), bias (default false); nanoGPT's shakespeare-char at 6 × 6 × 384"
    }

    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "gpt" else { return nil }
        guard request.inputShape.count == 1, request.classes >= 1 else {
            throw request.nameEntry.error("gpt reads token windows [T] of a text data set (data: {dataset: tinyshakespeare} or a text_file); the data's samples are \(request.inputShape)")
        }
        let section = request.section
        let layers: Int = try section.value("layers", default: 4, in: 1...256)
        let heads: Int = try section.value("heads", default: 4, in: 1...1024)
        let headsNode = try section.optional("heads")
        let embedding: Int = try section.value("embedding", default: 128, in: 1...65_536)
        guard embedding % heads == 0 else {
            throw (headsNode ?? section).error("\(heads) heads do not divide the embedding of \(embedding)")
        }
        let dropout: Float = try section.value("dropout", default: 0, in: 0..<1)
        let bias: Bool = try section.value("bias", default: false)
        let (context, vocabulary) = (request.inputShape[0], request.classes)
        try request.requireMemory(
            forParameterShapes: [[vocabulary, embedding], [context, embedding]] + Array(repeating: [12 * embedding, embedding], count: layers),
            activationShapes: Array(repeating: [context, 16 * embedding], count: layers) + [[context, vocabulary]])
        return GPT(Configuration(vocabularySize: vocabulary, contextLength: context, layers: layers, heads: heads, embedding: embedding,
                                 dropout: dropout, bias: bias), using: &generator)
    }
}
