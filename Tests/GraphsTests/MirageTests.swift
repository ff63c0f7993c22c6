import Datasets
import Graphs
import NN
import Tensors
import XCTest

/// Mirage's parts (ego-networks, computation trees, frequent itemsets) and its effect: a GIN
/// trained on the mined trees alone keeps most of the accuracy of one trained on every graph.
final class MirageTests: XCTestCase {
    /// FP-growth finds exactly the itemsets that counting every subset finds.
    func testFrequentItemsetsMatchCountingEverySubset() {
        var generator = RandomGenerator(seed: 7)
        let transactions = (0..<60).map { _ in (0..<8).filter { item in generator.nextUniform() < 0.25 + 0.05 * Float(item % 3) } }
        for (support, size) in [(6, 3), (12, 2), (3, 1)] {
            var expected: [[Int]: Int] = [:]
            func extend(_ itemset: [Int], from start: Int) {
                guard itemset.count < size else { return }
                for item in start..<8 {
                    let candidate = itemset + [item]
                    let count = transactions.filter { t in candidate.allSatisfy(t.contains) }.count
                    if count >= support {
                        expected[candidate] = count
                        extend(candidate, from: item + 1)
                    }
                }
            }
            extend([], from: 0)
            let mined = FrequentItemsets.mine(transactions, minimumSupport: support, maximumSize: size)
            XCTAssertEqual(mined.count, expected.count, "support \(support), size \(size)")
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: mined.map { ($0.items, $0.support) }), expected, "support \(support), size \(size)")
        }
    }

    /// Nodes whose neighbourhoods unfold alike get one name, in any graph, and others do not;
    /// a named tree rebuilt as a graph gives its root, under a GIN of as many layers, the
    /// embedding the node has in its own graph.
    func testComputationTreesNameUnfoldingsAndRebuildToTheSameEmbedding() throws {
        func undirected(_ count: Int, _ edges: [(Int, Int)]) throws -> SparseMatrix {
            try SparseMatrix(rowCount: count, columnCount: count, entries: edges.flatMap { [($0, $1), ($1, $0)] })
        }
        // A path 0-1-2-3 and a star centred on 0: the path's end and a star leaf (kind 1, one
        // kind-0 neighbour) unfold alike at depth 1 and apart at depth 2, where the kind-0
        // neighbours' own neighbours differ.
        let path = try LabeledGraph(nodeKinds: [1, 0, 1, 2], adjacency: try undirected(4, [(0, 1), (1, 2), (2, 3)]), label: 0)
        let star = try LabeledGraph(nodeKinds: [0, 1, 1, 2], adjacency: try undirected(4, [(0, 1), (0, 2), (0, 3)]), label: 1)
        let one = ComputationTreeIndex(depth: 1)
        let (pathOne, starOne) = (one.trees(of: path), one.trees(of: star))
        XCTAssertEqual(pathOne[0], starOne[1], "a kind-1 node with one kind-0 neighbour, at depth 1, in both graphs")
        XCTAssertNotEqual(pathOne[1], starOne[0], "two neighbours against three")
        let two = ComputationTreeIndex(depth: 2)
        let (pathTwo, starTwo) = (two.trees(of: path), two.trees(of: star))
        XCTAssertNotEqual(pathTwo[0], starTwo[1], "at depth 2 the kind-0 neighbour's own neighbours differ")
        XCTAssertEqual(starTwo[1], starTwo[2], "the star's two kind-1 leaves unfold alike")

        var generator = RandomGenerator(seed: 8)
        for (index, depth) in [(one, 1), (two, 2)] {
            let model = GIN(features: 3, hidden: 6, classes: 2, layers: depth, readout: .sum, using: &generator)
            model.eval()
            for graph in [path, star] {
                let names = index.trees(of: graph)
                for node in 0..<graph.nodeCount {
                    let inGraph = model(GraphClassificationInputs(features: Tensor.eye(3).indexSelect(axis: 0, indices: graph.nodeKinds), adjacency: graph.adjacency,
                                                                  readout: try SparseMatrix(rowCount: 1, columnCount: graph.nodeCount, entries: [(0, node)]))).logits
                    let tree = index.tree(names[node], label: 0)
                    XCTAssertEqual(tree.readoutNodes, [0])
                    let fromTree = model(GraphClassificationInputs(features: Tensor.eye(3).indexSelect(axis: 0, indices: tree.nodeKinds), adjacency: tree.adjacency,
                                                                   readout: try SparseMatrix(rowCount: 1, columnCount: tree.nodeCount, entries: [(0, 0)]))).logits
                    XCTAssertEqual(fromTree.scalars.map { ($0 * 1e4).rounded() }, inGraph.scalars.map { ($0 * 1e4).rounded() }, "depth \(depth), node \(node)")
                }
            }
        }
        // The depth-2 tree of the path's node 1: itself, its 2 neighbours, and theirs (1 and 2).
        XCTAssertEqual(two.tree(pathTwo[1], label: 0).nodeCount, 1 + 2 + 1 + 2)
    }

    /// Each labeled node's ego-network holds the nodes within the hops, keeps their edges, and
    /// carries the node's class; the split covers every graph once.
    func testEgoNetworksAreTheInducedNeighbourhoodsLabelledByTheirCentre() throws {
        let cora = try NodeClassificationGraph.planetoid("cora")
        let kinds = try cora.featureClusters(count: 4, iterations: 5, seed: 1)
        XCTAssertEqual(Set(kinds), [0, 1, 2, 3])
        let ego = try cora.egoNetworks(hops: 1, nodeKinds: kinds, kindCount: 4, seed: 1)
        XCTAssertEqual(ego.all.count, cora.nodeCount)
        XCTAssertEqual((ego.trainGraphs + ego.validationGraphs + ego.testGraphs).sorted(), Array(0..<cora.nodeCount))
        XCTAssertEqual(ego.trainGraphs.count, Int((Double(cora.nodeCount) * 0.6).rounded()))
        for position in [0, 100, 2000] {
            let (graph, centre) = (ego.all.graphs[position], ego.centres[position])
            let neighbours = Array(cora.adjacency.columns(inRow: centre))
            XCTAssertEqual(graph.nodeCount, 1 + neighbours.count)
            XCTAssertEqual(graph.label, cora.labels[centre])
            XCTAssertEqual(graph.nodeKinds, ([centre] + neighbours).map { kinds[$0] })
            // Star edges from the centre, plus the edges among its neighbours.
            let among = neighbours.reduce(0) { total, node in total + cora.adjacency.columns(inRow: node).filter(neighbours.contains).count }
            XCTAssertEqual(graph.adjacency.entryCount, 2 * neighbours.count + among)
        }
        XCTAssertThrowsError(try cora.egoNetworks(hops: 0, nodeKinds: kinds, kindCount: 4, seed: 1)) { XCTAssertTrue("\($0)".contains("0 hops"), "\($0)") }
        XCTAssertThrowsError(try cora.egoNetworks(hops: 1, nodeKinds: kinds, kindCount: 3, seed: 1)) { XCTAssertTrue("\($0)".contains("a kind in 0..<3"), "\($0)") }
    }

    /// Mirage's claim at small scale (Cora's 1-hop computation trees over its 2-hop
    /// ego-networks, trees in at least 2% of a class's graphs): a GIN trained on the mined
    /// trees alone keeps ≥ 90% of the test accuracy of one trained on every training graph,
    /// averaged over 3 seeds, from a distillate more than 10× smaller.
    func testGINOnMinedTreesKeepsNinetyPercentOfFullDataAccuracy() throws {
        let cora = try NodeClassificationGraph.planetoid("cora")
        var (full, mined, compression) = ([Double](), [Double](), [Double]())
        for seed: UInt64 in 0..<3 {
            let ego = try MirageDemo.egoNetworks(of: cora, seed: seed)
            let distillate = try MirageDemo.mirage.distill(ego.train)
            compression.append(distillate.compressionRatio)
            full.append(try MirageDemo.trainGIN(on: ego.train, validation: ego.validation, test: ego.test, layers: MirageDemo.mirage.hops, seed: seed))
            mined.append(try MirageDemo.trainGIN(on: distillate.graphs, validation: ego.validation, test: ego.test, layers: MirageDemo.mirage.hops, seed: seed))
        }
        let (fullMean, minedMean) = (full.reduce(0, +) / 3, mined.reduce(0, +) / 3)
        print("Mirage on Cora ego-networks: full data \(full), mined trees \(mined), compression \(compression)")
        XCTAssertGreaterThanOrEqual(minedMean / fullMean, 0.9, "full \(full), Mirage \(mined)")
        XCTAssertGreaterThan(compression.min()!, 10)
        XCTAssertGreaterThan(fullMean, 0.75, "GIN on every graph: \(full)")
    }

    func testMirageRefusesSettingsItCannotMine() throws {
        let cora = try NodeClassificationGraph.planetoid("cora")
        let ego = try MirageDemo.egoNetworks(of: cora, seed: 0)
        XCTAssertThrowsError(try Mirage(hops: 2, minimumSupport: 0.5).distill(ego.train)) { XCTAssertTrue("\($0)".contains("lower the minimum support"), "\($0)") }
        XCTAssertThrowsError(try Mirage(hops: 0).distill(ego.train)) { XCTAssertTrue("\($0)".contains("hops 0"), "\($0)") }
        XCTAssertThrowsError(try Mirage(minimumSupport: 0).distill(ego.train)) { XCTAssertTrue("\($0)".contains("minimum support 0"), "\($0)") }
    }
}
