import Tensors

/// One graph of a graph-classification set, with discrete node labels ("kinds": an atom's
/// element, a paper's topic cluster), each a row of the set's node-feature table.
public struct LabeledGraph: Equatable, Sendable {
    /// Each node's kind, a row of the set's `nodeFeatures`.
    public let nodeKinds: [Int]
    /// `[nodes, nodes]`: row `i` names the nodes `i` hears from (both directions for an
    /// undirected graph; child to parent only in a computation tree).
    public let adjacency: SparseMatrix
    /// The nodes whose embeddings the graph's readout pools: all of them for a whole graph,
    /// the roots for a union of computation trees.
    public let readoutNodes: [Int]
    /// The graph's class.
    public let label: Int

    /// Fails when the adjacency is not square over the nodes or a readout node is outside it or
    /// named twice.
    public init(nodeKinds: [Int], adjacency: SparseMatrix, readoutNodes: [Int]? = nil, label: Int) throws {
        guard adjacency.rowCount == nodeKinds.count, adjacency.columnCount == nodeKinds.count else {
            throw DataError("graph", "an adjacency of shape \(adjacency.shape) for \(nodeKinds.count) nodes")
        }
        let readoutNodes = readoutNodes ?? Array(nodeKinds.indices)
        if let node = readoutNodes.first(where: { !nodeKinds.indices.contains($0) }) {
            throw DataError("graph", "readout node \(node) is outside its \(nodeKinds.count) nodes")
        }
        guard Set(readoutNodes).count == readoutNodes.count else { throw DataError("graph", "a readout node is named twice") }
        (self.nodeKinds, self.adjacency, self.readoutNodes, self.label) = (nodeKinds, adjacency, readoutNodes, label)
    }

    public var nodeCount: Int { nodeKinds.count }
}

/// Graphs with a class each (graph classification), sharing a node-feature table. A batch is
/// the disjoint union of its graphs: `graph` its adjacency, `nodeFeatures` its nodes'
/// features, `readout` the nodes each sample pools; its `inputs` are each graph's mean
/// pooled node features (what a model blind to the structure sees).
public struct GraphClassificationSet: Dataset {
    public let name: String
    public let graphs: [LabeledGraph]
    /// `[kinds, F]`: the features of each node kind.
    public let nodeFeatures: Tensor
    public let classNames: [String]

    /// Fails naming the first graph whose node kind has no row in `nodeFeatures` or whose
    /// class is outside `classNames`.
    public init(name: String, graphs: [LabeledGraph], nodeFeatures: Tensor, classNames: [String]) throws {
        guard nodeFeatures.rank == 2 else { throw DataError(name, "node features of shape \(nodeFeatures.shape) are not a table [kinds, F]") }
        for (index, graph) in graphs.enumerated() {
            if let kind = graph.nodeKinds.first(where: { !(0..<nodeFeatures.shape[0]).contains($0) }) {
                throw DataError(name, "graph \(index) has node kind \(kind), outside the \(nodeFeatures.shape[0]) kinds of its feature table")
            }
            guard classNames.indices.contains(graph.label) else {
                throw DataError(name, "graph \(index) has class \(graph.label), outside its \(classNames.count) classes")
            }
        }
        (self.name, self.graphs, self.nodeFeatures, self.classNames) = (name, graphs, nodeFeatures, classNames)
    }

    public var count: Int { graphs.count }
    public var sampleShape: [Int] { [nodeFeatures.shape[1]] }

    public func batch(at indices: [Int]) -> Batch {
        let chosen = indices.map { graphs[$0] }
        let adjacency = SparseMatrix(blockDiagonal: chosen.map(\.adjacency))
        var (starts, total) = ([Int](), 0)
        for graph in chosen { starts.append(total); total += graph.nodeCount }
        let readout = try! SparseMatrix(rowCount: chosen.count, columnCount: total,
                                        entries: zip(chosen, starts).enumerated().flatMap { sample, pair in
                                            pair.0.readoutNodes.map { (sample, pair.1 + $0) }
                                        })
        let features = nodeFeatures.indexSelect(axis: 0, indices: chosen.flatMap(\.nodeKinds))
        let labels = Tensor(chosen.map { Float($0.label) }, shape: [chosen.count])
        return Batch(inputs: matmul(readout.rowNormalized(), features), labels: labels, graph: adjacency, nodeFeatures: features,
                     readout: readout)
    }

    /// The graphs at `indices`, in that order, as a set of their own.
    public func subset(_ indices: [Int], name: String? = nil) -> GraphClassificationSet {
        try! GraphClassificationSet(name: name ?? self.name, graphs: indices.map { graphs[$0] }, nodeFeatures: nodeFeatures, classNames: classNames)
    }

    /// The total number of nodes and of adjacency entries (an undirected edge counts twice):
    /// the storage a set's structure takes.
    public var size: (nodes: Int, entries: Int) {
        graphs.reduce((0, 0)) { ($0.0 + $1.nodeCount, $0.1 + $1.adjacency.entryCount) }
    }
}
