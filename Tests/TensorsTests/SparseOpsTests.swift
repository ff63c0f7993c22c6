import Tensors
import XCTest

/// The graph operations against their dense equivalents, and their gradients against
/// finite differences.
final class SparseOpsTests: XCTestCase {
    /// A directed graph of 5 nodes with an empty row (node 3), a self-loop (node 4), and
    /// values that are not all 1.
    private let graph = try! SparseMatrix(rowCount: 5, columnCount: 5,
                                         entries: [(0, 1), (0, 2), (1, 0), (2, 0), (2, 1), (2, 4), (4, 4), (4, 0)],
                                         values: [1, 0.5, 2, 1, 1, 3, 1, 0.25])

    private func dense(_ matrix: SparseMatrix) -> [[Float]] {
        let values = matrix.dense().scalars
        return (0..<matrix.rowCount).map { Array(values[($0 * matrix.columnCount)..<(($0 + 1) * matrix.columnCount)]) }
    }

    func testProductEqualsTheDenseProductAndDifferentiatesTheDenseSide() {
        let x = awayFromZero([5, 3], seed: 1)
        assertClose(matmul(graph, x), matmul(graph.dense(), x), tolerance: 1e-6, "A·X")
        assertGradients(at: [x], "A·X to X") { matmul(self.graph, $0[0]) }
        // A rectangular matrix: [2, 5] × [5, 3].
        let wide = try! SparseMatrix(rowCount: 2, columnCount: 5, entries: [(0, 4), (1, 0), (1, 3)], values: [2, -1, 0.5])
        assertClose(matmul(wide, x), matmul(wide.dense(), x), tolerance: 1e-6, "rectangular")
        assertGradients(at: [x], "rectangular to X") { matmul(wide, $0[0]) }
    }

    func testWeightedProductDifferentiatesWeightsAndDenseSidePerHead() {
        let x = awayFromZero([5, 4], seed: 2)
        let weights = awayFromZero([graph.entryCount], seed: 3)
        let reweighted = graph.replacingValues(weights.scalars)
        assertClose(matmul(graph, weights: weights, x), matmul(reweighted.dense(), x), tolerance: 1e-6, "one head")
        assertGradients(at: [weights, x], "one head") { matmul(self.graph, weights: $0[0], $0[1]) }

        // Two heads: each head's weights apply to its own slice of the features.
        let headed = awayFromZero([5, 2, 3], seed: 4)
        let headWeights = awayFromZero([graph.entryCount, 2], seed: 5)
        let output = matmul(graph, weights: headWeights, headed)
        XCTAssertEqual(output.shape, [5, 2, 3])
        for head in 0..<2 {
            let weightsOfHead = (0..<graph.entryCount).map { headWeights.scalars[$0 * 2 + head] }
            let slice = headed.slice(axis: 1, start: head, end: head + 1).reshaped([5, 3])
            let expected = matmul(graph.replacingValues(weightsOfHead).dense(), slice)
            assertClose(output.slice(axis: 1, start: head, end: head + 1).reshaped([5, 3]), expected, tolerance: 1e-6, "head \(head)")
        }
        assertGradients(at: [headWeights, headed], "two heads") { matmul(self.graph, weights: $0[0], $0[1]) }
    }

    func testNormalizationsMatchTheirFormulas() {
        let transposed = graph.transposedWithOrder()
        XCTAssertEqual(transposed.matrix.dense().scalars, graph.dense().transposed().scalars)
        XCTAssertEqual(transposed.order.map { graph.values[$0] }, transposed.matrix.values)

        // Self-loops: added where missing, node 4's own kept at its value.
        let looped = graph.addingSelfLoops()
        var expected = dense(graph)
        for node in 0..<4 { expected[node][node] = 1 }
        XCTAssertEqual(dense(looped), expected)

        // GCN: D^{-1/2}(A + I)D^{-1/2} with D the row sums of A + I.
        let sums = expected.map { $0.reduce(0, +) }
        let gcn = dense(graph.gcnNormalized())
        for i in 0..<5 {
            for j in 0..<5 {
                XCTAssertEqual(gcn[i][j], expected[i][j] / (sums[i] * sums[j]).squareRoot(), accuracy: 1e-6, "(\(i), \(j))")
            }
        }
        // Row-normalised: each non-empty row sums to 1, the empty one stays empty.
        XCTAssertEqual(graph.rowNormalized().rowSums.map { ($0 * 1e5).rounded() / 1e5 }, [1, 1, 1, 0, 1])
    }

