import Configuration
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

// MARK: Config names

extension GIN: ConfigurableModel {
    /// Node features `[F]` of a graph-classification set (`data: {ego_networks: …}`).
    public static var modelNames: [String] { ["gin"] }
    public static var configKeys: String { "hidden (default 64), layers (default 2), readout (sum, mean or max; default sum), dropout (default 0.5)" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "gin" else { return nil }
        guard request.inputShape.count == 1 else {
            throw request.nameEntry.error("gin takes the node features [F] of a graph-classification set (data: {ego_networks: …}); the data's samples are \(request.inputShape)")
        }
        let section = request.section
        let hidden: Int = try section.value("hidden", default: 64, in: 1...65_536)
        let layers: Int = try section.value("layers", default: 2, in: 1...16)
        let readout = GraphReadout(rawValue: try section.choice("readout", from: GraphReadout.allCases.map(\.rawValue), default: "sum"))!
        let dropout: Float = try section.value("dropout", default: 0.5, in: 0..<1)
        let features = request.inputShape[0]
        try request.requireMemory(forParameterShapes: [[hidden, features], [hidden, hidden], [request.classes, hidden]],
                                  activationShapes: [[2, hidden]])
        return GIN(features: features, hidden: hidden, classes: request.classes, layers: layers, readout: readout, dropout: dropout,
                   using: &generator)
    }
}
