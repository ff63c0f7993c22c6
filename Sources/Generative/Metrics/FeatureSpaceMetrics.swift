import Foundation
import NN
import Tensors

/// Sample quality for images, measured in the feature space of a classifier trained on the
/// same data set (its penultimate layer, `featurePath`):
///
/// - **FD**, the Fréchet distance between Gaussians fitted to the real and generated
///   features, `‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r^{1/2}·Σ_g·Σ_r^{1/2})^{1/2})`. It is FID's
///   formula, but not FID: FID is defined on ImageNet's Inception-v3 pool features, which
///   neither 8×8 digits nor Fashion-MNIST suit and which Distillery does not ship; numbers
///   here compare only with each other, on the same classifier.
/// - **Precision and recall** (Kynkäänniemi et al. 2019): each set's manifold is the union
///   of balls around its points reaching their `k`-th nearest neighbour in the set;
///   precision is the share of generated samples inside the real manifold, recall the share
///   of real samples inside the generated one.
/// - **Conditional accuracy**: the share of samples generated for class `c` that the
///   classifier calls `c`.
public struct FeatureSpaceMetrics {
    public let classifier: Module
    public let featurePath: String

    public init(classifier: Module, featurePath: String) {
        (self.classifier, self.featurePath) = (classifier, featurePath)
    }

    /// The features at `featurePath` (flattened per sample) and the logits of `images`.
    public func features(of images: Tensor, batchSize: Int = 256) throws -> (features: Tensor, logits: Tensor) {
        classifier.eval()
        var features: [Tensor] = [], logits: [Tensor] = []
        for start in stride(from: 0, to: images.shape[0], by: batchSize) {
            let batch = images.slice(axis: 0, start: start, end: min(start + batchSize, images.shape[0]))
            let (output, captured) = try withoutGradients { try classifier.capturingFeatures([featurePath]) { classifier(batch) } }
            features.append(captured[featurePath]!.reshaped([batch.shape[0], -1]))
            logits.append(output)
        }
        return (concatenate(features, axis: 0), concatenate(logits, axis: 0))
    }

    /// FD, precision, recall and (given the classes the samples were drawn for) conditional
    /// accuracy of `samples` against `real` images.
    public func evaluate(samples: Tensor, classes: [Int]? = nil, real: Tensor, neighbours k: Int = 3) throws -> Report {
        let generated = try features(of: samples), reference = try features(of: real)
        let (precision, recall) = Self.precisionAndRecall(real: reference.features, generated: generated.features, neighbours: k)
        return Report(frechetDistance: Self.frechetDistance(reference.features, generated.features), precision: precision, recall: recall,
                      conditionalAccuracy: classes.map { Self.conditionalAccuracy(logits: generated.logits, classes: $0) })
    }

    public struct Report: Sendable {
        public let frechetDistance: Double
        public let precision: Double
        public let recall: Double
        public let conditionalAccuracy: Double?
    }

    /// The Fréchet distance between Gaussians fitted to the rows of `a` and of `b` (`[N, F]`).
    public static func frechetDistance(_ a: Tensor, _ b: Tensor) -> Double {
        let (meanA, covarianceA) = moments(a), (meanB, covarianceB) = moments(b)
        return frechetDistance(meanA, covarianceA, meanB, covarianceB)
    }

    /// The Fréchet distance between `N(μ_a, Σ_a)` and `N(μ_b, Σ_b)`, covariances `F × F` row-major.
    public static func frechetDistance(_ meanA: [Double], _ covarianceA: [Double], _ meanB: [Double], _ covarianceB: [Double]) -> Double {
        let n = meanA.count
        let root = SymmetricEigen(covarianceA, size: n).applying { max($0, 0).squareRoot() }
        // Σ_a^{1/2}·Σ_b·Σ_a^{1/2} is symmetric, with the eigenvalues of Σ_a·Σ_b.
        let product = multiply(multiply(root, covarianceB, n), root, n)
        let traceOfRoot = SymmetricEigen(product, size: n).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        let meanTerm = zip(meanA, meanB).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let traces = (0..<n).reduce(0) { $0 + covarianceA[$1 * n + $1] + covarianceB[$1 * n + $1] }
        return max(0, meanTerm + traces - 2 * traceOfRoot)
    }

    /// Improved precision and recall with `k`-nearest-neighbour balls.
    public static func precisionAndRecall(real: Tensor, generated: Tensor, neighbours k: Int = 3) -> (precision: Double, recall: Double) {
        precondition(real.shape[0] > k && generated.shape[0] > k, "precisionAndRecall: more than \(k) samples in each set")
        let realRows = rows(real), generatedRows = rows(generated)
        let realRadii = kthNeighbourDistances(realRows, k: k), generatedRadii = kthNeighbourDistances(generatedRows, k: k)
        func share(_ points: [[Double]], insideBallsOf centers: [[Double]], radii: [Double]) -> Double {
            let inside = points.filter { point in centers.indices.contains { squaredDistance(point, centers[$0]) <= radii[$0] } }.count
            return Double(inside) / Double(points.count)
        }
        return (share(generatedRows, insideBallsOf: realRows, radii: realRadii), share(realRows, insideBallsOf: generatedRows, radii: generatedRadii))
    }

    /// The share of rows of `logits` whose largest entry is at `classes[n]`.
    public static func conditionalAccuracy(logits: Tensor, classes: [Int]) -> Double {
        precondition(logits.shape[0] == classes.count, "conditionalAccuracy: one class per sample")
        let width = logits.shape[1], values = logits.scalars
        let hits = classes.indices.filter { n in
            let row = values[(n * width)..<((n + 1) * width)]
            return row.indices.max { row[$0] < row[$1] }! - n * width == classes[n]
        }.count
        return Double(hits) / Double(max(classes.count, 1))
    }

    // MARK: Helpers

    private static func rows(_ x: Tensor) -> [[Double]] {
        let width = x.count / max(x.shape[0], 1), values = x.scalars
        return (0..<x.shape[0]).map { n in values[(n * width)..<((n + 1) * width)].map(Double.init) }
    }

    private static func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    /// Each point's squared distance to its `k`-th nearest other point.
    private static func kthNeighbourDistances(_ points: [[Double]], k: Int) -> [Double] {
        points.indices.map { i in
            var distances = points.indices.filter { $0 != i }.map { squaredDistance(points[i], points[$0]) }
            distances.sort()
            return distances[k - 1]
        }
    }

    /// The mean and the (unbiased) covariance of the rows of `x`.
    private static func moments(_ x: Tensor) -> (mean: [Double], covariance: [Double]) {
        let points = rows(x), n = points.count, width = points.first?.count ?? 0
        let mean = (0..<width).map { j in points.reduce(0) { $0 + $1[j] } / Double(n) }
        var covariance = [Double](repeating: 0, count: width * width)
        for point in points {
            let centered = zip(point, mean).map { $0 - $1 }
            for i in 0..<width { for j in i..<width { covariance[i * width + j] += centered[i] * centered[j] } }
        }
        for i in 0..<width {
            for j in i..<width {
                covariance[i * width + j] /= Double(max(n - 1, 1))
                covariance[j * width + i] = covariance[i * width + j]
            }
        }
        return (mean, covariance)
    }

    private static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let aik = a[i * n + k]; for j in 0..<n { c[i * n + j] += aik * b[k * n + j] } } }
        return c
    }
}
