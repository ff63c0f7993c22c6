import Generative
import Tensors
import XCTest

/// Noise processes, prediction targets, the analytic mixture denoiser and the samplers, on
/// the 8-Gaussian ring, whose exact denoiser leaves the samplers' error alone to measure.
final class SamplerTests: XCTestCase {
    private let mixture = GaussianMixture.ring(components: 8, radius: 2, standardDeviation: 0.1)

    func testEveryProcessStartsAtTheDataAndItsDerivativesMatchFiniteDifferences() {
        for kind in NoiseProcess.Kind.allCases {
            let process = NoiseProcess(kind)
            XCTAssertEqual(process.alpha(0), 1, accuracy: 1e-9, kind.rawValue)
            XCTAssertEqual(process.sigma(0), 0, accuracy: 1e-9, kind.rawValue)
            let end = process.timeRange.upperBound
            for t in [0.1, 0.37, 0.8].map({ $0 * end }) {
                let h = 1e-6 * end
                XCTAssertEqual(process.alphaDerivative(t), (process.alpha(t + h) - process.alpha(t - h)) / (2 * h), accuracy: 1e-4, "\(kind) α′(\(t))")
                XCTAssertEqual(process.sigmaDerivative(t), (process.sigma(t + h) - process.sigma(t - h)) / (2 * h), accuracy: 1e-4, "\(kind) σ′(\(t))")
            }
            let grid = process.samplingTimes(steps: 7)
            XCTAssertEqual(grid.count, 8)
            XCTAssertEqual(grid.last, 0)
            XCTAssertEqual(grid, grid.sorted(by: >), "\(kind): the grid runs from noise to data")
        }
    }

    func testEveryPredictionTargetConvertsBackToTheDataAndNoise() {
        var generator = RandomGenerator(seed: 1)
        let data = Tensor.normal([16, 2], using: &generator), noise = Tensor.normal([16, 2], using: &generator)
        for kind in NoiseProcess.Kind.allCases {
            let process = NoiseProcess(kind)
            let t = 0.3 * process.timeRange.upperBound
            let x = Float(process.alpha(t)) * data + Float(process.sigma(t)) * noise
            for target in PredictionTarget.allCases {
                let prediction = target.target(data: data, noise: noise, at: t, process: process)
                let (recovered, recoveredNoise) = target.dataAndNoise(prediction, x: x, at: t, process: process)
                XCTAssertLessThan((recovered - data).abs().max().item, 1e-3, "\(kind) \(target)")
                XCTAssertLessThan((recoveredNoise - noise).abs().max().item, 1e-3, "\(kind) \(target)")
            }
        }
    }

    /// Each process's time of a given noise-to-signal ratio inverts `σ/α`, and the mixture's
    /// exact denoiser on one process, reparameterized onto another, gives that process's own
    /// exact estimates.
    func testADenoiserOfOneProcessServesAnotherAtTheTimeOfEqualNoiseToSignal() throws {
        for kind in NoiseProcess.Kind.allCases {
            let process = NoiseProcess(kind)
            for t in [0.05, 0.3, 0.7].map({ $0 * process.timeRange.upperBound }) {
                let ratio = process.sigma(t) / process.alpha(t)
                XCTAssertEqual(process.time(noiseToSignal: ratio), t, accuracy: 1e-6 * process.timeRange.upperBound, "\(kind) at \(t)")
            }
            XCTAssertEqual(process.time(noiseToSignal: 0), 0, accuracy: 1e-9, "\(kind)")
        }
        var generator = RandomGenerator(seed: 4)
        let x = Tensor.normal([16, 2], using: &generator) * 1.5
        for (from, to) in [(NoiseProcess.Kind.rectifiedFlow, NoiseProcess.Kind.edm), (.vpCosine, .trigFlow), (.edm, .vpLinear)] {
            let target = NoiseProcess(to)
            let reparameterized = ReparameterizedDenoiser(GaussianMixtureDenoiser(mixture, process: NoiseProcess(from)), on: target)
            let exact = GaussianMixtureDenoiser(mixture, process: target)
            let times = [0.02, 0.2, 0.5, 0.9].map { $0 * target.timeRange.upperBound }
            let rows = (0..<16).map { times[$0 % times.count] }
            let (data, noise) = try reparameterized.estimate(x, atEach: rows)
            let (exactData, exactNoise) = try exact.estimate(x, atEach: rows)
            XCTAssertLessThan((data - exactData).abs().max().item, 1e-3, "\(from) on \(to): x₀")
            XCTAssertLessThan((noise - exactNoise).abs().max().item, 1e-3, "\(from) on \(to): ε")
        }
    }

