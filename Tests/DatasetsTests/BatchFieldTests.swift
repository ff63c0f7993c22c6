import Datasets
import Tensors
import XCTest

/// Batches carry time, condition, mask, node, graph and node features beside inputs and labels, through data
/// sets, the loader's shuffling, transforms and concatenation.
final class BatchFieldTests: XCTestCase {
    /// 40 samples whose every field encodes the sample's index `i`: inputs `[i, i]`, label
    /// `i % 4`, time `i / 100`, condition `[i, -i]`, mask `[1, 1, 0]` for even i and
    /// `[1, 0, 0]` for odd, node `i`; all nodes of one ring graph, whose node features are
    /// `[i, 2i]`.
    private func fielded(_ count: Int = 40) throws -> TensorDataset {
        let ring = try SparseMatrix(rowCount: count, columnCount: count,
                                    entries: (0..<count).flatMap { [($0, ($0 + 1) % count), (($0 + 1) % count, $0)] })
        return try TensorDataset(
            inputs: Tensor((0..<count).flatMap { [Float($0), Float($0)] }, shape: [count, 2]),
            labels: Tensor((0..<count).map { Float($0 % 4) }),
            time: Tensor((0..<count).map { Float($0) / 100 }),
            condition: Tensor((0..<count).flatMap { [Float($0), -Float($0)] }, shape: [count, 2]),
            mask: Tensor((0..<count).flatMap { $0 % 2 == 0 ? [Float(1), 1, 0] : [1, 0, 0] }, shape: [count, 3]),
            node: Tensor((0..<count).map(Float.init)), graph: ring, nodeFeatures: nodeFeatures(count))
    }

    private func nodeFeatures(_ count: Int = 40) -> Tensor {
        Tensor((0..<count).flatMap { [Float($0), 2 * Float($0)] }, shape: [count, 2])
    }

    /// Asserts that each row of every field belongs to the sample the inputs say.
    private func assertFieldsFollowTheSamples(_ batch: Batch, graph: SparseMatrix, file: StaticString = #filePath, line: UInt = #line) {
        let samples = stride(from: 0, to: batch.inputs.count, by: 2).map { Int(batch.inputs.scalars[$0]) }
        XCTAssertEqual(batch.labels?.scalars, samples.map { Float($0 % 4) }, file: file, line: line)
        XCTAssertEqual(batch.time?.scalars, samples.map { Float($0) / 100 }, file: file, line: line)
        XCTAssertEqual(batch.condition?.scalars, samples.flatMap { [Float($0), -Float($0)] }, file: file, line: line)
        XCTAssertEqual(batch.mask?.scalars, samples.flatMap { $0 % 2 == 0 ? [Float(1), 1, 0] : [1, 0, 0] }, file: file, line: line)
        XCTAssertEqual(batch.node?.scalars, samples.map(Float.init), file: file, line: line)
        XCTAssertEqual(batch.graph, graph, file: file, line: line)
        XCTAssertEqual(batch.nodeFeatures?.scalars, nodeFeatures().scalars, "every node's features, whatever the batch", file: file, line: line)
        if let indices = batch.indices { XCTAssertEqual(indices, samples, "indices name the samples drawn", file: file, line: line) }
    }

    func testTheLoaderCarriesEveryFieldThroughShufflingAndTransforms() throws {
        let data = try fielded()
        XCTAssertEqual(data.all().fieldNames, ["time", "condition", "mask", "node", "graph", "nodeFeatures"])
        let loader = DataLoader(data, batchSize: 7, shuffle: true, seed: 3, transform: GaussianNoise(standardDeviation: 0))
        var seen: [Int] = []
        for batch in loader.batches(epoch: 1) {
            assertFieldsFollowTheSamples(batch, graph: data.contents.graph!)
            seen += batch.indices!
        }
        XCTAssertEqual(seen.sorted(), Array(0..<40), "every sample once")
        XCTAssertNotEqual(seen, Array(0..<40), "shuffled")
    }

