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
        let hidden = try nodeNetworkHiddenWidths(request, default: [16])
        let dropout: Float = try section.value("dropout", default: 0.5, in: 0..<1)
        let widths = request.inputShape + hidden + [request.classes]
        try request.requireMemory(forParameterShapes: zip(widths, widths.dropFirst()).flatMap { [[$1, $0], [$1]] },
                                  activationShapes: widths.map { [2, $0] })
        return GCN(widths: widths, dropout: dropout, using: &generator)
    }
}

/// GraphSAGE (Hamilton et al., 2017) with the mean aggregator: `SAGEConvolution` layers with
/// ReLU and dropout between them, each over a `NeighbourBlock`. In training each layer
/// aggregates up to `fanouts[l]` sampled neighbours per node; in inference, every
/// neighbour. Only the batch's nodes and their neighbourhoods are computed, so inference
/// cost grows with the batch, not with the graph. Parameters `convs.N.lin_l.*`,
/// `convs.N.lin_r.weight`, as PyTorch Geometric's `GraphSAGE` names them.
public final class GraphSAGE: Module, GraphNetwork {
    public let convs: [SAGEConvolution]
    public let dropout: Dropout
    /// Neighbours sampled per node at each layer in training (input layer first); nil for all.
    public let fanouts: [Int]?
    private var generator: RandomGenerator

    /// `widths`: input features, hidden widths, classes (`[1433, 128, 7]`).
    public init(widths: [Int], fanouts: [Int]? = nil, dropout probability: Float = 0.5, using generator: inout RandomGenerator) {
        precondition(widths.count >= 2, "GraphSAGE: widths \(widths) need an input and an output size")
        precondition(fanouts.map { $0.count == widths.count - 1 && $0.allSatisfy { $0 > 0 } } ?? true,
                     "GraphSAGE: one positive fanout per layer")
        convs = zip(widths, widths.dropFirst()).map { SAGEConvolution($0, $1, using: &generator) }
        dropout = Dropout(probability: probability, using: &generator)
        self.fanouts = fanouts
        self.generator = generator.split()
        super.init()
    }

    public override var randomState: [UInt64]? {
        get { generator.state }
        set { if let newValue { generator = RandomGenerator(state: newValue) } }
    }

    public func forward(_ inputs: GraphInputs) -> NodeOutputs {
        // Blocks from the output layer back to the input: each layer's sources are the
        // previous layer's targets.
        var blocks: [NeighbourBlock] = []
        var targets = inputs.nodes
        for layer in convs.indices.reversed() {
            let fanout = isTraining ? fanouts?[layer] : nil
            let block = inputs.adjacency.neighbourBlock(for: targets, fanout: fanout, using: &generator)
            blocks.insert(block, at: 0)
            targets = block.sources
        }
        var hidden = inputs.features.indexSelect(axis: 0, indices: targets)
        for (index, (conv, block)) in zip(convs, blocks).enumerated() {
            hidden = conv(dropout(hidden), block: block)
            if index < convs.count - 1 { hidden = hidden.relu() }
        }
        return NodeOutputs(logits: hidden)
    }
}

/// APPNP (Gasteiger et al., 2019): an MLP predicts from each node's own features, then
/// personalized PageRank propagates the predictions, `Z ← (1 − α)·Â·Z + α·H` for `k`
/// steps from `Z = H`, over GCN's normalised adjacency. Parameters `lin1.*`, `lin2.*`, as
/// PyTorch Geometric's APPNP example names them; α 0.1 and k 10 are the paper's.
public final class APPNP: Module, GraphNetwork {
    public let lin1: Linear
    public let lin2: Linear
    public let dropout: Dropout
    public let alpha: Float
    public let steps: Int
    private let propagation = GCNPropagation()

    public init(features: Int, hidden: Int = 64, classes: Int, alpha: Float = 0.1, steps: Int = 10, dropout probability: Float = 0.5,
                using generator: inout RandomGenerator) {
        precondition((0...1).contains(alpha) && steps >= 0, "APPNP: alpha in [0, 1] and steps ≥ 0")
        lin1 = Linear(features, hidden, using: &generator)
        lin2 = Linear(hidden, classes, using: &generator)
        dropout = Dropout(probability: probability, using: &generator)
        (self.alpha, self.steps) = (alpha, steps)
        super.init()
    }

