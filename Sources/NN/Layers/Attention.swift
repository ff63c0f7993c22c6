import Foundation
import Tensors

/// Which keys each query may attend to: none (every key), causal (keys at or before the
/// query), padding (keys whose sequence position holds a token), or both.
public struct AttentionMask {
    /// Whether query `i` sees only keys `j ≤ i` (a decoder's mask).
    public var isCausal: Bool
    /// `[B, N]`: 1 where a key is a token, 0 where it is padding.
    public var keyPadding: Tensor?

    public init(isCausal: Bool = false, keyPadding: Tensor? = nil) {
        self.isCausal = isCausal
        self.keyPadding = keyPadding
    }

    /// Each query sees itself and the keys before it.
    public static let causal = AttentionMask(isCausal: true)

    /// Each query sees the keys that are tokens (`keep`: `[B, N]`, 1 for a token, 0 for padding).
    public static func padding(_ keep: Tensor) -> AttentionMask { AttentionMask(keyPadding: keep) }

    /// 1 where a query may attend to a key, broadcastable against scores `[B, H, Nq, Nk]`:
    /// `[1, 1, Nq, Nk]` for causal alone, `[B, 1, 1|Nq, Nk]` with padding. The queries are
    /// the last `queries` of the `keys` positions (all of them, unless earlier keys come from
    /// a cache), so causal query `i` sees keys `j ≤ keys − queries + i`.
    func allowed(batch: Int, queries: Int, keys: Int) -> Tensor? {
        var result: Tensor?
        if isCausal {
            let offset = keys - queries
            var lower = [Float](repeating: 0, count: queries * keys)
            for i in 0..<queries { for j in 0...(offset + i) { lower[i * keys + j] = 1 } }
            result = Tensor(lower, shape: [1, 1, queries, keys])
        }
        if let keyPadding {
            precondition(keyPadding.shape == [batch, keys],
                         "AttentionMask: key padding of shape \(keyPadding.shape) is not [B, N] = [\(batch), \(keys)]")
            let keep = keyPadding.reshaped([batch, 1, 1, keys]) .!= 0
            result = result.map { $0 * keep } ?? keep
        }
        return result
    }
}

/// `softmax(QKᵀ/√d)V` per head: queries `[B, H, Nq, d]`, keys and values `[B, H, Nk, d]`,
/// `mask` choosing the keys each query sees, `dropout` on the attention weights.
///
/// A masked key scores a large finite number below the rest rather than −∞ (or an additive
/// mask): a query whose keys are all masked then gets a uniform softmax instead of NaN
/// (0/0), and its gradient stays finite.
public func scaledDotProductAttention(_ queries: Tensor, _ keys: Tensor, _ values: Tensor, mask: AttentionMask?,
                                      dropout: Dropout? = nil) -> Tensor {
    let headSize = queries.shape[queries.rank - 1]
    var scores = matmul(queries, keys, transposeB: true) * (1 / Float(headSize).squareRoot())
    if let allowed = mask?.allowed(batch: queries.shape[0], queries: queries.shape[2], keys: keys.shape[2]) {
        scores = `where`(allowed, scores, Tensor(maskedAttentionScore))
    }
    let weights = scores.softmax(axis: -1)
    return matmul(dropout.map { $0(weights) } ?? weights, values)
}

/// The score a masked key gets before the softmax.
let maskedAttentionScore: Float = -1e9

/// Multi-head self-attention (Vaswani et al., 2017) over `[B, N, D]` tokens, with one fused
/// `qkv` projection and an output `proj` (the parameter names of timm's ViT):
/// `softmax(QKᵀ/√d)V` per head, optionally masked.
public final class MultiHeadSelfAttention: Module {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int

    public init(dimension: Int, heads: Int, using generator: inout RandomGenerator) {
        precondition(dimension % heads == 0, "MultiHeadSelfAttention: \(heads) heads do not divide dimension \(dimension)")
        qkv = Linear(dimension, 3 * dimension, using: &generator)
        proj = Linear(dimension, dimension, using: &generator)
        self.heads = heads
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { attend(input, mask: nil) }

    /// Attention with `mask` choosing which keys each query sees; recorded by feature taps
    /// as `attention(x)` is.
    public func callAsFunction(_ input: Tensor, mask: AttentionMask?) -> Tensor {
        recordingCall { attend(input, mask: mask) }
    }

    private func attend(_ input: Tensor, mask: AttentionMask?) -> Tensor {
        precondition(input.rank == 3, "MultiHeadSelfAttention: input \(input.shape) is not [B, N, D]")
        let (b, n, d) = (input.shape[0], input.shape[1], input.shape[2])
        let headSize = d / heads
        // [B, N, 3, H, d] → [3, B, H, N, d]
        let projected = qkv(input).reshaped([b, n, 3, heads, headSize]).permuted([2, 0, 3, 1, 4])
        let attended = scaledDotProductAttention(projected[0], projected[1], projected[2], mask: mask)  // [B, H, N, d]
        return proj(attended.permuted([0, 2, 1, 3]).reshaped([b, n, d]))
    }
}

/// The two-layer perceptron of a transformer block: `fc1 → GELU → fc2`.
public final class TransformerMLP: Module {
    public let fc1: Linear, fc2: Linear

    public init(dimension: Int, hidden: Int, using generator: inout RandomGenerator) {
        fc1 = Linear(dimension, hidden, using: &generator)
        fc2 = Linear(hidden, dimension, using: &generator)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { fc2(fc1(input).gelu()) }
}

/// A pre-norm transformer encoder block: `x + attn(norm1(x))`, then `x + mlp(norm2(x))`.
public final class TransformerBlock: Module {
    public let norm1: LayerNorm, attn: MultiHeadSelfAttention, norm2: LayerNorm, mlp: TransformerMLP

    public init(dimension: Int, heads: Int, mlpRatio: Int = 4, using generator: inout RandomGenerator) {
        norm1 = LayerNorm([dimension], epsilon: 1e-6)
        attn = MultiHeadSelfAttention(dimension: dimension, heads: heads, using: &generator)
        norm2 = LayerNorm([dimension], epsilon: 1e-6)
        mlp = TransformerMLP(dimension: dimension, hidden: dimension * mlpRatio, using: &generator)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { apply(input, mask: nil) }

    /// The block with its attention masked (causal for a decoder, padding for batches of
    /// unequal sequences).
    public func callAsFunction(_ input: Tensor, mask: AttentionMask?) -> Tensor {
        recordingCall { apply(input, mask: mask) }
    }

    private func apply(_ input: Tensor, mask: AttentionMask?) -> Tensor {
        let x = input + attn(norm1(input), mask: mask)
        return x + mlp(norm2(x))
    }
}
