import Generative
import NN
import Tensors
import XCTest

/// The image metrics' parts: the symmetric eigen-decomposition, the Fréchet distance against
/// its closed form, precision and recall on sets of known overlap, and the feature read-out.
final class FeatureSpaceMetricTests: XCTestCase {
    private func randomSymmetric(_ n: Int, seed: UInt64) -> [Double] {
        var generator = RandomGenerator(seed: seed)
        let b = (0..<(n * n)).map { _ in Double(generator.nextNormal()) }
        return (0..<(n * n)).map { index in let (i, j) = (index / n, index % n); return (b[i * n + j] + b[j * n + i]) / 2 }
    }

    func testJacobiRotationsDecomposeASymmetricMatrix() {
        let n = 6
        let a = randomSymmetric(n, seed: 3)
        let eigen = SymmetricEigen(a, size: n)
        XCTAssertEqual(eigen.values, eigen.values.sorted())
        let rebuilt = eigen.applying { $0 }
        for (x, y) in zip(rebuilt, a) { XCTAssertEqual(x, y, accuracy: 1e-10) }
        let identity = SymmetricEigen(a, size: n).applying { _ in 1 }
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(identity[i * n + j], i == j ? 1 : 0, accuracy: 1e-10, "orthonormal eigenvectors") } }
    }

    func testTheFrechetDistanceMatchesItsClosedFormAndIgnoresACommonRotation() {
        // Diagonal covariances commute: FD = ‖Δμ‖² + Σ(σ_a − σ_b)².
        let (deviationsA, deviationsB) = ([1.0, 2.0, 0.5], [1.5, 1.0, 0.5])
        func diagonal(_ deviations: [Double]) -> [Double] {
            var matrix = [Double](repeating: 0, count: 9)
            for i in 0..<3 { matrix[i * 4] = deviations[i] * deviations[i] }
            return matrix
        }
        let (meanA, meanB) = ([0.0, 1.0, -1.0], [0.5, 1.0, 1.0])
        let expected: Double = 0.25 + 4 + 0.25 + 1
        XCTAssertEqual(FeatureSpaceMetrics.frechetDistance(meanA, diagonal(deviationsA), meanB, diagonal(deviationsB)), expected, accuracy: 1e-9)
        // The same pair rotated by one orthogonal Q (the eigenvectors of a random matrix).
        let q = SymmetricEigen(randomSymmetric(3, seed: 4), size: 3).vectors
        func rotated(_ m: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { for l in 0..<3 { result[i * 3 + j] += q[i * 3 + k] * m[k * 3 + l] * q[j * 3 + l] } } } }
            return result
        }
        func rotate(_ v: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: 3)
            for i in 0..<3 { for k in 0..<3 { result[i] += q[i * 3 + k] * v[k] } }
            return result
        }
        XCTAssertEqual(FeatureSpaceMetrics.frechetDistance(rotate(meanA), rotated(diagonal(deviationsA)), rotate(meanB), rotated(diagonal(deviationsB))),
                       expected, accuracy: 1e-9)
        var generator = RandomGenerator(seed: 5)
        let points = Tensor.normal([200, 4], using: &generator)
        XCTAssertEqual(FeatureSpaceMetrics.frechetDistance(points, points), 0, accuracy: 1e-6)
    }

    func testPrecisionAndRecallSeparateFidelityFromCoverage() {
        var generator = RandomGenerator(seed: 6)
        let real = Tensor.normal([300, 4], using: &generator)
        let alike = FeatureSpaceMetrics.precisionAndRecall(real: real, generated: Tensor.normal([300, 4], using: &generator))
        let collapsed = FeatureSpaceMetrics.precisionAndRecall(real: real, generated: 0.1 * Tensor.normal([300, 4], using: &generator))
        let elsewhere = FeatureSpaceMetrics.precisionAndRecall(real: real, generated: Tensor.normal([300, 4], using: &generator) + 6)
        XCTAssertGreaterThan(alike.precision, 0.8)
        XCTAssertGreaterThan(alike.recall, 0.8)
        XCTAssertGreaterThan(collapsed.precision, 0.95, "a collapsed set is faithful")
        XCTAssertLessThan(collapsed.recall, 0.3, "but covers little")
        XCTAssertLessThan(elsewhere.precision, 0.05)
    }

    func testFeaturesAreTheClassifiersPenultimateActivationsAndAccuracyItsArgmax() throws {
        var generator = RandomGenerator(seed: 7)
        let classifier = MLP(widths: [64, 16, 10], using: &generator)
        let images = Tensor.uniform([5, 1, 8, 8], using: &generator)
        let (features, logits) = try FeatureSpaceMetrics(classifier: classifier, featurePath: "1").features(of: images, batchSize: 2)
        XCTAssertEqual(features.shape, [5, 16])
        XCTAssertEqual(logits.shape, [5, 10])
        XCTAssertEqual(features.scalars, classifier.layers[0](images.flattened(startAxis: 1)).relu().scalars)
        XCTAssertEqual(FeatureSpaceMetrics.conditionalAccuracy(logits: Tensor([0, 2, 1, 5, 4, 3], shape: [2, 3]), classes: [1, 1]), 0.5)
    }
}
