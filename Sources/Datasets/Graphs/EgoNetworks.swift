import Tensors

/// A graph-classification set made from a node-classification graph, for graph methods that
/// need one when no such set ships: each labeled node's `hops`-hop ego-network (the
/// subgraph its neighbourhood induces) labelled by the node's class, with each node's kind a
/// cluster of its features (`featureClusters`), since graph-mining methods need discrete node
/// labels. Ego-networks of nearby nodes overlap, as molecules share fragments.
public struct EgoNetworkSet {
    /// Every ego-network, centre by centre.
    public let all: GraphClassificationSet
    /// The centre of each graph of `all`.
    public let centres: [Int]
    /// A split of `all`'s graphs (positions in `all`), drawn by the seed.
    public let trainGraphs: [Int], validationGraphs: [Int], testGraphs: [Int]

    public var train: GraphClassificationSet { all.subset(trainGraphs, name: "\(all.name) train") }
    public var validation: GraphClassificationSet { all.subset(validationGraphs, name: "\(all.name) validation") }
    public var test: GraphClassificationSet { all.subset(testGraphs, name: "\(all.name) test") }
}

extension NodeClassificationGraph {
    /// Spherical k-means of the features (cosine similarity, the rows scaled to unit length,
    /// centres seeded from `count` distinct nodes drawn by `seed`), run for `iterations`
    /// rounds: each node's cluster. A node with no features joins cluster 0.
    public func featureClusters(count: Int, iterations: Int = 30, seed: UInt64) throws -> [Int] {
        guard count >= 1 && count <= nodeCount else { throw DataError(name, "\(count) feature clusters for \(nodeCount) nodes (expected 1...\(nodeCount))") }
        let unit = Self.rowsScaledToUnitLength(features)
        var generator = RandomGenerator(seed: seed)
        var centres = unit.indexSelect(axis: 0, indices: Array(Tensor.permutation(nodeCount, using: &generator).integerScalars.prefix(count)))
        var assignment = [Int](repeating: 0, count: nodeCount)
        for _ in 0..<iterations {
            assignment = matmul(unit, centres.transposed()).argmax(axis: 1).integerScalars
            var sums = [Float](repeating: 0, count: count * featureCount)
            let rows = unit.scalars
            for (node, cluster) in assignment.enumerated() {
                for f in 0..<featureCount { sums[cluster * featureCount + f] += rows[node * featureCount + f] }
            }
            // An emptied cluster keeps its centre.
            let previous = centres.scalars
            for cluster in 0..<count where sums[(cluster * featureCount)..<((cluster + 1) * featureCount)].allSatisfy({ $0 == 0 }) {
                for f in 0..<featureCount { sums[cluster * featureCount + f] = previous[cluster * featureCount + f] }
            }
            centres = Self.rowsScaledToUnitLength(Tensor(sums, shape: [count, featureCount]))
        }
        return assignment
    }

    private static func rowsScaledToUnitLength(_ rows: Tensor) -> Tensor {
        let lengths = (rows * rows).sum(axis: 1, keepDims: true).sqrt()
        return rows / lengths.clamped(min: 1e-12)
    }

    /// Each labeled node's `hops`-hop ego-network as a graph of its class, nodes of kind
    /// `nodeKinds[node]` (one-hot features over `kindCount` kinds), split into train,
    /// validation and test graphs by the fractions given, drawn by `seed`.
    public func egoNetworks(hops: Int, nodeKinds: [Int], kindCount: Int, trainFraction: Double = 0.6, validationFraction: Double = 0.2,
                            seed: UInt64) throws -> EgoNetworkSet {
        guard hops >= 1 else { throw DataError(name, "ego-networks of \(hops) hops (expected at least 1)") }
        guard nodeKinds.count == nodeCount, nodeKinds.allSatisfy({ (0..<kindCount).contains($0) }) else {
            throw DataError(name, "node kinds must give each of \(nodeCount) nodes a kind in 0..<\(kindCount)")
        }
        guard trainFraction > 0, validationFraction >= 0, trainFraction + validationFraction < 1 else {
            throw DataError(name, "train and validation fractions \(trainFraction), \(validationFraction) leave no test graphs")
        }
        let centres = (0..<nodeCount).filter { labels[$0] >= 0 }
        var local = [Int](repeating: -1, count: nodeCount)
        let graphs = try centres.map { centre -> LabeledGraph in
            var members = [centre], frontier = [centre]
            local[centre] = 0
            for _ in 0..<hops {
                var next: [Int] = []
                for node in frontier {
                    for neighbour in adjacency.columns(inRow: node) where local[neighbour] < 0 {
                        local[neighbour] = members.count
                        members.append(neighbour)
                        next.append(neighbour)
                    }
                }
                frontier = next
            }
            var entries: [(row: Int, column: Int)] = []
            for (position, node) in members.enumerated() {
                for neighbour in adjacency.columns(inRow: node) where local[neighbour] >= 0 { entries.append((position, local[neighbour])) }
            }
            for node in members { local[node] = -1 }
            let induced = try SparseMatrix(rowCount: members.count, columnCount: members.count, entries: entries)
            return try LabeledGraph(nodeKinds: members.map { nodeKinds[$0] }, adjacency: induced, label: labels[centre])
        }
        let set = try GraphClassificationSet(name: "\(name) \(hops)-hop ego-networks", graphs: graphs,
                                             nodeFeatures: Tensor.eye(kindCount), classNames: (0..<classCount).map { "class \($0)" })
        var generator = RandomGenerator(seed: seed)
        let order = Tensor.permutation(graphs.count, using: &generator).integerScalars
        let trainCount = Int((Double(graphs.count) * trainFraction).rounded())
        let validationCount = Int((Double(graphs.count) * validationFraction).rounded())
        return EgoNetworkSet(all: set, centres: centres, trainGraphs: Array(order.prefix(trainCount)),
                             validationGraphs: Array(order.dropFirst(trainCount).prefix(validationCount)),
                             testGraphs: Array(order.dropFirst(trainCount + validationCount)))
    }
}
