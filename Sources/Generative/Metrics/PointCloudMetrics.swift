import Foundation
import Tensors

/// Distances between two sets of points (`[N, D]` samples against held-out data), for
/// judging low-dimensional generative models.
public enum PointCloudMetrics {
    /// The sliced Wasserstein-1 distance: the mean over `projections` random unit directions
    /// θ of the 1-D Wasserstein-1 distance between the projections `θ·a` and `θ·b`, each
    /// computed from the sorted projections (quantiles at `(i + ½)/M`, `M = max(N_a, N_b)`).
    /// It is zero for equal distributions, and a shift by δ gives `E|θ·δ|` (`2|δ|/π` in 2-D).
    public static func slicedWasserstein(_ a: Tensor, _ b: Tensor, projections: Int = 256, seed: UInt64 = 0) -> Double {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1], "slicedWasserstein: [N, D] point sets of one D, found \(a.shape) and \(b.shape)")
        var generator = RandomGenerator(seed: seed)
        let dimension = a.shape[1]
        let (pointsA, pointsB) = (a.scalars, b.scalars)
        var total = 0.0
        for _ in 0..<projections {
            var direction = (0..<dimension).map { _ in Double(generator.nextNormal()) }
            let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            direction = direction.map { $0 / max(norm, 1e-12) }
            func projected(_ points: [Float], _ count: Int) -> [Double] {
                (0..<count).map { n in (0..<dimension).reduce(0) { $0 + direction[$1] * Double(points[n * dimension + $1]) } }.sorted()
            }
            let (sortedA, sortedB) = (projected(pointsA, a.shape[0]), projected(pointsB, b.shape[0]))
            let quantiles = max(sortedA.count, sortedB.count)
            var distance = 0.0
            for index in 0..<quantiles {
                let level = (Double(index) + 0.5) / Double(quantiles)
                distance += abs(quantile(sortedA, level) - quantile(sortedB, level))
            }
            total += distance / Double(quantiles)
        }
        return total / Double(projections)
    }

    /// The unbiased estimate of the squared maximum mean discrepancy with the Gaussian kernel
    /// `k(x, y) = exp(−‖x − y‖² / (2h²))` (Gretton et al. 2012): mean `k` within `a` and within
    /// `b` (diagonals excluded) less twice the mean across. `bandwidth` defaults to the median
    /// distance between points of `b` (the median heuristic).
    public static func maximumMeanDiscrepancy(_ a: Tensor, _ b: Tensor, bandwidth: Double? = nil) -> Double {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1] && a.shape[0] >= 2 && b.shape[0] >= 2,
                     "maximumMeanDiscrepancy: [N ≥ 2, D] point sets of one D, found \(a.shape) and \(b.shape)")
        let dimension = a.shape[1]
        let (pointsA, pointsB) = (a.scalars, b.scalars)
        func squaredDistance(_ p: [Float], _ i: Int, _ q: [Float], _ j: Int) -> Double {
            (0..<dimension).reduce(0) { let d = Double(p[i * dimension + $1] - q[j * dimension + $1]); return $0 + d * d }
        }
        let h = bandwidth ?? medianDistance(pointsB, count: b.shape[0], dimension: dimension)
        let scale = 1 / (2 * h * h)
        func meanKernel(_ p: [Float], _ n: Int, _ q: [Float], _ m: Int, excludingDiagonal: Bool) -> Double {
            var sum = 0.0
            for i in 0..<n {
                for j in 0..<m where !(excludingDiagonal && i == j) { sum += Foundation.exp(-squaredDistance(p, i, q, j) * scale) }
            }
            return sum / Double(excludingDiagonal ? n * (m - 1) : n * m)
        }
        let (n, m) = (a.shape[0], b.shape[0])
        return meanKernel(pointsA, n, pointsA, n, excludingDiagonal: true) + meanKernel(pointsB, m, pointsB, m, excludingDiagonal: true)
            - 2 * meanKernel(pointsA, n, pointsB, m, excludingDiagonal: false)
    }

    /// How a set of samples covers a mixture's modes: a sample belongs to the nearest mean
    /// when within 3 of that component's standard deviations (per dimension, so within
    /// `3σ√D`); a mode is covered when it holds at least a quarter of the samples its weight
    /// expects. `highQuality` is the share of samples that belong to some mode.
    public static func modeCoverage(_ samples: Tensor, mixture: GaussianMixture) -> (covered: Int, of: Int, highQuality: Double) {
        let count = samples.shape[0]
        var members = [Int](repeating: 0, count: mixture.componentCount)
        for (component, isWithin) in modeAssignments(samples, mixture: mixture) where isWithin { members[component] += 1 }
        let covered = members.indices.filter { Float(members[$0]) >= 0.25 * mixture.weights[$0] * Float(count) }.count
        return (covered, mixture.componentCount, Double(members.reduce(0, +)) / Double(max(count, 1)))
    }

    /// Conditional accuracy on a mixture whose components are the classes: the share of
    /// samples generated for class `classes[n]` that lie within `3σ√D` of that component's
    /// mean and nearer to it than to any other.
    public static func conditionalAccuracy(_ samples: Tensor, classes: [Int], mixture: GaussianMixture) -> Double {
        precondition(classes.count == samples.shape[0], "conditionalAccuracy: one class per sample")
        let hits = zip(modeAssignments(samples, mixture: mixture), classes).filter { $0.0.isWithin && $0.0.component == $0.1 }.count
        return Double(hits) / Double(max(classes.count, 1))
    }

    /// Each sample's nearest component, and whether it lies within 3 of that component's
    /// standard deviations per dimension (`3σ√D`).
    private static func modeAssignments(_ samples: Tensor, mixture: GaussianMixture) -> [(component: Int, isWithin: Bool)] {
        let (count, dimension) = (samples.shape[0], samples.shape[1])
        let points = samples.scalars
        return (0..<count).map { n in
            let distances = mixture.means.map { mean in
                (0..<dimension).reduce(Float(0)) { let d = points[n * dimension + $1] - mean[$1]; return $0 + d * d }.squareRoot()
            }
            let nearest = distances.indices.min { distances[$0] < distances[$1] }!
            return (nearest, distances[nearest] <= 3 * mixture.standardDeviations[nearest] * Float(dimension).squareRoot())
        }
    }

    private static func quantile(_ sorted: [Double], _ level: Double) -> Double {
        let position = level * Double(sorted.count) - 0.5
        let lower = min(max(Int(position.rounded(.down)), 0), sorted.count - 1)
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = min(max(position - Double(lower), 0), 1)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    private static func medianDistance(_ points: [Float], count: Int, dimension: Int) -> Double {
        var distances: [Double] = []
        // At most 1,000 points: the median of ~500,000 pairs is stable enough.
        let used = min(count, 1000)
        for i in 0..<used {
            for j in (i + 1)..<used {
                distances.append((0..<dimension).reduce(0.0) { let d = Double(points[i * dimension + $1] - points[j * dimension + $1]); return $0 + d * d }.squareRoot())
            }
        }
        distances.sort()
        return max(distances[distances.count / 2], 1e-12)
    }
}