    func testTheGraphIsSharedNotCopied() throws {
        let data = try fielded()
        let batch = data.subset([5, 2, 9]).batch(at: [2, 0])
        let address = { (graph: SparseMatrix) in graph.columns.withUnsafeBufferPointer { $0.baseAddress } }
        XCTAssertEqual(address(batch.graph!), address(data.contents.graph!), "the batch's graph is the data set's storage")
    }

    func testSubsetsUnlabeledViewsAndConcatenationKeepTheFields() throws {
        let data = try fielded()
        let graph = data.contents.graph!
        assertFieldsFollowTheSamples(data.subset([7, 3, 30]).all(), graph: graph)
        let unlabeled = UnlabeledDataset(data).batch(at: [4, 8])
        XCTAssertNil(unlabeled.labels)
        XCTAssertEqual(unlabeled.time?.scalars, [0.04, 0.08])
        let joined = try ConcatenatedDataset([data.subset([0, 1, 2]), data.subset([39, 38])])
        assertFieldsFollowTheSamples(joined.batch(at: [4, 0, 3, 2]), graph: graph)
    }

    func testPartsThatDisagreeOnFieldsAreRefused() throws {
        let data = try fielded()
        let plain = try TensorDataset(inputs: Tensor.zeros([3, 2]), labels: Tensor([0, 1, 2]))
        XCTAssertThrowsError(try ConcatenatedDataset([data, plain])) { error in
            XCTAssertEqual("\(error)", "ConcatenatedDataset: 1 of 2 parts carry 'time' and the others do not")
        }
        let otherGraph = try TensorDataset(inputs: Tensor.zeros([3, 2]), labels: Tensor([0, 1, 2]), time: Tensor.zeros([3]),
                                           condition: Tensor.zeros([3, 2]), mask: Tensor.ones([3, 3]), node: Tensor.zeros([3]),
                                           graph: try SparseMatrix(rowCount: 3, columnCount: 3, entries: [(0, 1)]), nodeFeatures: nodeFeatures())
        // The same adjacency with other node features is another graph too.
        var otherFeatures = try fielded().contents
        otherFeatures.nodeFeatures = nodeFeatures() * 2
        for other in [otherGraph, try TensorDataset(otherFeatures)] {
            XCTAssertThrowsError(try ConcatenatedDataset([data, other])) { error in
                XCTAssertEqual("\(error)", "ConcatenatedDataset: the parts are on different graphs")
            }
        }
    }

    func testAFieldOfTheWrongLengthIsRefusedWithItsName() {
        XCTAssertThrowsError(try TensorDataset(inputs: Tensor.zeros([4, 2]), labels: nil, mask: Tensor.ones([3, 5]))) { error in
            XCTAssertEqual("\(error)", "TensorDataset: 4 inputs but 'mask' of shape [3, 5] (expected 4 along the first axis)")
        }
        XCTAssertThrowsError(try TensorDataset(inputs: Tensor.zeros([4, 2]), labels: Tensor([1, 2]))) { error in
            XCTAssertEqual("\(error)", "TensorDataset: 4 inputs but labels of shape [2]")
        }
    }

    func testMixingAndImageTransformsKeepTheFields() throws {
        let images = try TensorDataset(
            inputs: Tensor.ones([6, 1, 4, 4]), labels: Tensor([0, 1, 2, 0, 1, 2]),
            time: Tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), mask: Tensor.ones([6, 2]))
        var generator = RandomGenerator(seed: 9)
        for transform: any BatchTransform in [Mixup(alpha: 0.4, classCount: 3), CutMix(alpha: 1, classCount: 3),
                                              RandomCrop(height: 4, width: 4, padding: 1), RandomHorizontalFlip(), RandomErasing(probability: 1),
                                              RandomPatchMasking(patch: 2, ratio: 0.5),
                                              Normalize(mean: [0.5], standardDeviation: [2])] {
            let batch = transform(images.all(), using: &generator)
            XCTAssertEqual(batch.time?.scalars, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "\(type(of: transform)) keeps time")
            XCTAssertEqual(batch.mask?.shape, [6, 2], "\(type(of: transform)) keeps the mask")
        }
    }
}
