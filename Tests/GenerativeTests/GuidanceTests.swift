import Datasets
import Generative
import NN
import Optim
import Tensors
import Training
import XCTest

/// Classifier-free guidance (Ho & Salimans 2022) on the ring whose classes are its modes:
/// one network trained with condition dropout is both the conditional and the unconditional
/// model; guidance above 1 raises the share of samples that land on their class's mode and
/// narrows them about it (fidelity for diversity). The modes overlap (σ 0.35, neighbours
/// 1.53 apart), so that plain conditional sampling is not already perfect.
final class GuidanceTests: XCTestCase {
    func testGuidanceRaisesConditionalAccuracyAndTheNullClassCoversEveryMode() throws {
        let mixture = GaussianMixture.ring(components: 8, radius: 2, standardDeviation: 0.35)
        var generator = RandomGenerator(seed: 51)
        let (points, components) = mixture.labeledSample(count: 8192, using: &generator)
        let data = try TensorDataset(inputs: points, labels: Tensor(components.map(Float.init), shape: [components.count]))
        let network = DenoisingMLP(dimension: 2, hidden: [128, 128, 128], classCount: 8, using: &generator)
        let model = NetworkDenoiser(network, process: NoiseProcess(.rectifiedFlow), target: .velocity)
        let options = TrainingOptions(epochs: 40, batchSize: 256, schedule: .cosine(base: 1e-3, total: 40 * 32, minimum: 1e-5), seed: 52)
        _ = try Trainer(student: network, objective: DenoisingObjective(model: model, conditionDropout: 0.2), optimizer: Adam(learningRate: 1e-3), options: options)
            .fit(data, validation: Optional<TensorDataset>.none)

        let classes = (0..<1024).map { $0 % 8 }
        let labels = Tensor(classes.map(Float.init), shape: [classes.count])
        // The mean distance of a class's samples from its mode: their diversity.
        func spread(_ samples: Tensor) -> Double {
            let values = samples.scalars
            return classes.indices.map { n in
                let mean = mixture.means[classes[n]]
                return Double(((values[2 * n] - mean[0]) * (values[2 * n] - mean[0]) + (values[2 * n + 1] - mean[1]) * (values[2 * n + 1] - mean[1])).squareRoot())
            }.reduce(0, +) / Double(classes.count)
        }
        var accuracies: [Double] = [], spreads: [Double] = []
        for scale in [0.0, 1.0, 3.0] {
            var sampling = RandomGenerator(seed: 53)
            let (samples, evaluations) = try Sampler(.euler, steps: 32).sample(GuidedDenoiser(model, classes: labels, scale: scale), count: 1024, shape: [2], using: &sampling)
            XCTAssertEqual(evaluations, 64, "two evaluations a step")
            accuracies.append(PointCloudMetrics.conditionalAccuracy(samples, classes: classes, mixture: mixture))
            spreads.append(spread(samples))
        }
        var sampling = RandomGenerator(seed: 53)
        let unconditional = try Sampler(.euler, steps: 32).sample(model, count: 1024, shape: [2], using: &sampling).samples
        let coverage = PointCloudMetrics.modeCoverage(unconditional, mixture: mixture)
        print("guidance 0, 1, 3: conditional accuracy \(accuracies), spread about the class's mode \(spreads); the null class covers \(coverage.covered) of 8 modes")
        XCTAssertLessThan(accuracies[0], 0.3, "guidance 0 is the unconditional model: about 1/8 on the asked mode")
        XCTAssertGreaterThan(accuracies[1], 0.8)
        XCTAssertGreaterThan(accuracies[2], accuracies[1])
        XCTAssertLessThan(spreads[2], 0.8 * spreads[1], "guidance trades diversity for fidelity")
        XCTAssertEqual(coverage.covered, 8)
    }
}
