import Foundation
import Tensors

/// A mixture of isotropic Gaussians in `D` dimensions: a 2-D data set whose density, and so
/// whose score and posterior mean at every noise level, is known exactly. As a teacher it
/// lets a test measure a distillation's error alone, with no teacher training.
public struct GaussianMixture: Sendable {
    /// The component means, `[K, D]`, row by row.
    public let means: [[Float]]
    /// Each component's standard deviation.
    public let standardDeviations: [Float]
    /// The mixing weights (summing to 1).
    public let weights: [Float]

    public var dimension: Int { means[0].count }
    public var componentCount: Int { means.count }

    public init(means: [[Float]], standardDeviations: [Float], weights: [Float]? = nil) {
        precondition(!means.isEmpty && means.allSatisfy { $0.count == means[0].count } && standardDeviations.count == means.count,
                     "GaussianMixture: \(means.count) means and \(standardDeviations.count) deviations of one dimension")
        let weights = weights ?? [Float](repeating: 1 / Float(means.count), count: means.count)
        precondition(weights.count == means.count && weights.allSatisfy { $0 > 0 }, "GaussianMixture: one positive weight per component")
        let total = weights.reduce(0, +)
        (self.means, self.standardDeviations, self.weights) = (means, standardDeviations, weights.map { $0 / total })
    }

    /// `components` equal Gaussians of deviation `standardDeviation` evenly spaced on a circle
    /// of `radius` (the "8 Gaussians" of the generative-model literature).
    public static func ring(components: Int = 8, radius: Float = 2, standardDeviation: Float = 0.1) -> GaussianMixture {
        GaussianMixture(
            means: (0..<components).map { index in
                let angle = 2 * Float.pi * Float(index) / Float(components)
                return [radius * Foundation.cos(angle), radius * Foundation.sin(angle)]
            },
            standardDeviations: [Float](repeating: standardDeviation, count: components))
    }

    /// `count` samples `[count, D]`.
    public func sample(count: Int, using generator: inout RandomGenerator) -> Tensor {
        labeledSample(count: count, using: &generator).samples
    }

    /// `count` samples `[count, D]` with the component each was drawn from: a labelled data
    /// set whose classes are the components.
    public func labeledSample(count: Int, using generator: inout RandomGenerator) -> (samples: Tensor, components: [Int]) {
        var cumulative: [Float] = []
        for weight in weights { cumulative.append((cumulative.last ?? 0) + weight) }
        var values: [Float] = [], components: [Int] = []
        values.reserveCapacity(count * dimension)
        for _ in 0..<count {
            let u = generator.nextUniform()
            let component = cumulative.firstIndex { u < $0 } ?? componentCount - 1
            components.append(component)
            for axis in 0..<dimension { values.append(means[component][axis] + standardDeviations[component] * generator.nextNormal()) }
        }
        return (Tensor(values, shape: [count, dimension]), components)
    }

    /// The root-mean-square distance of the data from its mean: the scale sample distances
    /// are judged against.
    public var scale: Float {
        let center = (0..<dimension).map { axis in zip(weights, means).reduce(0) { $0 + $1.0 * $1.1[axis] } }
        let spread = zip(weights, zip(means, standardDeviations)).reduce(Float(0)) { total, entry in
            let (weight, (mean, deviation)) = entry
            let offset = zip(mean, center).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return total + weight * (offset + Float(dimension) * deviation * deviation)
        }
        return spread.squareRoot()
    }

    /// The per-component posterior means of `x₀` given `x = α·x₀ + σ·ε`, weighted by the
    /// components' posterior responsibilities, and the log density of `x`, for each sample `n`
    /// of `x` at its own `alphas[n]`, `sigmas[n]`; the work behind `posteriorMean` and
    /// `logDensity`.
    private func posterior(_ x: Tensor, alphas: [Float], sigmas: [Float]) -> (mean: [Float], logDensity: [Float]) {
        let (count, dimension) = (x.shape[0], self.dimension)
        var mean = [Float](repeating: 0, count: count * dimension), logDensity = [Float](repeating: 0, count: count)
        x.withUnsafeBufferPointer { points in
            var logs = [Float](repeating: 0, count: componentCount)
            for n in 0..<count {
                let (alpha, sigma) = (alphas[n], sigmas[n])
                let variances = standardDeviations.map { alpha * alpha * $0 * $0 + sigma * sigma }
                let point = points.baseAddress! + n * dimension
                for k in 0..<componentCount {
                    var squared: Float = 0
                    for axis in 0..<dimension {
                        let difference = point[axis] - alpha * means[k][axis]
                        squared += difference * difference
                    }
                    let logNormalizer = Foundation.log(weights[k]) - 0.5 * Float(dimension) * Foundation.log(2 * .pi * variances[k])
                    logs[k] = logNormalizer - 0.5 * squared / variances[k]
                }
                let largest = logs.max()!
                let total = logs.reduce(0) { $0 + Foundation.exp($1 - largest) }
                logDensity[n] = largest + Foundation.log(total)
                for k in 0..<componentCount {
                    let responsibility = Foundation.exp(logs[k] - largest) / total
                    let gain = alpha * standardDeviations[k] * standardDeviations[k] / variances[k]
                    for axis in 0..<dimension {
                        mean[n * dimension + axis] += responsibility * (means[k][axis] + gain * (point[axis] - alpha * means[k][axis]))
                    }
                }
            }
        }
        return (mean, logDensity)
    }

    /// `E[x₀ | x]` for `x = α·x₀ + σ·ε` (`[N, D]`): each component's Gaussian posterior mean,
    /// weighted by the component's posterior probability.
    public func posteriorMean(_ x: Tensor, alpha: Float, sigma: Float) -> Tensor {
        posteriorMean(x, alphas: [Float](repeating: alpha, count: x.shape[0]), sigmas: [Float](repeating: sigma, count: x.shape[0]))
    }

    /// The same with sample `n` noised by its own `alphas[n]` and `sigmas[n]`.
    public func posteriorMean(_ x: Tensor, alphas: [Float], sigmas: [Float]) -> Tensor {
        Tensor(posterior(x, alphas: alphas, sigmas: sigmas).mean, shape: x.shape)
    }

    /// `log p(x)` of `x = α·x₀ + σ·ε` (`[N]`).
    public func logDensity(_ x: Tensor, alpha: Float, sigma: Float) -> Tensor {
        Tensor(posterior(x, alphas: [Float](repeating: alpha, count: x.shape[0]), sigmas: [Float](repeating: sigma, count: x.shape[0])).logDensity,
               shape: [x.shape[0]])
    }
}

/// The exact denoiser of a Gaussian mixture under a noise process: the posterior mean of
/// the clean data, the best any network trained on the mixture could do.
public struct GaussianMixtureDenoiser: Denoiser {
    public let mixture: GaussianMixture
    public let process: NoiseProcess

    public init(_ mixture: GaussianMixture, process: NoiseProcess) {
        (self.mixture, self.process) = (mixture, process)
    }

    public func estimate(_ x: Tensor, atEach times: [Double]) throws -> (data: Tensor, noise: Tensor) {
        let data = mixture.posteriorMean(x, alphas: times.map { Float(process.alpha($0)) }, sigmas: times.map { Float(process.sigma($0)) })
        return PredictionTarget.data.dataAndNoise(data, x: x, atEach: times, process: process)
    }
}
