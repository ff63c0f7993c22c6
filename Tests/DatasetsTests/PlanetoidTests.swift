import Datasets
import Foundation
import Tensors
import XCTest

/// The Planetoid citation graphs ship inside Distillery with their standard split.
final class PlanetoidTests: XCTestCase {
    func testCoraAndCiteseerHaveThePublishedSizesAndSplits() throws {
        for (name, nodes, edges, features, classes, train) in [("cora", 2708, 5278, 1433, 7, 140), ("citeseer", 3327, 4552, 3703, 6, 120)] {
            let graph = try NodeClassificationGraph.planetoid(name)
            XCTAssertEqual(graph.nodeCount, nodes, name)
            XCTAssertEqual(graph.featureCount, features, name)
            XCTAssertEqual(graph.classCount, classes, name)
            // Undirected: each edge is stored both ways, and no node links to itself.
            XCTAssertEqual(graph.adjacency.entryCount, 2 * edges, name)
            XCTAssertEqual(graph.adjacency.dense().scalars, graph.adjacency.dense().transposed().scalars, name)
            XCTAssertFalse((0..<nodes).contains { graph.adjacency.columns(inRow: $0).contains($0) }, name)
            XCTAssertEqual([graph.trainNodes.count, graph.validationNodes.count, graph.testNodes.count], [train, 500, 1000], name)
            XCTAssertTrue(Set(graph.trainNodes).isDisjoint(with: graph.testNodes) && Set(graph.validationNodes).isDisjoint(with: graph.testNodes), name)
            // 20 training nodes per class.
            let counts = Dictionary(grouping: graph.trainNodes, by: { graph.labels[$0] }).mapValues(\.count)
            XCTAssertEqual(counts, Dictionary(uniqueKeysWithValues: (0..<classes).map { ($0, 20) }), name)
            XCTAssertEqual(Set(graph.features.scalars), [0, 1], "\(name): binary bag-of-words features")
        }
        XCTAssertThrowsError(try NodeClassificationGraph.planetoid("pubmed")) { error in
            XCTAssertEqual("\(error)", "pubmed: unknown Planetoid graph (known: cora, citeseer)")
        }
    }

    /// A split naming an unlabeled node, or a label out of range, is refused naming both.
    func testInconsistentPartsAreRefused() throws {
        let adjacency = try SparseMatrix(rowCount: 3, columnCount: 3, entries: [(0, 1), (1, 0)])
        let features = Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
        func graph(labels: [Int], train: [Int]) throws -> NodeClassificationGraph {
            try NodeClassificationGraph(name: "tiny", adjacency: adjacency, features: features, labels: labels, classCount: 2,
                                        trainNodes: train, validationNodes: [1], testNodes: [0])
        }
        XCTAssertNoThrow(try graph(labels: [0, 1, -1], train: [0]))
        for (labels, train, message) in [([0, 1, -1], [2], "tiny: the train split names node 2, which has no label"),
                                         ([0, 2, 1], [0], "tiny: node 1 has label 2, outside -1..<2"),
                                         ([0, 1, 1], [0, 0], "tiny: the train split names a node twice"),
                                         ([0, 1, 1], [3], "tiny: the train split names node 3, outside 0..<3")] {
            XCTAssertThrowsError(try graph(labels: labels, train: train)) { XCTAssertEqual("\($0)", message) }
        }
    }

    /// A graph in Planetoid's layout, written by NumPy (`Fixtures/make_fixtures.py`).
    func testTheReaderReadsAnArchiveNumPyWrote() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tiny-planetoid.npz")
        let graph = try NodeClassificationGraph.readPlanetoid(try Data(contentsOf: url), name: "tiny", classCount: 2, source: "tiny.npz")
        XCTAssertEqual(graph.adjacency.rowOffsets, [0, 1, 3, 4, 5, 7, 8])
        XCTAssertEqual(graph.adjacency.columns, [1, 0, 2, 0, 4, 3, 5, 4], "row 1's columns sorted")
        XCTAssertEqual(graph.features.shape, [6, 4])
        XCTAssertEqual(graph.features.scalars, [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0])
        XCTAssertEqual(graph.labels, [0, 1, 0, 1, 0, -1])
        XCTAssertEqual([graph.trainNodes, graph.validationNodes, graph.testNodes], [[0, 1], [2, 3], [4]])
    }

    /// SciPy leaves a row's columns unsorted; the reader sorts them with their values.
    func testUnsortedRowsAreSortedWithTheirValues() throws {
        let matrix = try SparseMatrix(unsortedRowCount: 2, columnCount: 3, rowOffsets: [0, 2, 3], columns: [2, 0, 1], values: [5, 7, 9])
        XCTAssertEqual(matrix.columns, [0, 2, 1])
        XCTAssertEqual(matrix.values, [7, 5, 9])
        XCTAssertThrowsError(try SparseMatrix(unsortedRowCount: 1, columnCount: 3, rowOffsets: [0, 2], columns: [1, 1], values: [1, 1]))
        XCTAssertThrowsError(try SparseMatrix(unsortedRowCount: 2, columnCount: 3, rowOffsets: [0, 3, 1], columns: [1], values: [1]))
    }
}
