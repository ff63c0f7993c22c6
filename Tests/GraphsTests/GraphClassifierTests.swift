import Datasets
import Graphs
import NN
import Tensors
import Training
import XCTest

/// GIN's layer, the readouts and the model; batches of whole graphs.
final class GraphClassifierTests: XCTestCase {
    private let ring = ringWithChord

    func testGINConvolutionMatchesItsFormulaAndFiniteDifferences() {
        var generator = RandomGenerator(seed: 1)
        let layer = GINConvolution(4, 3, using: &generator)
        XCTAssertEqual(layer.namedParameters().map(\.path).sorted(), ["nn.0.bias", "nn.0.weight", "nn.2.bias", "nn.2.weight"])
        XCTAssertEqual(layer.namedBuffers().map(\.path), ["eps"])
        let x = Tensor.normal([6, 4], using: &generator)
        // nn(x + A·x) against the dense product, on a directed graph too.
        let directed = try! SparseMatrix(rowCount: 6, columnCount: 6, entries: [(0, 1), (0, 2), (1, 3), (1, 4), (2, 5)])
        for adjacency in [ring, directed] {
            let expected = layer.nn(x + matmul(adjacency.dense(), x))
            XCTAssertEqual(layer(x, adjacency: adjacency).scalars.map { ($0 * 1e4).rounded() }, expected.scalars.map { ($0 * 1e4).rounded() })
        }
        let parameters = layer.checkParameterGradients { layer(x, adjacency: self.ring).sin().sum() }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { layer($0[0], adjacency: self.ring) }, at: [x])
        XCTAssert(inputs.passed, "features: \(inputs)")
    }

    func testReadoutsPoolTheNodesEachGraphNamesAndPassGradientChecks() {
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.normal([6, 3], using: &generator)
        let readout = try! SparseMatrix(rowCount: 3, columnCount: 6, entries: [(0, 0), (0, 1), (0, 2), (1, 4), (1, 5)])
        let rows = x.scalars
        func column(_ nodes: [Int], _ f: Int) -> [Float] { nodes.map { rows[$0 * 3 + f] } }
        for (pooling, combine) in [(GraphReadout.sum, { (v: [Float]) in v.reduce(0, +) }), (.mean, { $0.reduce(0, +) / Float($0.count) }), (.max, { $0.max()! })] {
            let pooled = pooling(x, readout: readout)
            XCTAssertEqual(pooled.shape, [3, 3])
            for (graph, nodes) in [[0, 1, 2], [4, 5]].enumerated() {
                for f in 0..<3 { XCTAssertEqual(pooled.scalars[graph * 3 + f], combine(column(nodes, f)), accuracy: 1e-5, "\(pooling) graph \(graph)") }
            }
            XCTAssertEqual(Array(pooled.scalars[6..<9]), [0, 0, 0], "\(pooling): a graph that pools nothing gets zeros")
            let check = checkGradients(of: { pooling($0[0], readout: readout) }, at: [x])
            XCTAssert(check.passed, "\(pooling): \(check)")
        }
    }

    private func smallSet() throws -> GraphClassificationSet {
        let path = try SparseMatrix(rowCount: 3, columnCount: 3, entries: [(0, 1), (1, 0), (1, 2), (2, 1)])
        let triangle = try SparseMatrix(rowCount: 3, columnCount: 3, entries: [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)])
        let star = try SparseMatrix(rowCount: 4, columnCount: 4, entries: [(0, 1), (1, 0), (0, 2), (2, 0), (0, 3), (3, 0)])
        return try GraphClassificationSet(
            name: "shapes",
            graphs: [try LabeledGraph(nodeKinds: [0, 1, 0], adjacency: path, label: 0), try LabeledGraph(nodeKinds: [1, 1, 1], adjacency: triangle, label: 1),
                     try LabeledGraph(nodeKinds: [2, 0, 0, 1], adjacency: star, readoutNodes: [0], label: 1)],
            nodeFeatures: Tensor.eye(3), classNames: ["open", "closed"])
    }

    /// A batch is the disjoint union of its graphs; GIN scores each graph of a batch as it
    /// scores it alone, and reads a batch's fields or says which are missing.
    func testGINScoresEachGraphOfABatchAsAlone() throws {
        let set = try smallSet()
        let batch = set.batch(at: [2, 0])
        XCTAssertEqual(batch.graph?.shape, [7, 7])
        XCTAssertEqual(batch.readout.map { Array($0.columns) }, [0, 4, 5, 6], "the star pools its centre; the path every node")
        XCTAssertEqual(batch.labels?.scalars, [1, 0])
        XCTAssertEqual(batch.inputs.scalars, [0, 0, 1, 2 / 3, 1 / 3, 0], "the inputs are the pooled nodes' mean features")
        XCTAssertEqual(batch.selecting(rows: [1]).readout.map { Array($0.columns) }, [4, 5, 6])

        var generator = RandomGenerator(seed: 3)
        for readout in GraphReadout.allCases {
            let model = GIN(features: 3, hidden: 8, classes: 2, layers: 2, readout: readout, using: &generator)
            model.eval()
            let together = try model.outputs(for: batch).logits!
            let alone = try concatenate([model.outputs(for: set.batch(at: [2])).logits!, model.outputs(for: set.batch(at: [0])).logits!])
            XCTAssertEqual(together.scalars.map { ($0 * 1e4).rounded() }, alone.scalars.map { ($0 * 1e4).rounded() }, "\(readout)")
        }
        var generator2 = RandomGenerator(seed: 4)
        let model = GIN(features: 3, hidden: 8, classes: 2, using: &generator2)
        XCTAssertEqual(model.namedParameters().map(\.path).sorted(),
                       ["convs.0.nn.0.bias", "convs.0.nn.0.weight", "convs.0.nn.2.bias", "convs.0.nn.2.weight",
                        "convs.1.nn.0.bias", "convs.1.nn.0.weight", "convs.1.nn.2.bias", "convs.1.nn.2.weight",
                        "mlp.0.bias", "mlp.0.weight", "mlp.3.bias", "mlp.3.weight"])
        var stripped = batch
        stripped.readout = nil
        XCTAssertThrowsError(try model.outputs(for: stripped)) { error in
            XCTAssertTrue("\(error)".contains("needs a batch of whole graphs"), "\(error)")
        }
    }

    func testBadGraphsAndReadoutsAreRefusedInOneLine() throws {
        let pair = try SparseMatrix(rowCount: 2, columnCount: 2, entries: [(0, 1), (1, 0)])
        XCTAssertThrowsError(try LabeledGraph(nodeKinds: [0, 0, 0], adjacency: pair, label: 0)) { XCTAssertTrue("\($0)".contains("shape [2, 2] for 3 nodes"), "\($0)") }
        XCTAssertThrowsError(try LabeledGraph(nodeKinds: [0, 0], adjacency: pair, readoutNodes: [2], label: 0)) { XCTAssertTrue("\($0)".contains("readout node 2"), "\($0)") }
        XCTAssertThrowsError(try LabeledGraph(nodeKinds: [0, 0], adjacency: pair, readoutNodes: [1, 1], label: 0)) { XCTAssertTrue("\($0)".contains("twice"), "\($0)") }
        let graph = try LabeledGraph(nodeKinds: [0, 3], adjacency: pair, label: 0)
        XCTAssertThrowsError(try GraphClassificationSet(name: "g", graphs: [graph], nodeFeatures: Tensor.eye(3), classNames: ["a"])) {
            XCTAssertTrue("\($0)".contains("graph 0 has node kind 3, outside the 3 kinds"), "\($0)")
        }
        let batch = try smallSet().batch(at: [0, 1])
        var mismatched = batch
        mismatched.readout = batch.readout?.selectingRows([0])
        XCTAssertThrowsError(try mismatched.validateFields(source: "b")) { XCTAssertTrue("\($0)".contains("2 inputs but a readout of 1 rows"), "\($0)") }
        XCTAssertEqual(try Batch.concatenating([batch, batch]).readout?.rowCount, 4, "a batch's readout rows stack with its samples")
        var unpooled = batch
        unpooled.readout = nil
        XCTAssertThrowsError(try Batch.concatenating([batch, unpooled])) { XCTAssertTrue("\($0)".contains("carry 'readout'"), "\($0)") }
    }
}