    public func forward(_ inputs: GraphInputs) -> NodeOutputs {
        let propagation = propagation(inputs.adjacency)
        let predictions = lin2(dropout(lin1(dropout(inputs.features)).relu()))
        var propagated = predictions
        for _ in 0..<steps { propagated = matmul(propagation, propagated) * (1 - alpha) + predictions * alpha }
        return NodeOutputs(logits: propagated.indexSelect(axis: 0, indices: inputs.nodes))
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

extension GraphSAGE: ConfigurableModel {
    /// Node features `[F]` of a graph data set (`cora`, `citeseer`).
    public static var modelNames: [String] { ["graphsage"] }
    public static var configKeys: String { "hidden (widths, default [128]), fanouts (per layer, default [5, 5]; [] for every neighbour), dropout (default 0.5)" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "graphsage" else { return nil }
        let section = request.section
        let hidden = try nodeNetworkHiddenWidths(request, default: [128])
        let fanouts: [Int] = try section.values("fanouts", default: Array(repeating: 5, count: hidden.count + 1))
        guard fanouts.isEmpty || (fanouts.count == hidden.count + 1 && fanouts.allSatisfy { $0 > 0 }) else {
            throw section.error("fanouts \(fanouts) must be \(hidden.count + 1) positive counts, one per layer, or [] for every neighbour")
        }
        let dropout: Float = try section.value("dropout", default: 0.5, in: 0..<1)
        let widths = request.inputShape + hidden + [request.classes]
        try request.requireMemory(forParameterShapes: zip(widths, widths.dropFirst()).flatMap { [[$1, $0], [$1], [$1, $0]] },
                                  activationShapes: widths.map { [2, $0] })
        return GraphSAGE(widths: widths, fanouts: fanouts.isEmpty ? nil : fanouts, dropout: dropout, using: &generator)
    }
}

extension APPNP: ConfigurableModel {
    /// Node features `[F]` of a graph data set (`cora`, `citeseer`).
    public static var modelNames: [String] { ["appnp"] }
    public static var configKeys: String { "hidden (default 64), alpha (teleport, default 0.1), steps (default 10), dropout (default 0.5)" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "appnp" else { return nil }
        let section = request.section
        try requireNodeFeatures(request)
        let hidden: Int = try section.value("hidden", default: 64, in: 1...65536)
        let alpha: Float = try section.value("alpha", default: 0.1, in: 0...1)
        let steps: Int = try section.value("steps", default: 10, in: 0...1000)
        let dropout: Float = try section.value("dropout", default: 0.5, in: 0..<1)
        let features = request.inputShape[0]
        try request.requireMemory(forParameterShapes: [[hidden, features], [hidden], [request.classes, hidden], [request.classes]],
                                  activationShapes: [[2, hidden]])
        return APPNP(features: features, hidden: hidden, classes: request.classes, alpha: alpha, steps: steps, dropout: dropout, using: &generator)
    }
}

/// The `hidden` widths of a node network's section (each positive), after checking that the
/// data are a graph's node features.
private func nodeNetworkHiddenWidths(_ request: ModelRequest, default defaultWidths: [Int]) throws -> [Int] {
    try requireNodeFeatures(request)
    let hidden: [Int] = try request.section.values("hidden", default: defaultWidths)
    guard hidden.allSatisfy({ $0 > 0 }) else { throw request.section.error("hidden widths \(hidden) must be positive") }
    return hidden
}

/// Refuses data whose samples are not a graph's node features `[F]`, naming the model.
func requireNodeFeatures(_ request: ModelRequest) throws {
    guard request.inputShape.count == 1 else {
        throw request.nameEntry.error("\(request.name) takes node features [F] of a graph data set (cora, citeseer); the data's samples are \(request.inputShape)")
    }
}
