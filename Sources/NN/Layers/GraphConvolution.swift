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

/// A graph attention layer (Veličković et al., 2018), as PyTorch Geometric's `GATConv`:
/// each head `h` transforms the features (`W x`), scores every edge `j → i` by
/// `LeakyReLU_{0.2}(a_dst·W x_i + a_src·W x_j)`, normalises the scores over `i`'s
/// neighbours (self-loops added) and sums the neighbours' transformed features by them. The
/// heads are concatenated (`[N, heads·out]`) or averaged (`[N, out]`). Parameters
/// `lin.weight` `[heads·out, in]`, `att_src` and `att_dst` `[1, heads, out]`, `bias`.
public final class GraphAttention: Module {
    public let lin: Linear
    @Parameter public var att_src: Tensor
    @Parameter public var att_dst: Tensor
    @Parameter public var bias: Tensor
    public let heads: Int
    public let outputFeatures: Int
    public let concatenates: Bool
    /// Dropout on the attention weights (GAT's 0.6 on the citation graphs).
    public let attentionDropout: Dropout

    public init(_ inputFeatures: Int, _ outputFeatures: Int, heads: Int = 1, concatenates: Bool = true, attentionDropout: Float = 0,
                using generator: inout RandomGenerator) {
        (self.heads, self.outputFeatures, self.concatenates) = (heads, outputFeatures, concatenates)
        lin = Linear(inputFeatures, heads * outputFeatures, bias: false, using: &generator)
        lin.weight = glorotUniform([heads * outputFeatures, inputFeatures], using: &generator)
        _att_src = Parameter(glorotUniform([heads, outputFeatures], using: &generator).reshaped([1, heads, outputFeatures]))
        _att_dst = Parameter(glorotUniform([heads, outputFeatures], using: &generator).reshaped([1, heads, outputFeatures]))
        _bias = Parameter(Tensor.zeros([concatenates ? heads * outputFeatures : outputFeatures]))
        self.attentionDropout = Dropout(probability: attentionDropout, using: &generator)
        super.init()
    }

    /// The layer on node features `[N, in]` over `structure`, the adjacency with self-loops
    /// (`SparseMatrix.addingSelfLoops()`; its values are not used).
    public func callAsFunction(_ features: Tensor, structure: SparseMatrix) -> Tensor {
        recordingCall {
            let nodes = features.shape[0]
            let transformed = lin(features).reshaped([nodes, heads, outputFeatures])
            // Each node's two scores per head: as the target (dst) and as the source (src).
            let asTarget = (transformed * att_dst).sum(axis: 2), asSource = (transformed * att_src).sum(axis: 2)
            let scores = (asTarget.indexSelect(axis: 0, indices: structure.entryRows) + asSource.indexSelect(axis: 0, indices: structure.columns))
                .leakyRelu(negativeSlope: 0.2)
            let weights = attentionDropout(edgeSoftmax(structure, scores))
            let mixed = matmul(structure, weights: weights, transformed)
            return (concatenates ? mixed.reshaped([nodes, heads * outputFeatures]) : mixed.mean(axis: 1)) + bias
        }
    }
}

/// GraphSAGE's mean aggregator (Hamilton et al., 2017), as PyTorch Geometric's `SAGEConv`:
/// `lin_l(mean of the neighbours' features) + lin_r(own features)`. Parameters
/// `lin_l.weight`, `lin_l.bias` and `lin_r.weight`.
public final class SAGEConvolution: Module {
    public let lin_l: Linear
    public let lin_r: Linear

    public init(_ inputFeatures: Int, _ outputFeatures: Int, using generator: inout RandomGenerator) {
        lin_l = Linear(inputFeatures, outputFeatures, using: &generator)
        lin_r = Linear(inputFeatures, outputFeatures, bias: false, using: &generator)
        super.init()
    }

    /// The layer over one `NeighbourBlock`: `features` are the block's sources' `[sources, in]`;
    /// the result is its targets' `[targets, out]` (the first rows of the sources).
    public func callAsFunction(_ features: Tensor, block: NeighbourBlock) -> Tensor {
        recordingCall {
            let targets = block.aggregation.rowCount
            let own = targets == features.shape[0] ? features : features.indexSelect(axis: 0, indices: Array(0..<targets))
            return lin_l(matmul(block.aggregation, features)) + lin_r(own)
        }
    }
}

/// The graph isomorphism network's layer (Xu et al., 2019), as PyTorch Geometric's
/// `GINConv`: `nn((1 + ε)·x_i + Σ_{j ∈ N(i)} x_j)`, a sum over the neighbours (as injective
/// on multisets as an MLP can make it) followed by an MLP. ε is fixed at 0 (the paper's
/// GIN-0, its best on most sets) and kept as the buffer `eps`; the MLP's parameters are
/// `nn.0.weight`, `nn.0.bias`, `nn.2.weight`, `nn.2.bias`.
public final class GINConvolution: Module {
    public let nn: Sequential
    @Buffer public var eps: Tensor

    /// The MLP `Linear(in, out) → ReLU → Linear(out, out)`.
    public init(_ inputFeatures: Int, _ outputFeatures: Int, using generator: inout RandomGenerator) {
        nn = Sequential(Linear(inputFeatures, outputFeatures, using: &generator), Activation(.relu),
                        Linear(outputFeatures, outputFeatures, using: &generator))
        _eps = Buffer(Tensor.zeros([1]), key: "eps")
        super.init()
    }

    /// The layer on node features `[N, in]` over `adjacency` `[N, N]`, whose row `i` names the
    /// nodes `i` sums (the graph's edges; directed edges carry messages one way only, as in
    /// a computation tree, whose nodes hear only from their children).
    public func callAsFunction(_ features: Tensor, adjacency: SparseMatrix) -> Tensor {
        recordingCall {
            let own = eps.scalars[0] == 0 ? features : features * (1 + eps.scalars[0])
            return nn(own + matmul(adjacency, features))
        }
    }
}