    func testEdgeSoftmaxNormalisesEachRowPerHeadAndDifferentiates() {
        let scores = awayFromZero([graph.entryCount, 3], seed: 6)
        let weights = edgeSoftmax(graph, scores)
        for head in 0..<3 {
            let perHead = graph.replacingValues((0..<graph.entryCount).map { weights.scalars[$0 * 3 + head] })
            XCTAssertEqual(perHead.rowSums.map { ($0 * 1e5).rounded() / 1e5 }, [1, 1, 1, 0, 1], "head \(head)")
            // Within a row, the weights are the softmax of the scores.
            let row2 = Array(graph.rowOffsets[2]..<graph.rowOffsets[3])
            let exponentials = row2.map { exp(scores.scalars[$0 * 3 + head]) }
            let total = exponentials.reduce(0, +)
            assertClose(Tensor(row2.map { weights.scalars[$0 * 3 + head] }), Tensor(exponentials.map { $0 / total }), tolerance: 1e-6, "row 2")
        }
        assertGradients(at: [scores], "edge softmax") { edgeSoftmax(self.graph, $0[0]) }
        assertGradients(at: [awayFromZero([graph.entryCount], seed: 7)], "one head") { edgeSoftmax(self.graph, $0[0]) }
    }

    func testNeighbourMaxTakesEachFeaturesLargestNeighbourAndRoutesItsGradient() {
        let x = distinctValues([5, 3], seed: 8)
        let maxima = neighbourMax(graph, x)
        let values = x.scalars
        for row in 0..<5 {
            let neighbours = Array(graph.columns(inRow: row))
            for f in 0..<3 {
                let expected = neighbours.isEmpty ? 0 : neighbours.map { values[$0 * 3 + f] }.max()!
                XCTAssertEqual(maxima.scalars[row * 3 + f], expected, "(\(row), \(f))")
            }
        }
        assertGradients(at: [x], "neighbour max") { neighbourMax(self.graph, $0[0]) }
    }

    /// GraphSAGE's blocks: every neighbour's mean without a fanout; with one, a uniform sample
    /// of at most that many, with the targets first among the sources.
    func testNeighbourBlocksAggregateTheMeanOfAllOrOfAUniformSampleOfNeighbours() {
        var generator = RandomGenerator(seed: 1)
        let full = graph.neighbourBlock(for: [2, 0], fanout: nil, using: &generator)
        XCTAssertEqual(full.sources, [2, 0, 1, 4])
        // Row 0 is node 2 (neighbours 0, 1, 4), row 1 node 0 (neighbours 1, 2): means, as columns into the sources.
        XCTAssertEqual(dense(full.aggregation), [[0, 1.0 / 3, 1.0 / 3, 1.0 / 3], [0.5, 0, 0.5, 0]])
        let empty = graph.neighbourBlock(for: [3], fanout: 2, using: &generator)
        XCTAssertEqual(empty.sources, [3])
        XCTAssertEqual(empty.aggregation.entryCount, 0, "a node without neighbours aggregates nothing")

        var counts = [0: 0, 1: 0, 4: 0]
        for _ in 0..<3000 {
            let block = graph.neighbourBlock(for: [2], fanout: 2, using: &generator)
            XCTAssertEqual(block.aggregation.entryCount, 2)
            XCTAssertEqual(block.aggregation.values, [0.5, 0.5])
            for column in block.aggregation.columns { counts[block.sources[column]]! += 1 }
        }
        for (neighbour, count) in counts { XCTAssertEqual(Double(count) / 3000, 2.0 / 3, accuracy: 0.04, "neighbour \(neighbour)") }
    }
}
