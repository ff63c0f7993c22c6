import Configuration
import Datasets
import Distillation
import Tensors

/// The edges among a batch's nodes, as pairs of batch rows: what a loss over a graph's edges
/// sees of it in a batch (the whole graph in full-batch training).
struct BatchEdges {
    /// Each edge's source and destination row.
    let sources: [Int]
    let destinations: [Int]

    /// The edges of `graph` whose both ends are among `nodes` (row `r` is node `nodes[r]`),
    /// with a self-loop at every row when `selfLoops` (where the graph has none already).
    init(_ graph: SparseMatrix, nodes: [Int], selfLoops: Bool) {
        var row = [Int](repeating: -1, count: graph.rowCount)
        for (position, node) in nodes.enumerated() { row[node] = position }
        var (sources, destinations) = ([Int](), [Int]())
        for (source, node) in nodes.enumerated() {
            var looped = false
            for neighbour in graph.columns(inRow: node) where row[neighbour] >= 0 {
                sources.append(source)
                destinations.append(row[neighbour])
                looped = looped || neighbour == node
            }
            if selfLoops && !looped {
                sources.append(source)
                destinations.append(source)
            }
        }
        (self.sources, self.destinations) = (sources, destinations)
    }

    /// The batch's edges, or a failure naming the term that needs them.
    static func of(_ batch: DistillationBatch, selfLoops: Bool, term: String) -> BatchEdges {
        guard let graph = batch.graph, let nodes = batch.nodes else {
            preconditionFailure("\(term) needs a batch of graph nodes (the batch fields graph and node)")
        }
        return BatchEdges(graph, nodes: nodes, selfLoops: selfLoops)
    }
}

/// FF-G2M's low-frequency distillation (Wu et al., 2023): along every edge `(i, j)` of the
/// graph with self-loops, the student's prediction at node `i` learns the teacher's at its
/// neighbour `j`, `mean over edges of KL(p^T_j ‖ p^S_i)`: the smooth, neighbourhood-averaged
/// knowledge a GNN's aggregation carries (a self-loop alone is GLNN's term).
public struct LowFrequencyDistillation: LossTerm {
    public var name: String { "ffg2m_low" }
    public init() {}

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let edges = BatchEdges.of(batch, selfLoops: true, term: name)
        guard !edges.sources.isEmpty else { return Tensor(0) }
        let teacher = batch.requireTeacherLogits(name).detached()
        return distillationKLDivergence(studentLogits: batch.studentLogits.indexSelect(axis: 0, indices: edges.sources),
                                        teacherLogits: teacher.indexSelect(axis: 0, indices: edges.destinations), temperature: 1)
    }
}

/// FF-G2M's high-frequency distillation (Wu et al., 2023): along every edge `(i, j)` without
/// self-loops, the distribution `softmax(|z_i − z_j| / τ)` of the difference between the two
/// nodes' logits, `mean over edges of KL(teacher's ‖ student's)`: the sharp, local
/// differences between neighbours that a plain KL on each node's prediction loses.
public struct HighFrequencyDistillation: LossTerm {
    public let temperature: Float
    public var name: String { "ffg2m_high" }
    /// `temperature` τ: 1.5, the official value for a GCN teacher on Cora and Citeseer.
    public init(temperature: Float = 1.5) { self.temperature = temperature }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let edges = BatchEdges.of(batch, selfLoops: false, term: name)
        guard !edges.sources.isEmpty else { return Tensor(0) }
        func differences(_ logits: Tensor) -> Tensor {
            (logits.indexSelect(axis: 0, indices: edges.sources) - logits.indexSelect(axis: 0, indices: edges.destinations)).abs() / temperature
        }
        return distillationKLDivergence(studentLogits: differences(batch.studentLogits),
                                        teacherLogits: differences(batch.requireTeacherLogits(name).detached()), temperature: 1)
    }
}

// MARK: Config names

extension LowFrequencyDistillation: ConfigurableLossTerm {
    public static let configName = "ffg2m_low"
    public static let configKeys = ""
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        try requireGraphData(context, entry: entry, name: configName)
        return Self()
    }
}

extension HighFrequencyDistillation: ConfigurableLossTerm {
    public static let configName = "ffg2m_high"
    public static let configKeys = "temperature (τ, default 1.5)"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        try requireGraphData(context, entry: entry, name: configName)
        return Self(temperature: try entry.positiveValue("temperature", default: 1.5))
    }
}

/// Refuses a term over a graph's edges on data that is not a graph's nodes.
private func requireGraphData(_ context: LossContext, entry: any ConfigEntry, name: String) throws {
    guard context.sampleBatch.graph != nil, context.sampleBatch.node != nil else {
        throw entry.error("\(name) distills along a graph's edges: it takes a graph data set's nodes (cora, citeseer)")
    }
}
