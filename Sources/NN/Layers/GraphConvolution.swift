import Tensors

/// A graph convolution (Kipf & Welling, 2017): `Â·X·Wᵀ + b`, the features of each node's
/// neighbourhood mixed by a fixed propagation matrix `Â` (GCN's
/// `D̃^{-1/2}(A + I)D̃^{-1/2}`, `SparseMatrix.gcnNormalized()`). Parameters are named as
/// PyTorch Geometric's `GCNConv` names them: `lin.weight` `[out, in]` and `bias`.
public final class GraphConvolution: Module {
    public let lin: Linear
    @Parameter public var bias: Tensor

    public init(_ inputFeatures: Int, _ outputFeatures: Int, using generator: inout RandomGenerator) {
        lin = Linear(inputFeatures, outputFeatures, bias: false, using: &generator)
        // GCNConv starts its weight Glorot-uniform and its bias at zero.
        lin.weight = glorotUniform([outputFeatures, inputFeatures], using: &generator)
        _bias = Parameter(Tensor.zeros([outputFeatures]))
        super.init()
    }

    /// The layer on node features `[N, in]` over the propagation matrix `[N, N]`.
    public func callAsFunction(_ features: Tensor, propagation: SparseMatrix) -> Tensor {
        // Transform first: the product with Â then runs over the narrower width.
        recordingCall { matmul(propagation, lin(features)) + bias }
    }
}
