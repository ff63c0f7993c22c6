import Tensors

/// What a graph network reads: every node's features, the graph's adjacency, and the nodes
/// whose outputs are wanted (a batch's nodes; the network computes over their
/// neighbourhoods, which may reach any node).
public struct GraphInputs {
    /// Every node's features `[N, F]`.
    public var features: Tensor
    /// The adjacency `[N, N]`, without self-loops (each layer adds what it needs).
    public var adjacency: SparseMatrix
    /// The nodes to score.
    public var nodes: [Int]

    public init(features: Tensor, adjacency: SparseMatrix, nodes: [Int]) {
        (self.features, self.adjacency, self.nodes) = (features, adjacency, nodes)
    }
}

/// A graph network's outputs: the class scores of the nodes asked for, in their order.
public struct NodeOutputs: NamedTensors {
    /// `[nodes, classes]`.
    public var logits: Tensor
    public init(logits: Tensor) { self.logits = logits }
    public var namedTensors: [(name: String, tensor: Tensor)] { [("logits", logits)] }
}

/// A network over a graph's nodes, scoring the nodes of its inputs.
public protocol GraphNetwork: TaskModel where Inputs == GraphInputs, Outputs == NodeOutputs {}

/// GCN (Kipf & Welling, 2017): graph convolutions with ReLU between them and dropout before
/// each, over `D̃^{-1/2}(A + I)D̃^{-1/2}`. Two layers of 16 hidden units with dropout 0.5
/// is the paper's model for the citation graphs. Parameters `convs.N.lin.weight`,
/// `convs.N.bias`, as PyTorch Geometric's `GCN` names them.
public final class GCN: Module, GraphNetwork {
    public let convs: [GraphConvolution]
    public let dropout: Dropout
    /// The last adjacency seen and its normalisation: full-batch training asks for the same
    /// graph every step.
    private var propagationCache: (adjacency: SparseMatrix, propagation: SparseMatrix)?

    /// `widths`: input features, hidden widths, classes (`[1433, 16, 7]`).
    public init(widths: [Int], dropout probability: Float = 0.5, using generator: inout RandomGenerator) {
        precondition(widths.count >= 2, "GCN: widths \(widths) need an input and an output size")
        convs = zip(widths, widths.dropFirst()).map { GraphConvolution($0, $1, using: &generator) }
        dropout = Dropout(probability: probability, using: &generator)
        super.init()
    }

    /// GCN's propagation matrix for `adjacency`.
    func propagation(for adjacency: SparseMatrix) -> SparseMatrix {
        if let cached = propagationCache, cached.adjacency == adjacency { return cached.propagation }
        let propagation = adjacency.gcnNormalized()
        propagationCache = (adjacency, propagation)
        return propagation
    }

    public func forward(_ inputs: GraphInputs) -> NodeOutputs {
        let propagation = propagation(for: inputs.adjacency)
        var hidden = inputs.features
        for (index, conv) in convs.enumerated() {
            hidden = conv(dropout(hidden), propagation: propagation)
            if index < convs.count - 1 { hidden = hidden.relu() }
        }
        return NodeOutputs(logits: hidden.indexSelect(axis: 0, indices: inputs.nodes))
    }
}
