import Tensors

/// GLNN's production setting (Zhang et al., 2022): part of the test nodes is held out of the
/// graph with every edge that touches it, as nodes that arrive after training; models train
/// on the rest (the observed graph) and are scored on the held-out nodes within the whole
/// graph, where a GNN may read their neighbourhoods and an MLP only their features.
public struct InductiveSplit {
    /// The graph without the held-out nodes and their edges, renumbered; its splits are the
    /// original ones less the held-out nodes (`testNodes`: the observed test nodes, the
    /// transductive part).
    public let observed: NodeClassificationGraph
    /// Each observed node's number in the whole graph.
    public let observedNodes: [Int]
    /// The whole graph (its test split: the held-out nodes).
    public let whole: NodeClassificationGraph
    /// The held-out test nodes, numbered in the whole graph.
    public var heldOutNodes: [Int] { whole.testNodes }
}

extension NodeClassificationGraph {
    /// Holds out `fraction` of the test nodes (chosen by `seed`), as GLNN's production
    /// setting does with 20%.
    public func inductiveSplit(fraction: Double = 0.2, seed: UInt64) throws -> InductiveSplit {
        guard fraction > 0 && fraction < 1 else { throw DataError(name, "the held-out fraction \(fraction) is not in (0, 1)") }
        var generator = RandomGenerator(seed: seed)
        var shuffled = testNodes
        for index in shuffled.indices.dropLast() {
            shuffled.swapAt(index, index + Int(generator.next() % UInt64(shuffled.count - index)))
        }
        let heldOutCount = max(1, min(testNodes.count - 1, Int((Double(testNodes.count) * fraction).rounded())))
        let heldOut = Set(shuffled.prefix(heldOutCount))
        let observedNodes = (0..<nodeCount).filter { !heldOut.contains($0) }
        var renumbered = [Int](repeating: -1, count: nodeCount)
        for (position, node) in observedNodes.enumerated() { renumbered[node] = position }
        var entries: [(row: Int, column: Int)] = [], values: [Float] = []
        for node in observedNodes {
            for entry in adjacency.rowOffsets[node]..<adjacency.rowOffsets[node + 1] where renumbered[adjacency.columns[entry]] >= 0 {
                entries.append((renumbered[node], renumbered[adjacency.columns[entry]]))
                values.append(adjacency.values[entry])
            }
        }
        let observedAdjacency = try SparseMatrix(rowCount: observedNodes.count, columnCount: observedNodes.count, entries: entries, values: values)
        func mapped(_ nodes: [Int]) -> [Int] { nodes.filter { !heldOut.contains($0) }.map { renumbered[$0] } }
        let observed = try NodeClassificationGraph(
            name: "\(name) (observed)", adjacency: observedAdjacency, features: features.indexSelect(axis: 0, indices: observedNodes),
            labels: observedNodes.map { labels[$0] }, classCount: classCount,
            trainNodes: mapped(trainNodes), validationNodes: mapped(validationNodes), testNodes: mapped(testNodes))
        let whole = try NodeClassificationGraph(name: name, adjacency: adjacency, features: features, labels: labels, classCount: classCount,
                                                trainNodes: trainNodes, validationNodes: validationNodes, testNodes: heldOut.sorted())
        return InductiveSplit(observed: observed, observedNodes: observedNodes, whole: whole)
    }
}
