import Datasets
import Distillation
import Graphs
import NN
import Tensors
import Training
import XCTest

/// VQGraph's parts against their definitions: the quantizer (nearest code by cosine,
/// straight-through gradients, commitment, the moving-average update and dead-code restarts),
/// the teacher's reconstruction losses and the student's soft token assignment, by hand and
/// by finite differences.
final class VQGraphTests: XCTestCase {
    private let ring = try! SparseMatrix(rowCount: 6, columnCount: 6,
                                        entries: (0..<6).flatMap { [($0, ($0 + 1) % 6), (($0 + 1) % 6, $0)] } + [(0, 3), (3, 0)])

    func testTheQuantizerPicksTheNearestCodeByCosineAndPassesGradientsStraightThrough() {
        var generator = RandomGenerator(seed: 1)
        let quantizer = VectorQuantizer(dimension: 3, codebookSize: 4, using: &generator)
        quantizer.embed = Tensor([1, 0, 0, 0, 2, 0, 0, 0, 1, -1, -1, 0], shape: [4, 3])
        quantizer.eval()
        let x = Tensor([3, 0.5, 0, 0.1, 0.2, 5, -2, -1, 0.1], shape: [3, 3])
        let result = quantizer.quantize(x)
        XCTAssertEqual(result.codes, [0, 2, 3])
        XCTAssertEqual(result.quantized.scalars, [1, 0, 0, 0, 0, 1, -1, -1, 0])
        // Cosine similarities: row 0 against code 1 (0, 2, 0) is 0.5 / ‖(3, 0.5, 0)‖.
        XCTAssertEqual(result.similarities.scalars[1], 0.5 / (9.25 as Float).squareRoot(), accuracy: 1e-6)
        let chosen = Tensor([1, 0, 0, 0, 0, 1, -1, -1, 0], shape: [3, 3])
        XCTAssertEqual(result.commitment.item, (x - chosen).pow(2).mean().item, accuracy: 1e-6)
        // d/dx Σ w ⊙ quantize(x) = w: the codes pass gradients straight through.
        let w = Tensor.normal([3, 3], using: &generator)
        let input = x.requiringGradient()
        let gradient = gradients(of: (quantizer.quantize(input).quantized * w).sum(), wrt: [input])[0]
        XCTAssertEqual(gradient.scalars, w.scalars)
    }

    func testTrainingMovesWinningCodesTowardTheirRowsAndRestartsDeadCodes() {
        var generator = RandomGenerator(seed: 2)
        let quantizer = VectorQuantizer(dimension: 2, codebookSize: 3, decay: 0.5, using: &generator)
        quantizer.embed = Tensor([1, 0, 0, 1, -1, 0], shape: [3, 2])
        let x = Tensor([2, 1, 3, -1, 0, 4], shape: [3, 2])  // codes 0, 0 and 1
        _ = quantizer.quantize(x)
        // Code 0: ½·(1, 0) + ½·normalise(mean of (2, 1)/√5 and (3, −1)/√10).
        let mean = [(2 / 5.0.squareRoot() + 3 / 10.0.squareRoot()) / 2, (1 / 5.0.squareRoot() - 1 / 10.0.squareRoot()) / 2]
        let length = (mean[0] * mean[0] + mean[1] * mean[1]).squareRoot()
        let embed = quantizer.embed.scalars
        XCTAssertEqual(Double(embed[0]), 0.5 + 0.5 * mean[0] / length, accuracy: 1e-5)
        XCTAssertEqual(Double(embed[1]), 0.5 * mean[1] / length, accuracy: 1e-5)
        XCTAssertEqual(Array(embed[2...3]), [0, 1], "code 1 won (0, 4), whose direction is its own")
        XCTAssertEqual(Array(embed[4...5]), [-1, 0], "code 2 won nothing and stays")
        XCTAssertEqual(quantizer.clusterSize.scalars, [1, 0.5, 0])

        // With a threshold, the dead code restarts at one of the batch's directions.
        let restarting = VectorQuantizer(dimension: 2, codebookSize: 3, decay: 0.5, deadCodeThreshold: 0.4, using: &generator)
        restarting.embed = Tensor([1, 0, 0, 1, -1, 0], shape: [3, 2])
        _ = restarting.quantize(x)
        let restarted = Array(restarting.embed.scalars[4...5])
        let rows: [[Float]] = [[2, 1], [3, -1], [0, 4]]
        let directions = rows.map { row -> [Float] in
            let length = (row[0] * row[0] + row[1] * row[1]).squareRoot()
            return [row[0] / length, row[1] / length]
        }
        XCTAssertTrue(directions.contains { zip($0, restarted).allSatisfy { abs($0 - $1) < 1e-6 } }, "\(restarted)")
        // In inference nothing moves.
        restarting.eval()
        let before = restarting.embed.scalars
        _ = restarting.quantize(x)
        XCTAssertEqual(restarting.embed.scalars, before)
    }

