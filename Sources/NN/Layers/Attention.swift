import Foundation
import Tensors

/// Multi-head self-attention (Vaswani et al., 2017) over `[B, N, D]` tokens, with one fused
/// `qkv` projection and an output `proj` (the parameter names of timm's ViT):
/// `softmax(QKᵀ/√d)V` per head.
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

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 3, "MultiHeadSelfAttention: input \(input.shape) is not [B, N, D]")
        let (b, n, d) = (input.shape[0], input.shape[1], input.shape[2])
        let headSize = d / heads
        // [B, N, 3, H, d] → [3, B, H, N, d]
        let projected = qkv(input).reshaped([b, n, 3, heads, headSize]).permuted([2, 0, 3, 1, 4])
        let (q, k, v) = (projected[0], projected[1], projected[2])
        let scores = matmul(q, k, transposeB: true) * (1 / Float(headSize).squareRoot())
        let attended = matmul(scores.softmax(axis: -1), v)  // [B, H, N, d]
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

    public override func forward(_ input: Tensor) -> Tensor {
        let x = input + attn(norm1(input))
        return x + mlp(norm2(x))
    }
}
