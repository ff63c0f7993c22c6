import Tensors

/// How a graph network pools its node embeddings into one per graph (PyTorch Geometric's
/// `global_add_pool`, `global_mean_pool`, `global_max_pool`), over a readout matrix whose row
/// `g` names the nodes graph `g` pools. Differentiable in the embeddings.
public enum GraphReadout: String, CaseIterable, Sendable {
    /// The sum: GIN's choice, which keeps a multiset's size.
    case sum
    /// The mean: the same scale whatever the graph's size.
    case mean
    /// The elementwise maximum.
    case max

    /// The pooled embeddings `[graphs, F]` of `embeddings` `[nodes, F]`; a graph that pools
    /// no node gets zeros.
    public func callAsFunction(_ embeddings: Tensor, readout: SparseMatrix) -> Tensor {
        switch self {
        case .sum: matmul(readout.replacingValues([Float](repeating: 1, count: readout.entryCount)), embeddings)
        case .mean: matmul(readout.replacingValues([Float](repeating: 1, count: readout.entryCount)).rowNormalized(), embeddings)
        case .max: neighbourMax(readout, embeddings)
        }
    }
}