    /// Tweedie's formula: `E[x₀|x] = (x + σ²∇log p(x)) / α`, with the gradient of the
    /// mixture's exact log density taken by central differences.
    func testTheMixtureDenoiserIsTheExactPosteriorMean() {
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.normal([32, 2], using: &generator) * 1.5
        for (alpha, sigma) in [(Float(0.9), Float(0.3)), (0.5, 0.8), (1, 0.05)] {
            let mean = mixture.posteriorMean(x, alpha: alpha, sigma: sigma)
            let h: Float = 1e-2
            var gradient = [Float](repeating: 0, count: 64)
            for axis in 0..<2 {
                var offset = [Float](repeating: 0, count: 64)
                for n in 0..<32 { offset[n * 2 + axis] = h }
                let step = Tensor(offset, shape: [32, 2])
                let difference = (mixture.logDensity(x + step, alpha: alpha, sigma: sigma) - mixture.logDensity(x - step, alpha: alpha, sigma: sigma)).scalars
                for n in 0..<32 { gradient[n * 2 + axis] = difference[n] / (2 * h) }
            }
            let tweedie = (x + sigma * sigma * Tensor(gradient, shape: [32, 2])) / alpha
            XCTAssertLessThan((mean - tweedie).abs().max().item, 2e-2, "α \(alpha), σ \(sigma)")
        }
    }