    func testTheStructureLossIsTheReferenceFormulaAndItsGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 3)
        let model = VQGraphGCN(features: 4, codeSize: 3, hidden: 5, classes: 2, codebookSize: 4, using: &generator)
        model.eval()
        let pass = model.pass(GraphInputs(features: Tensor.normal([6, 4], using: &generator), adjacency: ring, nodes: [0]))
        let products = matmul(pass.edgeEmbeddings, pass.edgeEmbeddings, transposeB: true).scalars
        let (low, high) = (products.min()!, products.max()!)
        let adjacency = ring.dense().scalars
        let expected = (zip(products, adjacency).map { pow(($0 - low) / (high - low) - $1, 2) }.reduce(0, +) / 36).squareRoot()
        XCTAssertEqual(model.reconstructionLosses(pass, adjacency: ring).structure.item, expected, accuracy: 1e-5)
        // On a block: the same formula over nodes 1, 2, 3 and their adjacency.
        let block = [1, 2, 3]
        let blockProducts = block.flatMap { i in block.map { j in products[i * 6 + j] } }
        let (blockLow, blockHigh) = (blockProducts.min()!, blockProducts.max()!)
        let blockAdjacency = block.flatMap { i in block.map { j in adjacency[i * 6 + j] } }
        let blockExpected = (zip(blockProducts, blockAdjacency).map { pow(($0 - blockLow) / (blockHigh - blockLow) - $1, 2) }.reduce(0, +) / 9).squareRoot()
        XCTAssertEqual(model.reconstructionLosses(pass, adjacency: ring, structureNodes: block).structure.item, blockExpected, accuracy: 1e-5)

        // Nodes that share a code have equal rows, and ties at the maximum have no derivative:
        // the check runs at distinct rows.
        let distinct = Tensor.normal(pass.edgeEmbeddings.shape, using: &generator)
        let check = checkGradients(of: { inputs in
            var varied = pass
            (varied.edgeEmbeddings, varied.embeddings, varied.reconstructedEmbeddings) = (inputs[0], inputs[1], inputs[2])
            let (embedding, structure) = model.reconstructionLosses(varied, adjacency: self.ring)
            return embedding + structure
        }, at: [distinct, pass.embeddings.detached(), pass.reconstructedEmbeddings.detached()])
        XCTAssert(check.passed, "\(check)")
    }

    func testTheStudentsSoftTokenAssignmentIsTheReferenceFormula() throws {
        var generator = RandomGenerator(seed: 4)
        let codebook = VectorQuantizer(dimension: 3, codebookSize: 5, using: &generator).codebook
        let term = SoftTokenDistillation(student: "1", studentFeatures: 4, codebook: codebook, temperature: 4, using: &generator)
        let features = Tensor.normal([2, 4], using: &generator)
        let z = term.projection(features).scalars, codes = codebook.scalars
        let logits = term.studentTokenLogits(features).scalars
        for row in 0..<2 {
            for code in 0..<5 {
                let distance = (0..<3).map { pow(z[row * 3 + $0] - codes[code * 3 + $0], 2) }.reduce(0, +).squareRoot()
                XCTAssertEqual(logits[row * 5 + code], -distance, accuracy: 1e-4)
            }
        }
        let teacherTokens = Tensor.uniform([2, 5], low: -1, high: 1, using: &generator)
        let batch = DistillationBatch(studentLogits: Tensor.zeros([2, 3]), teacherLogits: nil, labels: nil, studentFeatures: ["1": features],
                                      teacherFeatures: [:], teacherOutputs: ModelOutputs([("logits", Tensor.zeros([2, 3])), ("tokens", teacherTokens)]))
        let expected = distillationKLDivergence(studentLogits: Tensor(logits, shape: [2, 5]), teacherLogits: teacherTokens, temperature: 4)
        XCTAssertEqual(term(batch).item, expected.item, accuracy: 1e-5)
        let check = checkGradients(of: { term.studentTokenLogits($0[0]) }, at: [features])
        XCTAssert(check.passed, "\(check)")
    }
}
