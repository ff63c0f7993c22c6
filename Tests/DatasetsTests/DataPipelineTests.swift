import Datasets
import Tensors
import XCTest

final class DataPipelineTests: XCTestCase {
    /// 50 samples of shape [2], value = index, label = index % 5.
    private func indexed(_ count: Int = 50) -> TensorDataset {
        try! TensorDataset(
            inputs: Tensor((0..<(2 * count)).map { Float($0 / 2) }, shape: [count, 2]),
            labels: Tensor((0..<count).map { Float($0 % 5) }), classNames: ["a", "b", "c", "d", "e"])
    }

    func testSplitsAreDisjointAndStratified() {
        let data = indexed()
        let parts = data.randomSplit(fractions: [0.6, 0.2, 0.2], seed: 1)
        XCTAssertEqual(parts.map(\.count), [30, 10, 10])
        XCTAssertEqual(Set(parts.flatMap(\.indices)).count, 50)
        let (labeled, unlabeled) = data.labeledSplit(fraction: 0.2, seed: 2)
        XCTAssertEqual(labeled.count, 10)
        XCTAssertEqual(unlabeled.count, 40)
        XCTAssertEqual(labeled.all().labels!.scalars.sorted(), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
        XCTAssertTrue(Set(labeled.indices).isDisjoint(with: unlabeled.indices))
        let few = data.fewShot(perClass: 3, seed: 3)
        XCTAssertEqual(few.count, 15)
        XCTAssertEqual(Dictionary(grouping: few.all().labels!.scalars, by: { $0 }).mapValues(\.count), [0: 3, 1: 3, 2: 3, 3: 3, 4: 3])
        XCTAssertNotEqual(data.fewShot(perClass: 3, seed: 4).indices, few.indices, "another seed, another subset")
        let joined = try! ConcatenatedDataset([data.subset([0, 1]), data.subset([49])])
        XCTAssertEqual(joined.all().inputs.scalars, [0, 0, 1, 1, 49, 49])
        let mixed = joined.batch(at: [2, 0, 1])
        XCTAssertEqual(mixed.inputs.scalars, [49, 49, 0, 0, 1, 1], "samples come back in the order asked for")
        XCTAssertEqual(mixed.labels!.scalars, [4, 0, 1])
    }

    func testSemiSupervisedDataMarksTheUnlabeledPart() throws {
        let (labeled, unlabeled) = indexed().labeledSplit(fraction: 0.2, seed: 2)
        XCTAssertNil(unlabeled.withoutLabels().batch(at: [0, 1]).labels)
        let joined = try labeled.joined(unlabeled: unlabeled)
        XCTAssertEqual(joined.count, 50)
        let labels = joined.all().labels!.scalars
        XCTAssertEqual(labels.filter { $0 == Batch.unlabeledMarker }.count, 40)
        XCTAssertEqual(Array(labels.prefix(10)), labeled.all().labels!.scalars)
        XCTAssertEqual(joined.batch(at: [10, 0]).inputs.scalars, unlabeled[0].inputs.scalars + labeled[0].inputs.scalars)
    }

    func testLoaderCoversAnEpochExactlyOnceAndIsDeterministic() {
        let data = indexed()
        let loader = DataLoader(data, batchSize: 8, shuffle: true, seed: 7)
        XCTAssertEqual(loader.batchesPerEpoch, 7)
        let epoch0 = Array(loader.batches(epoch: 0))
        XCTAssertEqual(epoch0.map(\.count), [8, 8, 8, 8, 8, 8, 2])
        XCTAssertEqual(epoch0.flatMap { $0.inputs.slice(axis: 1, end: 1).scalars }.sorted(), (0..<50).map(Float.init))
        let again = Array(DataLoader(data, batchSize: 8, shuffle: true, seed: 7).batches(epoch: 0))
        XCTAssertEqual(again.map(\.inputs.scalars), epoch0.map(\.inputs.scalars), "same seed, same batches")
        let epoch1 = Array(loader.batches(epoch: 1))
        XCTAssertNotEqual(epoch1.map(\.inputs.scalars), epoch0.map(\.inputs.scalars), "each epoch is shuffled anew")
        let dropLast = DataLoader(data, batchSize: 8, dropLast: true, seed: 7)
        XCTAssertEqual(Array(dropLast.batches(epoch: 0)).map(\.count), [Int](repeating: 8, count: 6))
        let ordered = Array(DataLoader(data, batchSize: 20, shuffle: false).batches(epoch: 0))
        XCTAssertEqual(ordered[0].inputs.slice(axis: 1, end: 1).scalars, (0..<20).map(Float.init))
    }

    func testPrefetchGivesTheSameBatchesAsInline() {
        let data = indexed()
        let noise = GaussianNoise(standardDeviation: 1)
        let background = Array(DataLoader(data, batchSize: 6, seed: 3, transform: noise, prefetch: true).batches(epoch: 2))
        let inline = Array(DataLoader(data, batchSize: 6, seed: 3, transform: noise, prefetch: false).batches(epoch: 2))
        XCTAssertEqual(background.map(\.inputs.scalars), inline.map(\.inputs.scalars))
        XCTAssertEqual(background.map { $0.labels!.scalars }, inline.map { $0.labels!.scalars })
    }

    private func images(_ count: Int, channels: Int = 1, size: Int = 6) -> Batch {
        let n = count * channels * size * size
        return Batch(inputs: Tensor((0..<n).map { Float($0 % (size * size)) + 1 }, shape: [count, channels, size, size]), labels: Tensor((0..<count).map { Float($0 % 3) }))
    }

    func testHorizontalFlipProbability() {
        var generator = RandomGenerator(seed: 5)
        let batch = images(2_000)
        let flipped = RandomHorizontalFlip(probability: 0.5)(batch, using: &generator)
        // A flipped image starts its first row with the row's last value.
        let firstPixels = flipped.inputs.slice(axis: 2, end: 1).slice(axis: 3, end: 1).reshaped([-1]).scalars
        let share = Float(firstPixels.filter { $0 == 6 }.count) / 2_000
        XCTAssertEqual(share, 0.5, accuracy: 0.04)
        XCTAssertTrue(firstPixels.allSatisfy { $0 == 1 || $0 == 6 })
        XCTAssertEqual(flipped.inputs.sum().item, batch.inputs.sum().item, "a flip moves pixels, it does not change them")
    }

    func testRandomCropStaysWithinThePaddedBounds() {
        var generator = RandomGenerator(seed: 6)
        let batch = images(500)
        let cropped = RandomCrop(height: 6, width: 6, padding: 2, fill: 0)(batch, using: &generator)
        XCTAssertEqual(cropped.inputs.shape, [500, 1, 6, 6])
        var offsets = Set<[Int]>()
        for i in 0..<500 {
            let image = cropped.inputs[i][0]
            // The original pixel (row r, column c) has value 6r + c + 1; find the shift.
            guard let (y, x) = (0..<6).lazy.flatMap({ y in (0..<6).lazy.map { x in (y, x) } }).first(where: { image[element: [$0.0, $0.1]] != 0 }) else {
                return XCTFail("image \(i) is all padding")
            }
            let value = Int(image[element: [y, x]]) - 1
            offsets.insert([value / 6 - y, value % 6 - x])
        }
        XCTAssertTrue(offsets.allSatisfy { $0.allSatisfy { (-2...2).contains($0) } }, "\(offsets)")
        XCTAssertEqual(offsets.count, 25, "all 5 × 5 shifts occur")
    }

    func testNormalizeAndErasingAndNoise() {
        var generator = RandomGenerator(seed: 7)
        let batch = Batch(inputs: Tensor.normal([400, 2, 4, 4], mean: 3, standardDeviation: 2, using: &generator), labels: nil)
        let normalized = Normalize(mean: [3, 3], standardDeviation: [2, 2])(batch, using: &generator).inputs
        XCTAssertEqual(normalized.mean().item, 0, accuracy: 0.03)
        XCTAssertEqual(normalized.variance().item, 1, accuracy: 0.03)
        let ones = Batch(inputs: Tensor.ones([1_000, 1, 10, 10]), labels: nil)
        let erased = RandomErasing(probability: 0.5, value: 0)(ones, using: &generator).inputs
        let touched = (0..<1_000).filter { erased[$0].min().item == 0 }.count
        XCTAssertEqual(Float(touched) / 1_000, 0.5, accuracy: 0.05)
        // mean = 1 − (share touched)·(area fraction erased)
        let fraction = (1 - erased.mean().item) / (Float(touched) / 1_000)
        XCTAssertTrue((0.02...0.33).contains(fraction), "erased area fraction \(fraction)")
        let noisy = GaussianNoise(standardDeviation: 0.5)(ones, using: &generator).inputs - 1
        XCTAssertEqual(noisy.variance().item.squareRoot(), 0.5, accuracy: 0.01)
    }

    func testPatchMaskingHidesTheRequestedShareOfPatches() {
        var generator = RandomGenerator(seed: 9)
        let ones = Batch(inputs: Tensor.ones([50, 2, 8, 7]), labels: nil)
        let masked = RandomPatchMasking(patch: 2, ratio: 0.75)(ones, using: &generator).inputs
        // 4 × 4 = 16 patches (the last column of patches is one pixel wide); 12 are masked in
        // both channels alike, so every image loses 12 patches' worth of pixels.
        for i in 0..<50 {
            let image = masked[i]
            XCTAssertEqual(image[0].scalars, image[1].scalars, "channels share the mask")
            let hidden = image[0].scalars.filter { $0 == 0 }.count
            XCTAssertTrue((12 * 2...12 * 4).contains(hidden), "\(hidden) pixels hidden")
        }
        XCTAssertNotEqual(masked[0].scalars, masked[1].scalars, "each image draws its own mask")
    }

    func testMixupAndCutMixGiveConvexInputsAndSoftLabels() {
        var generator = RandomGenerator(seed: 8)
        let batch = images(64, channels: 2, size: 8)
        let mixed = Mixup(alpha: 0.4, classCount: 3)(batch, using: &generator)
        XCTAssertEqual(mixed.labels?.shape, [64, 3])
        assertAllClose(mixed.labels!.sum(axes: [1]), Tensor.ones([64]))
        // Every mixed image is λ·(own) + (1 − λ)·(another), so it stays within the pixel range.
        XCTAssertGreaterThanOrEqual(mixed.inputs.min().item, 1)
        XCTAssertLessThanOrEqual(mixed.inputs.max().item, 64)
        let cut = CutMix(alpha: 1, classCount: 3)(batch, using: &generator)
        assertAllClose(cut.labels!.sum(axes: [1]), Tensor.ones([64]))
        // The label weight of the own class equals the share of own pixels (all images here
        // hold the same pixels, so count the pasted box through a marked batch instead).
        let marked = Batch(inputs: Tensor((0..<64).flatMap { i in [Float](repeating: Float(i), count: 2 * 8 * 8) }, shape: [64, 2, 8, 8]), labels: Tensor((0..<64).map { Float($0 % 3) }))
        let markedCut = CutMix(alpha: 1, classCount: 3)(marked, using: &generator)
        let ownShare = (markedCut.inputs[5] .== 5).mean().item
        let ownClass = 5 % 3
        let labelWeight = markedCut.labels![5].scalars[ownClass]
        XCTAssertGreaterThanOrEqual(labelWeight + 1e-5, ownShare, "own class weight \(labelWeight) < own pixel share \(ownShare)")
    }

    func testSyntheticData() {
        let spirals = SyntheticData.twoSpirals(count: 200, noise: 0.01, seed: 1)
        XCTAssertEqual(spirals.classHistogram(), [100, 100])
        XCTAssertLessThanOrEqual(spirals.inputs.abs().max().item, 1.1)
        let moons = SyntheticData.moons(count: 100, seed: 2)
        XCTAssertEqual(moons.count, 100)
        let mixture = SyntheticData.gaussianMixture(count: 800, components: 8, radius: 2, standardDeviation: 0.1, seed: 3)
        let radii = mixture.inputs.norm(.l2, axes: [1])
        XCTAssertEqual(radii.mean().item, 2, accuracy: 0.02)
        let rings = SyntheticData.rings(count: 300, rings: 3, noise: 0.01, seed: 4)
        let ringRadii = rings.inputs.norm(.l2, axes: [1]).scalars
        for (radius, label) in zip(ringRadii, rings.labels!.integerScalars) { XCTAssertEqual(radius, Float(label + 1), accuracy: 0.06) }
        let board = SyntheticData.checkerboard(count: 1_000, seed: 5).inputs
        for i in 0..<1_000 {
            let (x, y) = (board[element: [i, 0]], board[element: [i, 1]])
            XCTAssertEqual((Int((x + 2).rounded(.down)) + Int((y + 2).rounded(.down))) % 2, 0, "(\(x), \(y)) is on a light square")
        }
        let graph = SyntheticData.stochasticBlockModel(blocks: 3, nodesPerBlock: 40, inProbability: 0.3, outProbability: 0.02, featureDimension: 5, seed: 6)
        let inside = graph.edges.filter { $0.0 / 40 == $0.1 / 40 }.count, across = graph.edges.count - inside
        XCTAssertEqual(Float(inside) / Float(3 * 40 * 39 / 2), 0.3, accuracy: 0.04)
        XCTAssertEqual(Float(across) / Float(3 * 40 * 80 / 2), 0.02, accuracy: 0.01)
        XCTAssertEqual(graph.neighbors().reduce(0) { $0 + $1.count }, 2 * graph.edges.count)
    }
}

private func assertAllClose(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5, file: file, line: line) }
}
