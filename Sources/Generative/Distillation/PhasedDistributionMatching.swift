import Datasets
import NN
import Optim
import Tensors
import Training

/// Phased DMD's generator (Fan et al. 2025): a mixture of experts over time. The noise range
/// is cut at `boundaries` `b_0 = T > b_1 > … > b_K` (the data end), and expert `k` carries a
/// sample from `b_k` to `b_{k+1}` in one deterministic step (DDIM's, the Euler step of a flow):
/// with its clean estimate `D = D_k(x, b_k)`,
///
///     x' = α(b_{k+1})·D + σ(b_{k+1})·(x − α(b_k)·D)/σ(b_k),
///
/// and the last expert returns `D`. Each expert is a network on the teacher's process and
/// target, started from the teacher's weights.
public struct PhasedGenerator {
    public let experts: [NetworkDenoiser]
    /// `experts.count + 1` times, descending from the pure-noise end; the last is the data end.
    public let boundaries: [Double]

    public var process: NoiseProcess { experts[0].process }

    /// `boundaries` nil: the pure-noise end, the few-step generator's evenly spaced times
    /// (`FewStepGenerator.times`), and the data end.
    public init(experts: [NetworkDenoiser], boundaries: [Double]? = nil) {
        precondition(!experts.isEmpty, "PhasedGenerator: at least one expert")
        precondition(experts.allSatisfy { $0.process == experts[0].process && $0.target == experts[0].target },
                     "PhasedGenerator: the experts share one process and target")
        let process = experts[0].process
        let boundaries = boundaries ?? FewStepGenerator.times(steps: experts.count, process: process) + [process.timeRange.lowerBound]
        precondition(boundaries.count == experts.count + 1 && zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 > $1 },
                     "PhasedGenerator: \(experts.count + 1) descending boundaries, found \(boundaries)")
        (self.experts, self.boundaries) = (experts, boundaries)
    }

    /// Whether `phase` ends at the data end (its output is a clean sample).
    func endsAtData(_ phase: Int) -> Bool { phase == experts.count - 1 }

    /// Expert `phase`'s step of `x` `[N, …]` at `boundaries[phase]`, with gradients in its network.
    public func step(_ x: Tensor, phase: Int) -> Tensor {
        let (from, count) = (boundaries[phase], x.shape[0])
        let estimate = experts[phase].dataPrediction(x, atEach: [Double](repeating: from, count: count))
        guard !endsAtData(phase) else { return estimate }
        let to = boundaries[phase + 1]
        let noise = (x - Float(process.alpha(from)) * estimate) / Float(process.sigma(from))
        return Float(process.alpha(to)) * estimate + Float(process.sigma(to)) * noise
    }

    /// Samples at `boundaries[phase]`: pure noise carried by the experts before `phase`, without gradients.
    public func inputs(phase: Int, count: Int, shape: [Int], using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let start = Float(process.sigma(boundaries[0])) * Tensor.normal([count] + shape, using: &generator)
            return (0..<phase).reduce(start) { step($0, phase: $1) }
        }
    }

    /// `count` samples of `shape` in `experts.count` evaluations.
    public func sample(count: Int, shape: [Int], using generator: inout RandomGenerator) -> Tensor {
        let last = experts.count - 1
        return withoutGradients { step(inputs(phase: last, count: count, shape: shape, using: &generator), phase: last) }
    }
}

