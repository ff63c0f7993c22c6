import Datasets
import Graphs
import NN
import Tensors
import Training
import XCTest

/// GCN's layer and model: gradients, PyTorch Geometric's parameter names, and inputs read
/// from a node batch.
final class GraphNetworkTests: XCTestCase {
    private let ring = ringWithChord

    func testGraphConvolutionGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 1)
        let layer = GraphConvolution(4, 3, using: &generator)
        let x = Tensor.normal([6, 4], using: &generator)
        let propagation = ring.gcnNormalized()
        let parameters = layer.checkParameterGradients { layer(x, propagation: propagation).sin().sum() }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { layer($0[0], propagation: propagation) }, at: [x])
        XCTAssert(inputs.passed, "features: \(inputs)")
        // Â·X·Wᵀ + b, against the dense product.
        let expected = matmul(matmul(propagation.dense(), x), layer.lin.weight.transposed()) + layer.bias
        XCTAssertEqual(layer(x, propagation: propagation).scalars.map { ($0 * 1e4).rounded() }, expected.scalars.map { ($0 * 1e4).rounded() })
    }

    /// GAT's layer against its formula, written out per node with dense loops, and its
    /// gradients against finite differences.
    func testGraphAttentionMatchesItsFormulaAndFiniteDifferences() {
        var generator = RandomGenerator(seed: 3)
        let structure = ring.addingSelfLoops()
        let x = Tensor.normal([6, 4], using: &generator)
        for concatenates in [true, false] {
            let layer = GraphAttention(4, 3, heads: 2, concatenates: concatenates, using: &generator)
            layer.bias = Tensor.normal(layer.bias.shape, using: &generator)
            let output = layer(x, structure: structure).scalars
            let transformed = matmul(x, layer.lin.weight.transposed()).scalars  // [6, 2·3]
            let (source, target) = (layer.att_src.scalars, layer.att_dst.scalars)
            func score(_ node: Int, _ head: Int, _ attention: [Float]) -> Float {
                (0..<3).map { transformed[node * 6 + head * 3 + $0] * attention[head * 3 + $0] }.reduce(0, +)
            }
            for node in 0..<6 {
                var perHead: [[Float]] = []
                for head in 0..<2 {
                    let neighbours = Array(structure.columns(inRow: node))
                    let raw = neighbours.map { score(node, head, target) + score($0, head, source) }.map { $0 > 0 ? $0 : 0.2 * $0 }
                    let exponentials = raw.map { exp($0 - raw.max()!) }
                    let weights = exponentials.map { $0 / exponentials.reduce(0, +) }
                    perHead.append((0..<3).map { f in zip(neighbours, weights).map { transformed[$0 * 6 + head * 3 + f] * $1 }.reduce(0, +) })
                }
                let combined = concatenates ? perHead[0] + perHead[1] : (0..<3).map { (perHead[0][$0] + perHead[1][$0]) / 2 }
                let expected = zip(combined, layer.bias.scalars).map { $0 + $1 }
                let width = expected.count
                for (f, value) in expected.enumerated() {
                    XCTAssertEqual(output[node * width + f], value, accuracy: 1e-5, "node \(node), feature \(f), concatenates \(concatenates)")
                }
            }
            let parameters = layer.checkParameterGradients { layer(x, structure: structure).sin().sum() }
            XCTAssert(parameters.passed, "parameters: \(parameters)")
            let inputs = checkGradients(of: { layer($0[0], structure: structure) }, at: [x])
            XCTAssert(inputs.passed, "features: \(inputs)")
        }
    }

    func testGCNNamesItsParametersAsPyTorchGeometricAndScoresTheNodesAskedFor() throws {
        var generator = RandomGenerator(seed: 2)
        let model = GCN(widths: [4, 8, 3], using: &generator)
        XCTAssertEqual(model.namedParameters().map(\.path).sorted(), ["convs.0.bias", "convs.0.lin.weight", "convs.1.bias", "convs.1.lin.weight"])
        model.eval()
        let features = Tensor.normal([6, 4], using: &generator)
        let all = model(GraphInputs(features: features, adjacency: ring, nodes: Array(0..<6))).logits
        let some = model(GraphInputs(features: features, adjacency: ring, nodes: [4, 1])).logits
        XCTAssertEqual(some.shape, [2, 3])
        XCTAssertEqual(some.scalars, all.indexSelect(axis: 0, indices: [4, 1]).scalars)

        // From a batch of a node data set: its nodes' logits, whatever the batch holds.
        let graph = try NodeClassificationGraph(name: "ring", adjacency: ring, features: features, labels: [0, 1, 2, 0, 1, 2], classCount: 3,
                                                trainNodes: [0, 1], validationNodes: [2], testNodes: [3, 4, 5])
        let batch = try graph.nodes([5, 2]).all()
        XCTAssertEqual(try model.outputs(for: batch).logits?.scalars, all.indexSelect(axis: 0, indices: [5, 2]).scalars)
        XCTAssertEqual(batch.inputs.scalars, features.indexSelect(axis: 0, indices: [5, 2]).scalars, "a batch's inputs are its nodes' features")
        XCTAssertEqual(try graph.nodes([0, 3], labeled: [3]).all().labels?.scalars, [Batch.unlabeledMarker, 0])

        var stripped = batch
        stripped.nodeFeatures = nil
        XCTAssertThrowsError(try model.outputs(for: stripped)) { error in
            XCTAssertTrue("\(error)".contains("needs the batch field 'nodeFeatures'"), "\(error)")
        }
    }

    /// A SAGE layer is `lin_l(mean of neighbours) + lin_r(own)`, differentiable; GraphSAGE with
    /// every neighbour scores a batch exactly as over the whole graph, and samples at most
    /// its fanouts in training.
    func testGraphSAGEIsTheMeanAggregatorOverItsBlocks() throws {
        var generator = RandomGenerator(seed: 4)
        let layer = SAGEConvolution(4, 3, using: &generator)
        let x = Tensor.normal([6, 4], using: &generator)
        let block = ring.neighbourBlock(for: Array(0..<6), fanout: nil, using: &generator)
        let expected = layer.lin_l(matmul(ring.rowNormalized().dense(), x)) + layer.lin_r(x)
        XCTAssertEqual(layer(x, block: block).scalars.map { ($0 * 1e4).rounded() }, expected.scalars.map { ($0 * 1e4).rounded() })
        let parameters = layer.checkParameterGradients { layer(x, block: block).sin().sum() }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { layer($0[0], block: block) }, at: [x])
        XCTAssert(inputs.passed, "features: \(inputs)")

        let model = GraphSAGE(widths: [4, 5, 3], fanouts: [1, 1], dropout: 0, using: &generator)
        XCTAssertEqual(model.namedParameters().map(\.path).sorted(),
                       ["convs.0.lin_l.bias", "convs.0.lin_l.weight", "convs.0.lin_r.weight", "convs.1.lin_l.bias", "convs.1.lin_l.weight", "convs.1.lin_r.weight"])
        model.eval()
        let all = model(GraphInputs(features: x, adjacency: ring, nodes: Array(0..<6))).logits
        let some = model(GraphInputs(features: x, adjacency: ring, nodes: [4, 1])).logits
        XCTAssertEqual(some.scalars.map { ($0 * 1e4).rounded() }, all.indexSelect(axis: 0, indices: [4, 1]).scalars.map { ($0 * 1e4).rounded() })
        // By hand over the dense mean: two layers with ReLU between.
        let mean = ring.rowNormalized().dense()
        let hidden = (model.convs[0].lin_l(matmul(mean, x)) + model.convs[0].lin_r(x)).relu()
        let byHand = model.convs[1].lin_l(matmul(mean, hidden)) + model.convs[1].lin_r(hidden)
        XCTAssertEqual(all.scalars.map { ($0 * 1e4).rounded() }, byHand.scalars.map { ($0 * 1e4).rounded() })
        // In training, with one neighbour per node, another (sampled) answer.
        model.train()
        let sampled = model(GraphInputs(features: x, adjacency: ring, nodes: Array(0..<6))).logits
        XCTAssertNotEqual(sampled.scalars, all.scalars)
    }

    /// APPNP: the MLP's predictions, propagated `k` times by `(1 − α)·Â·Z + α·H`.
    func testAPPNPPropagatesItsPredictionsByPersonalizedPageRank() {
        // (At seed 5 a hidden unit sits within the step of ReLU's kink.)
        var generator = RandomGenerator(seed: 6)
        let model = APPNP(features: 4, hidden: 5, classes: 3, alpha: 0.2, steps: 3, using: &generator)
        model.eval()
        let x = Tensor.normal([6, 4], using: &generator)
        let predictions = model.lin2(model.lin1(x).relu())
        let propagation = ring.gcnNormalized().dense()
        var expected = predictions
        for _ in 0..<3 { expected = matmul(propagation, expected) * 0.8 + predictions * 0.2 }
        let logits = model(GraphInputs(features: x, adjacency: ring, nodes: [3, 0])).logits
        XCTAssertEqual(logits.scalars.map { ($0 * 1e4).rounded() }, expected.indexSelect(axis: 0, indices: [3, 0]).scalars.map { ($0 * 1e4).rounded() })
        let parameters = model.checkParameterGradients { model(GraphInputs(features: x, adjacency: self.ring, nodes: Array(0..<6))).logits.sin().sum() }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
    }
}
