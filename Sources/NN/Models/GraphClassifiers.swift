import Tensors

/// What a graph classifier reads: the nodes of a batch of graphs as one disjoint union, and
/// which nodes each graph pools.
public struct GraphClassificationInputs {
    /// Every node's features `[N, F]`.
    public var features: Tensor
    /// The union's adjacency `[N, N]`: row `i` names the nodes `i` hears from.
    public var adjacency: SparseMatrix
    /// `[graphs, N]`: row `g` names the nodes graph `g` pools.
    public var readout: SparseMatrix

    public init(features: Tensor, adjacency: SparseMatrix, readout: SparseMatrix) {
        (self.features, self.adjacency, self.readout) = (features, adjacency, readout)
    }
}

/// A graph classifier's outputs: the class scores of each graph, in the readout's order.
public struct GraphOutputs: NamedTensors {
    /// `[graphs, classes]`.
    public var logits: Tensor
    public init(logits: Tensor) { self.logits = logits }
    public var namedTensors: [(name: String, tensor: Tensor)] { [("logits", logits)] }
}

/// A network that scores whole graphs.
public protocol GraphClassifier: TaskModel where Inputs == GraphClassificationInputs, Outputs == GraphOutputs {}

/// GIN (Xu et al., 2019) for graph classification, as PyTorch Geometric's GIN example builds
/// it: `layers` `GINConvolution`s of `hidden` units with ReLU after each, the readout's
/// pooling, then the head `Linear → ReLU → Dropout → Linear`. Parameters `convs.N.nn.*` and
/// `mlp.0.*`, `mlp.3.*`.
///
/// A node's embedding after `L` layers depends only on its depth-`L` computation tree, which
/// is what lets a model trained on Mirage's mined trees (pooling their roots) score whole
/// graphs.
public final class GIN: Module, GraphClassifier {
    public let convs: [GINConvolution]
    public let mlp: Sequential
    public let readout: GraphReadout

    public init(features: Int, hidden: Int = 64, classes: Int, layers: Int = 2, readout: GraphReadout = .sum, dropout: Float = 0.5,
                using generator: inout RandomGenerator) {
        precondition(layers >= 1 && hidden >= 1 && classes >= 1, "GIN: \(layers) layers of \(hidden) units for \(classes) classes")
        convs = (0..<layers).map { GINConvolution($0 == 0 ? features : hidden, hidden, using: &generator) }
        mlp = Sequential(Linear(hidden, hidden, using: &generator), Activation(.relu), Dropout(probability: dropout, using: &generator),
                         Linear(hidden, classes, using: &generator))
        self.readout = readout
        super.init()
    }

    public func forward(_ inputs: GraphClassificationInputs) -> GraphOutputs {
        var hidden = inputs.features
        for conv in convs { hidden = conv(hidden, adjacency: inputs.adjacency).relu() }
        return GraphOutputs(logits: mlp(readout(hidden, readout: inputs.readout)))
    }
}