    /// With the exact denoiser, every sampler on every process reaches the data: the sliced
    /// Wasserstein distance to held-out samples at 256 steps is under 5% of the data's scale.
    func testEverySamplerConvergesOnEveryProcess() throws {
        var generator = RandomGenerator(seed: 3)
        let heldOut = mixture.sample(count: 2000, using: &generator)
        let limit = 0.05 * Double(mixture.scale)
        for kind in NoiseProcess.Kind.allCases {
            let denoiser = GaussianMixtureDenoiser(mixture, process: NoiseProcess(kind))
            for method in Sampler.Method.allCases {
                var sampling = RandomGenerator(seed: 4)
                let (samples, evaluations) = try Sampler(method, steps: 256).sample(denoiser, count: 2000, shape: [2], using: &sampling)
                XCTAssertEqual(evaluations, method == .heun ? 511 : 256, "\(kind) \(method)")
                let distance = PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128)
                XCTAssertLessThan(distance, limit, "\(kind) \(method): SWD \(distance)")
                XCTAssertEqual(PointCloudMetrics.modeCoverage(samples, mixture: mixture).covered, 8, "\(kind) \(method)")
            }
        }
    }

    /// At equal network evaluations Heun's second-order steps land closer to the ODE's exact
    /// end point (Heun at 1,024 steps from the same noise) than Euler's, and DPM-Solver++(2M)
    /// closer than DDIM at equal steps.
    /// At equal network evaluations, second-order steps land closer to the ODE's end point
    /// (Heun at 1,024 steps from the same noise) than first-order ones, on modes of σ 0.3:
    /// Heun than Euler on the straight rectified flow (and on EDM's grid from 24 steps), and
    /// DPM-Solver++(2M) than DDIM. With sharper modes (σ 0.1) and a handful of steps, Heun's
    /// corrector overshoots where the denoiser is stiff, as measured in the session notes.
    func testHigherOrderSolversAreMoreAccurateAtEqualEvaluations() throws {
        let smooth = GaussianMixture.ring(components: 8, radius: 2, standardDeviation: 0.3)
        func errors(_ kind: NoiseProcess.Kind, _ samplers: [Sampler]) throws -> [Double] {
            let denoiser = GaussianMixtureDenoiser(smooth, process: NoiseProcess(kind))
            var generator = RandomGenerator(seed: 5)
            let start = denoiser.process.samplingTimes(steps: 1)[0]
            let noise = Tensor.normal([500, 2], using: &generator) * Float(denoiser.process.sigma(start))
            let exact = try Sampler(.heun, steps: 1024).sample(denoiser, from: noise, using: &generator).samples
            return try samplers.map { sampler in
                let samples = try sampler.sample(denoiser, from: noise, using: &generator).samples
                return Double((samples - exact).squared().sum(axis: 1).sqrt().mean().item)
            }
        }
        for steps in [4, 6, 12, 24] {
            let nfe = 2 * steps - 1
            let flow = try errors(.rectifiedFlow, [Sampler(.heun, steps: steps), Sampler(.euler, steps: nfe), Sampler(.dpmSolver2M, steps: nfe), Sampler(.ddim, steps: nfe)])
            XCTAssertLessThan(flow[0], flow[1], "rectified flow, NFE \(nfe): Heun \(flow[0]), Euler \(flow[1])")
            XCTAssertLessThan(flow[2], flow[3], "rectified flow, NFE \(nfe): DPM-Solver++(2M) \(flow[2]), DDIM \(flow[3])")
            let vp = try errors(.vpLinear, [Sampler(.dpmSolver2M, steps: nfe), Sampler(.ddim, steps: nfe)])
            XCTAssertLessThan(vp[0], vp[1], "VP, NFE \(nfe): DPM-Solver++(2M) \(vp[0]), DDIM \(vp[1])")
        }
        let edm = try errors(.edm, [Sampler(.heun, steps: 24), Sampler(.euler, steps: 47), Sampler(.ddim, steps: 47)])
        XCTAssertLessThan(edm[0], edm[1], "EDM, NFE 47: Heun \(edm[0]), Euler \(edm[1])")
        XCTAssertEqual(edm[1], edm[2], accuracy: 1e-5, "on EDM's process DDIM (η = 0) is Euler's method in σ")
    }
}

final class PointCloudMetricTests: XCTestCase {
    func testSlicedWassersteinOfAShiftIsTheMeanProjectedShift() {
        var generator = RandomGenerator(seed: 6)
        let points = Tensor.normal([1000, 2], using: &generator)
        XCTAssertEqual(PointCloudMetrics.slicedWasserstein(points, points), 0, accuracy: 1e-9)
        let shifted = points + Tensor([3, 4], shape: [1, 2])
        // |δ| = 5; E|θ·δ| over uniform directions in 2-D is 2|δ|/π.
        XCTAssertEqual(PointCloudMetrics.slicedWasserstein(points, shifted, projections: 2000), 10 / Double.pi, accuracy: 0.05)
    }

    func testMMDSeparatesDistributionsAndCoverageCountsModes() {
        let mixture = GaussianMixture.ring()
        var generator = RandomGenerator(seed: 7)
        let a = mixture.sample(count: 400, using: &generator), b = mixture.sample(count: 400, using: &generator)
        let same = PointCloudMetrics.maximumMeanDiscrepancy(a, b)
        let other = PointCloudMetrics.maximumMeanDiscrepancy(a, b * 0.5)
        XCTAssertLessThan(abs(same), 0.01)
        XCTAssertGreaterThan(other, 10 * max(abs(same), 1e-3))
        // Half of the modes only.
        let half = GaussianMixture(means: Array(mixture.means.prefix(4)), standardDeviations: [0.1, 0.1, 0.1, 0.1])
        let coverage = PointCloudMetrics.modeCoverage(half.sample(count: 400, using: &generator), mixture: mixture)
        XCTAssertEqual(coverage.covered, 4)
        XCTAssertEqual(coverage.highQuality, 1, accuracy: 0.01)
        XCTAssertEqual(PointCloudMetrics.modeCoverage(b * 0.5, mixture: mixture).covered, 0)
    }
}
