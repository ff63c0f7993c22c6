/// GraphSAGE's neighbour sampling (Hamilton et al., 2017): the block of one layer's
/// aggregation for a set of target nodes.
public struct NeighbourBlock: Equatable, Sendable {
    /// Row `r` holds target `targets[r]`'s sampled neighbours, each weighted `1/count` (their
    /// mean), as columns into `sources`. Shape `[targets, sources]`.
    public let aggregation: SparseMatrix
    /// The nodes whose features the layer reads: the targets first, in their order (so a
    /// layer finds each target's own features in the first rows), then the neighbours that
    /// are not targets, in the order first met.
    public let sources: [Int]
}

extension SparseMatrix {
    /// The mean-aggregation block for `targets`: up to `fanout` neighbours of each target,
    /// drawn uniformly without replacement (every neighbour when `fanout` is nil or at least
    /// the target's degree), as a row-normalised `[targets, sources]` matrix.
    public func neighbourBlock(for targets: [Int], fanout: Int?, using generator: inout RandomGenerator) -> NeighbourBlock {
        precondition(fanout.map { $0 > 0 } ?? true, "neighbourBlock: fanout \(fanout!) must be positive")
        var position: [Int: Int] = [:]
        var sources: [Int] = []
        for node in targets {
            position[node] = sources.count
            sources.append(node)
        }
        precondition(position.count == targets.count, "neighbourBlock: the targets repeat a node")
        var (offsets, blockColumns, blockValues) = ([0], [Int](), [Float]())
        for node in targets {
            var neighbours = Array(columns(inRow: node))
            if let fanout, neighbours.count > fanout {
                // A partial Fisher–Yates shuffle: the first `fanout` are a uniform sample.
                for index in 0..<fanout { neighbours.swapAt(index, index + Int(generator.next() % UInt64(neighbours.count - index))) }
                neighbours.removeLast(neighbours.count - fanout)
                neighbours.sort()
            }
            for neighbour in neighbours {
                if position[neighbour] == nil {
                    position[neighbour] = sources.count
                    sources.append(neighbour)
                }
                blockColumns.append(position[neighbour]!)
                blockValues.append(1 / Float(neighbours.count))
            }
            offsets.append(blockColumns.count)
        }
        // Columns within a row are distinct but not sorted by position; the checked initialiser sorts them.
        let aggregation = try! SparseMatrix(unsortedRowCount: targets.count, columnCount: sources.count, rowOffsets: offsets,
                                            columns: blockColumns, values: blockValues)
        return NeighbourBlock(aggregation: aggregation, sources: sources)
    }
}
