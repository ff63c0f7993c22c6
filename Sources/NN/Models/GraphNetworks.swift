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
    private let propagation = GCNPropagation()

    /// `widths`: input features, hidden widths, classes (`[1433, 16, 7]`).
    public init(widths: [Int], dropout probability: Float = 0.5, using generator: inout RandomGenerator) {
        precondition(widths.count >= 2, "GCN: widths \(widths) need an input and an output size")
        convs = zip(widths, widths.dropFirst()).map { GraphConvolution($0, $1, using: &generator) }
        dropout = Dropout(probability: probability, using: &generator)
        super.init()
    }

    public func forward(_ inputs: GraphInputs) -> NodeOutputs {
        let propagation = propagation(inputs.adjacency)
        var hidden = inputs.features
        for (index, conv) in convs.enumerated() {
            hidden = conv(dropout(hidden), propagation: propagation)
            if index < convs.count - 1 { hidden = hidden.relu() }
        }
        return NodeOutputs(logits: hidden.indexSelect(axis: 0, indices: inputs.nodes))
    }
}

// MARK: Config names

extension GCN: ConfigurableModel {
    /// Node features `[F]` of a graph data set (`cora`, `citeseer`).
    public static var modelNames: [String] { ["gcn"] }
    public static var configKeys: String { "hidden (widths, default [16]), dropout (default 0.5)" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "gcn" else { return nil }
        let section = request.section
        try requireNodeFeatures(request)
        let hidden: [Int] = try section.values("hidden", default: [16])
        guard hidden.allSatisfy({ $0 > 0 }) else { throw section.error("hidden widths \(hidden) must be positive") }
        let dropout: Float = try section.value("dropout", default: 0.5, in: 0..<1)
        let widths = request.inputShape + hidden + [request.classes]
        try request.requireMemory(forParameterShapes: zip(widths, widths.dropFirst()).flatMap { [[$1, $0], [$1]] },
                                  activationShapes: widths.map { [2, $0] })
        return GCN(widths: widths, dropout: dropout, using: &generator)
    }
}

/// GCN's propagation matrix `D̃^{-1/2}(A + I)D̃^{-1/2}` of the last adjacency seen:
/// full-batch training asks for the same graph every step.
final class GCNPropagation {
    private var cached: (adjacency: SparseMatrix, propagation: SparseMatrix)?

    func callAsFunction(_ adjacency: SparseMatrix) -> SparseMatrix {
        if let cached, cached.adjacency == adjacency { return cached.propagation }
        let propagation = adjacency.gcnNormalized()
        cached = (adjacency, propagation)
        return propagation
    }
}

/// GAT (Veličković et al., 2018) for the citation graphs: dropout, a multi-head attention
/// layer with ELU, dropout, and an output attention layer whose heads are averaged; 8 heads
/// of 8 units, dropout 0.6 on features and attention, the paper's settings.
public final class GAT: Module, GraphNetwork {
    public let convs: [GraphAttention]
    public let dropout: Dropout
    private var structureCache: (adjacency: SparseMatrix, structure: SparseMatrix)?

    /// `inputFeatures → hidden × heads → classes` (one output head).
    public init(inputFeatures: Int, hidden: Int = 8, heads: Int = 8, classes: Int, dropout probability: Float = 0.6,
                using generator: inout RandomGenerator) {
        convs = [GraphAttention(inputFeatures, hidden, heads: heads, attentionDropout: probability, using: &generator),
                 GraphAttention(hidden * heads, classes, heads: 1, concatenates: false, attentionDropout: probability, using: &generator)]
        dropout = Dropout(probability: probability, using: &generator)
        super.init()
    }

    public func forward(_ inputs: GraphInputs) -> NodeOutputs {
        let structure: SparseMatrix
        if let cached = structureCache, cached.adjacency == inputs.adjacency {
            structure = cached.structure
        } else {
            structure = inputs.adjacency.addingSelfLoops()
            structureCache = (inputs.adjacency, structure)
        }
        let hidden = convs[0](dropout(inputs.features), structure: structure).elu()
        let logits = convs[1](dropout(hidden), structure: structure)
        return NodeOutputs(logits: logits.indexSelect(axis: 0, indices: inputs.nodes))
    }
}

extension GAT: ConfigurableModel {
    /// Node features `[F]` of a graph data set (`cora`, `citeseer`).
    public static var modelNames: [String] { ["gat"] }
    public static var configKeys: String { "hidden (per head, default 8), heads (default 8), dropout (default 0.6)" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "gat" else { return nil }
        let section = request.section
        try requireNodeFeatures(request)
        let hidden: Int = try section.value("hidden", default: 8, in: 1...4096)
        let heads: Int = try section.value("heads", default: 8, in: 1...64)
        let dropout: Float = try section.value("dropout", default: 0.6, in: 0..<1)
        let features = request.inputShape[0]
        try request.requireMemory(forParameterShapes: [[heads * hidden, features], [request.classes, heads * hidden]],
                                  activationShapes: [[2, heads * hidden]])
        return GAT(inputFeatures: features, hidden: hidden, heads: heads, classes: request.classes, dropout: dropout, using: &generator)
    }
}

/// Refuses data whose samples are not a graph's node features `[F]`, naming the model.
func requireNodeFeatures(_ request: ModelRequest) throws {
    guard request.inputShape.count == 1 else {
        throw request.nameEntry.error("\(request.name) takes node features [F] of a graph data set (cora, citeseer); the data's samples are \(request.inputShape)")
    }
}