/// Phased DMD (Fan et al. 2025, "Few-step Distribution Matching Distillation via Score
/// Matching within Subintervals"): distribution matching for a `PhasedGenerator`, one phase at
/// a time from the noise end (progressive distribution matching), each expert trained while
/// the earlier ones, frozen, bring it its inputs.
///
/// Expert `k` outputs `x_s` at `s = b_{k+1}` from `x` at `b_k`. Its output distribution is
/// matched to the teacher's marginal at `s` by DMD's gradient inside the phase's subinterval:
/// for `t` in `(s, b_k]`, `x_t = a·x_s + σ_{t|s}·ε` with `a = α(t)/α(s)` and
/// `σ_{t|s}² = σ(t)² − a²·σ(s)²` (the process's transition; at the data end `a = α(t)`,
/// `σ_{t|s} = σ(t)`), and
///
///     ∇_{x_s} ≈ a·(μ_fake − μ_real)/mean|x̂₀ − μ_real|,
///
/// DMD's normalised score difference (`x̂₀`, the teacher's clean estimate of `x_s`, is `x_s`
/// itself at the data end, where this is DMD's rule). The fake score, a fresh copy of the
/// teacher per phase, learns the noised outputs by score matching within the subinterval:
/// the noisy target `x_s` is not data, so it regresses the transition's score,
///
///     L_fake = mean ‖σ_{t|s}·s_fake(x_t, t) + ε‖²,   s_fake = (α(t)·μ_fake − x_t)/σ(t)²,
///
/// whose minimiser is the marginal score at `t` (the conditional score's mean given `x_t`);
/// at the data end it is the ε-prediction loss.
public struct PhasedDistributionMatching: TrainingObjective {
    /// The teacher's score.
    public let realScore: any Denoiser
    /// This phase's fake score: a network on the teacher's process and target, trained here.
    public let fakeScore: NetworkDenoiser
    public let generator: PhasedGenerator
    /// The phase trained: its expert's network is the trainer's student.
    public let phase: Int
    public let fakeScoreUpdates: Int
    /// The fake score's learning rate per step; nil for the generator's.
    public var fakeScoreSchedule: LearningRateSchedule?
    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }
    public var optimizedModules: [OptimizedModule] {
        [OptimizedModule(name: DistributionMatchingDistillation.fakeScoreName, module: fakeScore.network, schedule: fakeScoreSchedule, pass: .ownPass,
                         updatesPerStep: fakeScoreUpdates)]
    }

    /// Times nearer the subinterval's lower end than this share of its length are not drawn:
    /// there `σ_{t|s}` vanishes, and at the data end `σ(t)` with it.
    static let minimumGap = 1e-3

    public init(realScore: any Denoiser, fakeScore: NetworkDenoiser, generator: PhasedGenerator, phase: Int, fakeScoreUpdates: Int = 5) {
        precondition(generator.experts.indices.contains(phase), "PhasedDistributionMatching: phase \(phase) of \(generator.experts.count)")
        precondition(fakeScore.process == generator.process && fakeScore.target == generator.experts[0].target,
                     "PhasedDistributionMatching: the fake score and the experts share the teacher's process and target")
        precondition(fakeScoreUpdates >= 1, "PhasedDistributionMatching: at least one fake-score update per step")
        (self.realScore, self.fakeScore, self.generator) = (ReparameterizedDenoiser.on(generator.process, realScore), fakeScore, generator)
        (self.phase, self.fakeScoreUpdates) = (phase, fakeScoreUpdates)
    }

    /// A batch for one loss: the phase's inputs (or outputs, for the fake score), times in
    /// the subinterval and the transition's noise.
    public struct Draw {
        let samples: Tensor
        let times: [Double]
        let noise: Tensor
    }

    public struct Prepared {
        /// The phase's inputs at `b_k`, for the generator's update.
        let generator: Draw
        /// The phase's outputs at `b_{k+1}`, one batch per fake-score update.
        let fakeScore: [Draw]
    }

    private var start: Double { generator.boundaries[phase + 1] }
    private var end: Double { generator.boundaries[phase] }

    private func draw(_ samples: Tensor, using random: inout RandomGenerator) -> Draw {
        let (low, length) = (start, end - start)
        let times = (0..<samples.shape[0]).map { _ in low + length * (Self.minimumGap + (1 - Self.minimumGap) * Double(random.nextUniform())) }
        return Draw(samples: samples, times: times, noise: Tensor.normal(samples.shape, using: &random))
    }

    public func prepare(_ batch: Batch, student _: Module, epoch _: Int, using random: inout RandomGenerator) throws -> Prepared {
        let (count, shape) = (batch.count, Array(batch.inputs.shape.dropFirst()))
        let fakeScoreDraws = (0..<fakeScoreUpdates).map { _ in
            let inputs = generator.inputs(phase: phase, count: count, shape: shape, using: &random)
            return draw(withoutGradients { generator.step(inputs, phase: phase) }, using: &random)
        }
        return Prepared(generator: draw(generator.inputs(phase: phase, count: count, shape: shape, using: &random), using: &random), fakeScore: fakeScoreDraws)
    }

    /// `x_t` from outputs `x_s` at the phase's end, and per sample `a` and `σ_{t|s}`.
    private func transition(_ outputs: Tensor, to draw: Draw) -> (noisy: Tensor, scale: [Double], sigma: [Double]) {
        let process = generator.process
        let atData = generator.endsAtData(phase)
        let (alphaS, sigmaS) = atData ? (1, 0) : (process.alpha(start), process.sigma(start))
        let scale = draw.times.map { process.alpha($0) / alphaS }
        let sigma = zip(draw.times, scale).map { time, a in (max(0, process.sigma(time) * process.sigma(time) - a * a * sigmaS * sigmaS)).squareRoot() }
        return (perSample(scale, like: outputs) * outputs + perSample(sigma, like: outputs) * draw.noise, scale, sigma)
    }

    /// The fake score's update: score matching within the subinterval on the phase's outputs.
    public func loss(_ prepared: Prepared, student _: Module, updating _: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        let draw = prepared.fakeScore[update]
        let (noisy, _, sigma) = transition(draw.samples, to: draw)
        let process = generator.process
        let estimate = fakeScore.dataPrediction(noisy, atEach: draw.times)
        // σ_{t|s}·(α(t)·μ − x_t)/σ(t)² + ε, per sample's coefficients.
        let weight = zip(draw.times, sigma).map { time, conditional in conditional / (process.sigma(time) * process.sigma(time)) }
        let residual = perSample(weight, like: noisy) * (perSample(draw.times.map(process.alpha), like: noisy) * estimate - noisy) + draw.noise
        let total = residual.squared().mean()
        return (total, ["subinterval_score_matching": total.item])
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let draw = prepared.generator
        let outputs = generator.step(draw.samples, phase: phase)
        let fixed = outputs.detached()
        let (noisy, scale, _) = transition(fixed, to: draw)
        let real = try realScore.estimate(noisy, atEach: draw.times).data
        let fake = try fakeScore.estimate(noisy, atEach: draw.times).data
        let clean = generator.endsAtData(phase) ? fixed : try realScore.estimate(fixed, atEach: [Double](repeating: start, count: fixed.shape[0])).data
        let gradient = perSample(scale, like: fixed) * normalisedScoreDifference(real: real, fake: fake, clean: clean)
        let total = 0.5 * (outputs - (fixed - gradient)).squared().mean()
        return (total, ["distribution_matching": total.item])
    }
}
