import Datasets
import Distillation
import NN
import Optim
import Tensors
import XCTest

/// DistillNearest and DistillWeighted (Borup et al., 2023) at small scale. Target task: digits
/// 0–4 with 5 labels per class. Sources: one trained on digits 5–9 (same domain, other
/// classes: related), one trained on all ten digits with the pixels scrambled by a fixed
/// permutation (unrelated: its features mean nothing on real images).
final class SourceSelectionTests: XCTestCase {
    static let train = try! DatasetCatalog.load("digits", split: .train)
    static let test = try! DatasetCatalog.load("digits", split: .test)

    static func classes(_ data: TensorDataset, _ range: ClosedRange<Int>, relabel: Bool) -> TensorDataset {
        let labels = data.labels!.integerScalars
        let kept = labels.indices.filter { range.contains(labels[$0]) }
        let batch = data.batch(at: kept)
        let shifted = relabel ? batch.labels! - Float(range.lowerBound) : batch.labels!
        return try! TensorDataset(inputs: batch.inputs, labels: shifted, classNames: range.map(String.init))
    }

    static func fit(_ widths: [Int], on data: some Dataset, seed: UInt64) -> MLP {
        var generator = RandomGenerator(seed: seed)
        let model = MLP(widths: widths, using: &generator)
        let trainer = Trainer(student: model, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]), optimizer: Adam(),
                              options: TrainingOptions(epochs: 30, batchSize: 32, schedule: .constant(1e-3), seed: seed))
        try! trainer.fit(data, validation: Optional<TensorDataset>.none)
        return model
    }

    static let related = fit([64, 128, 5], on: classes(train, 5...9, relabel: true), seed: 1)
    static let unrelated: MLP = {
        var generator = RandomGenerator(seed: 9)
        let permutation = randomPermutation(64, using: &generator)
        let scrambled = try! TensorDataset(
            inputs: train.inputs.reshaped([-1, 64]).indexSelect(axis: 1, indices: permutation).reshaped([-1, 1, 8, 8]),
            labels: train.labels, classNames: train.classNames)
        return fit([64, 128, 10], on: scrambled, seed: 2)
    }()
    static let sources: [(model: Module, featurePath: String)] = [(related, "1"), (unrelated, "1")]
    static let target = classes(train, 0...4, relabel: false)
    static let targetTest = classes(test, 0...4, relabel: false)

    func testDistillNearestPicksTheSourceTrainedOnTheRelatedTask() throws {
        let labeled = Self.target.fewShot(perClass: 5, seed: 3)
        for similarity in TaskSimilarity.allCases {
            let ranking = try SourceRanking(sources: Self.sources, target: labeled, similarity: similarity)
            print("\(similarity): \(ranking.scores)")
            XCTAssertEqual(ranking.nearest, 0, "\(similarity) should rank the related source first: \(ranking.scores)")
            let weights = ranking.weights(temperature: 0.05)
            XCTAssertGreaterThan(weights[0], 0.8)
            XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}
