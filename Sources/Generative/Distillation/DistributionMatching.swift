import Configuration
import Datasets
import Foundation
import NN
import Optim
import Tensors
import Training

/// Distribution matching distillation: DMD (Yin et al. 2023) and DMD2 (Yin et al. 2024), with
/// SiD's and VSD's generator losses.
///
/// A few-step generator `G` learns to sample the teacher's distribution by descending the
/// reverse KL divergence between its output distribution and the teacher's, through two
/// scores of the noised distributions: the teacher's (`realScore`) and a "fake" score,
/// another network initialised from the teacher and trained on the generator's current
/// samples with the teacher's own denoising loss. For a sample `x = G(z)`, a time `t` drawn
/// from the middle of the process's 1000-step grid (DMD2's 2%…98%) and noise ε,
/// `x_t = α(t)·x + σ(t)·ε`, and with the clean estimates `μ_real`, `μ_fake` at `x_t`,
///
///     ∇_x KL ≈ (μ_fake − μ_real) / mean|x − μ_real|     (DMD eq. 7–8; DMD2 eq. 2)
///
/// — the difference of the two scores, each sample normalised by its mean absolute denoising
/// error. It reaches `G`'s weights as the gradient of `½·mean(x − sg(x − grad))²`.
///
/// - DMD adds a regression loss on fixed pairs of noise and the teacher's ODE sample from it
///   (DMD eq. 9; the paper's LPIPS is a mean squared error here), which keeps modes
///   the reverse KL alone would drop; its fake score updates once per generator step.
/// - DMD2 drops the regression and updates the fake score `fakeScoreUpdates` = 5 times per
///   generator step (its two-time-scale rule, §4.2), each on fresh samples; a multi-step
///   generator trains on the inputs it meets when it samples itself (backward simulation, §4.4).
/// - DMD2's GAN term (`adversarial`, §4.3) adds a classifier head on the fake score's
///   features, data against the generator's samples.
/// - SiD (score identity distillation, Zhou et al. 2024) keeps the fake score and replaces the
///   generator's loss (`GeneratorLoss.scoreIdentity`), differentiated through both scores.
/// - VSD (ProlificDreamer; SwiftBrush for a one-step generator) weights the noise
///   predictions' difference instead (`GeneratorLoss.variationalScore`), its fake score LoRA
///   adapters on the teacher.
/// - DisBack (`backtracking`) replaces the real score, for the first epochs, by checkpoints of
///   the teacher degraded toward the initial generator, walked back to the teacher.
/// - SIGN (`idempotence`) adds an idempotent generative network's reconstruction and
///   idempotence losses to DMD's, so that the one-step generator `f` also maps its own
///   samples, and the data, to themselves.
///
/// A class-conditional generator (a network with classes, DMD2's ImageNet setting) draws a
/// class uniformly for each sample it generates, and the real and fake scores denoise for
/// it; the fake score is then conditional too. (Not yet with DMD's regression, the GAN term,
/// DisBack or SIGN.)
public struct DistributionMatchingDistillation: TrainingObjective {
    /// What the generator descends.
    public enum GeneratorLoss: Sendable, Equatable {
        /// DMD's reverse-KL gradient, at times 2%…98% of the way through the process's grid.
        case distributionMatching
        /// SiD's loss (eq. 23 of the paper; `sid_loss.py`'s `generator_loss`): with
        /// `x = G(z)`, `x_t = α(t)·x + σ(t)·ε` and the two scores' clean estimates `μ_real`,
        /// `μ_fake` at `x_t`, each differentiable in `x`,
        ///
        ///     L = Σ (μ_real − μ_fake)·((μ_real − x) − α·(μ_real − μ_fake)) / mean|x − μ_real|
        ///
        /// summed over a sample's elements (the normaliser without gradients), at times in the
        /// last 80% of the grid toward the data (its `tmax` 800 of 1000). The official
        /// `alpha` is 1.2; `alpha` 1 is the plain identity `(μ_real − μ_fake)·(μ_fake − x)`.
        case scoreIdentity(alpha: Float)
        /// Variational score distillation (ProlificDreamer, Wang et al. 2023, eq. 9), as
        /// SwiftBrush (Nguyen and Tran 2024, eq. 6) distils a one-step generator with it: the
        /// noise predictions' difference, weighted by the noise's share of `x_t`'s variance
        /// (threestudio's `1 − ᾱ_t` on the VP process),
        ///
        ///     ∇_x = w(t)·(ε_real − ε_fake) = w(t)·(α/σ)·(μ_fake − μ_real),   w(t) = σ²/(α² + σ²),
        ///
        /// at times 2%…98% of the way through the grid, reaching `G` through
        /// `½·Σ(x − sg(x − ∇_x))²` per sample. The fake score is usually a LoRA adapter on the
        /// teacher (`LoRA.inject`), trained once per generator step.
        case variationalScore
    }

    /// DMD's regression loss (eq. 9): pairs `[P, 2, …]` of a teacher sample and the noise its
    /// ODE started from, a random batch of them each step.
    public struct Regression {
        public let pairs: Tensor
        public let weight: Float

        public init(pairs: Tensor, weight: Float = 0.25) {
            precondition(pairs.rank >= 3 && pairs.shape[1] == 2, "Regression: pairs [P, 2, …], found \(pairs.shape)")
            (self.pairs, self.weight) = (pairs, weight)
        }
    }

    /// DMD2's GAN term (§4.3): a classifier head on the fake score's features tells the
    /// data, noised at a random time of the grid, from the generator's samples noised alike.
    /// The fake score's pass adds `discriminatorWeight·(softplus(D(fake)) + softplus(−D(real)))`
    /// (the head and the fake score's network train on it together); the generator adds
    /// `generatorWeight·softplus(−D(G(z)))`, non-saturating (DMD2's `guidance_cls_loss` and
    /// `gen_cls_loss`, weights 10⁻² and 3·10⁻³ on ImageNet).
    public struct Adversarial {
        /// Maps the features at `featurePath` `[N, F]` to one logit per sample.
        public let head: Module
        /// The fake score network's feature tap, DMD2's bottleneck (a `DenoisingMLP`'s last
        /// hidden activation, `network.5` for three hidden layers).
        public let featurePath: String
        public let generatorWeight: Float, discriminatorWeight: Float

        public init(head: Module, featurePath: String, generatorWeight: Float = 3e-3, discriminatorWeight: Float = 1e-2) {
            (self.head, self.featurePath, self.generatorWeight, self.discriminatorWeight) = (head, featurePath, generatorWeight, discriminatorWeight)
        }
    }

    /// SIGN's idempotence terms (Zaman et al. 2025, "Score-based Idempotent Distillation of
    /// Diffusion Models"): an idempotent generative network's (IGN, Shocher et al. 2024, eq. 7)
    /// reconstruction and idempotence losses on the one-step generator `f`, added to DMD's
    /// distribution-matching and regression losses, which take the place of IGN's adversarial
    /// tightening loss:
    ///
    ///     L_rec  = mean|f(x) − x|               for data x,
    ///     L_idem = mean|f′(f(z)) − f(z)|        for noise z, f′ = f with its weights frozen,
    ///
    /// the L1 distance of IGN's code. Through `f′` the gradient reaches the weights only where
    /// `f(z)` is computed: it moves the samples onto the set `f` leaves as it is, rather than
    /// widening that set to take them in (IGN §2.2). The paper's body was not available here;
    /// its reviews name these terms with DMD's (and a flow term, not built).
    public struct Idempotence: Sendable {
        public let reconstructionWeight: Float, idempotenceWeight: Float

        public init(reconstructionWeight: Float = 1, idempotenceWeight: Float = 1) {
            (self.reconstructionWeight, self.idempotenceWeight) = (reconstructionWeight, idempotenceWeight)
        }
    }

    /// The fake score's network and DMD2's classifier head, one module for the fake score's
    /// optimizer (`score.*` and `classifier.*` in checkpoints).
    final class ScoreWithClassifier: Module {
        let score: Module, classifier: Module
        init(score: Module, classifier: Module) {
            (self.score, self.classifier) = (score, classifier)
            super.init()
        }
    }

    /// The teacher's score.
    public let realScore: any Denoiser
    /// The fake score: a network on the teacher's process and target, trained here.
    public let fakeScore: NetworkDenoiser
    public let generator: FewStepGenerator
    /// Fake-score updates per generator step: DMD2's 5, DMD's 1.
    public let fakeScoreUpdates: Int
    /// The fake score's optimizer; nil for a copy of the generator's.
    public let fakeScoreOptimizer: Optimizer?
    /// The fake score's learning rate per step; nil for the generator's (SwiftBrush trains its
    /// LoRA fake score at a higher rate than the generator).
    public var fakeScoreSchedule: LearningRateSchedule?
    public let regression: Regression?
    public let generatorLoss: GeneratorLoss
    /// DisBack's path: the generator's targets before the teacher (nil: the teacher throughout).
    public var backtracking: DistributionBacktracking? {
        didSet { precondition(backtracking == nil || generator.classCount == 0, "DistributionMatchingDistillation: DisBack's path is unconditional") }
    }
    /// DMD2's GAN term; nil for none.
    public let adversarial: Adversarial?
    /// SIGN's reconstruction and idempotence terms, for a one-step generator; nil for none.
    public var idempotence: Idempotence? {
        didSet {
            precondition(idempotence == nil || (generator.times.count == 1 && generator.classCount == 0),
                         "DistributionMatchingDistillation: SIGN's generator takes one step, unconditionally")
        }
    }
    /// What the fake score's optimizer trains: its network, with the classifier head if any.
    private let fakeScoreModule: Module
    /// The fake score's loss: the teacher's denoising loss on the generator's samples.
    let fakeScoreDenoising: DenoisingObjective
    /// The data's map into the training space (the teacher's); the generator never sees data.
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }
    public var optimizedModules: [OptimizedModule] {
        [OptimizedModule(name: Self.fakeScoreName, module: fakeScoreModule, optimizer: fakeScoreOptimizer, schedule: fakeScoreSchedule, pass: .ownPass, updatesPerStep: fakeScoreUpdates)]
    }

    /// The fake score's name in checkpoints and metrics.
    public static let fakeScoreName = "fake_score"

    /// `realScore` is on any process (reparameterized onto the generator's); SiD's loss
    /// differentiates through it, so there it must be a network denoiser on the generator's
    /// process.
    public init(realScore: any Denoiser, fakeScore: NetworkDenoiser, generator: FewStepGenerator, fakeScoreUpdates: Int = 5,
                fakeScoreOptimizer: Optimizer? = nil, regression: Regression? = nil, generatorLoss: GeneratorLoss = .distributionMatching,
                adversarial: Adversarial? = nil) {
        if case .scoreIdentity = generatorLoss {
            precondition((realScore as? NetworkDenoiser)?.process == generator.process,
                         "DistributionMatchingDistillation: SiD differentiates through the teacher, a network denoiser on the generator's process")
        }
        self.generatorLoss = generatorLoss
        precondition(fakeScore.process == generator.process && fakeScore.target == generator.denoiser.target,
                     "DistributionMatchingDistillation: the fake score and the generator share the teacher's process and target")
        precondition(fakeScoreUpdates >= 1, "DistributionMatchingDistillation: at least one fake-score update per step")
        precondition(regression == nil || generator.times.count == 1, "DistributionMatchingDistillation: DMD's regression trains a one-step generator")
        precondition(generator.classCount == 0 || (regression == nil && adversarial == nil && fakeScore.network.classCount == generator.classCount
                                                   && realScore is any ConditionableDenoiser),
                     "DistributionMatchingDistillation: a conditional generator takes conditional scores of its classes, without regression or GAN term")
        (self.realScore, self.fakeScore, self.generator) = (ReparameterizedDenoiser.on(generator.process, realScore), fakeScore, generator)
        (self.fakeScoreUpdates, self.fakeScoreOptimizer, self.regression) = (fakeScoreUpdates, fakeScoreOptimizer, regression)
        fakeScoreDenoising = DenoisingObjective(process: fakeScore.process, target: fakeScore.target, conditionDropout: 0)
        self.adversarial = adversarial
        fakeScoreModule = adversarial.map { ScoreWithClassifier(score: fakeScore.network, classifier: $0.head) } ?? fakeScore.network
    }

    public struct Prepared {
        /// The generator's inputs and steps for its update.
        let inputs: Tensor
        let steps: [Int]
        /// The distribution-matching noise and times.
        let noise: Tensor
        let times: [Double]
        /// One denoising batch of the generator's samples per fake-score update.
        let fakeScoreBatches: [DenoisingObjective.Prepared]
        /// DMD's regression batch: noise inputs and the teacher's samples from them.
        let regression: (inputs: Tensor, targets: Tensor)?
        /// The real score this step matches: the teacher, or DisBack's current checkpoint.
        let target: any Denoiser
        /// The GAN term's draws: per fake-score update, the data and the generator's samples
        /// (each with its noise and times); for the generator, its samples' noise and times.
        let classifierBatches: [(real: Noising, fake: Noising)]
        let generatorClassification: Noising?
        /// SIGN's reconstruction batch: the data in the training space.
        let reconstruction: Tensor?
        /// The classes of the generator's batch (a conditional generator's).
        let classes: Tensor?
    }

    /// A class per sample, uniform over a conditional generator's classes; nil for an
    /// unconditional one.
    private func drawClasses(count: Int, using random: inout RandomGenerator) -> Tensor? {
        guard generator.classCount > 0 else { return nil }
        return Tensor((0..<count).map { _ in Float(random.nextInt(below: generator.classCount)) }, shape: [count])
    }

    /// Samples with the noise and times the GAN term noises them at.
    struct Noising {
        let samples: Tensor?
        let noise: Tensor
        let times: [Double]
    }

    /// Noise and times for the GAN term: uniform over the process's 1000-step grid.
    private func noising(_ samples: Tensor?, shape: [Int], using random: inout RandomGenerator) -> Noising {
        let grid = generator.process.samplingTimes(steps: 1000)
        return Noising(samples: samples, noise: Tensor.normal(shape, using: &random), times: (0..<shape[0]).map { _ in grid[random.nextInt(below: grid.count)] })
    }

    /// The classifier's logits `[N]` for `samples` noised as `noising` says, through the fake
    /// score's features.
    private func classifierLogits(_ samples: Tensor, _ noising: Noising, adversarial: Adversarial) throws -> Tensor {
        let noisy = generator.process.noised(samples, noise: noising.noise, atEach: noising.times)
        let (_, features) = try fakeScore.network.capturingFeatures([adversarial.featurePath]) { fakeScore.dataPrediction(noisy, atEach: noising.times) }
        return adversarial.head(features[adversarial.featurePath]!.reshaped([samples.shape[0], -1])).reshaped([-1])
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let count = batch.count
        let shape = Array(batch.inputs.shape.dropFirst())
        var classifierBatches: [(real: Noising, fake: Noising)] = []
        let data = adversarial == nil && idempotence == nil ? nil : scaling.trainingValues(batch.inputs)
        let real = adversarial == nil ? nil : data
        let fakeScoreBatches = (0..<fakeScoreUpdates).map { _ in
            let classes = drawClasses(count: count, using: &generator)
            let (inputs, steps) = self.generator.trainingInputs(count: count, shape: shape, classes: classes, using: &generator)
            let samples = withoutGradients { self.generator.denoise(inputs, step: steps, classes: classes) }
            let end = fakeScore.process.timeRange.upperBound, minimum = fakeScoreDenoising.minimumTime
            let times = (0..<count).map { _ in minimum + Double(generator.nextUniform()) * (end - minimum) }
            if let real {
                classifierBatches.append((noising(real, shape: real.shape, using: &generator), noising(samples, shape: samples.shape, using: &generator)))
            }
            return fakeScoreDenoising.prepared(data: samples, noise: Tensor.normal(samples.shape, using: &generator), times: times, classes: classes)
        }
        let classes = drawClasses(count: count, using: &generator)
        let (inputs, steps) = self.generator.trainingInputs(count: count, shape: shape, classes: classes, using: &generator)
        let grid = self.generator.process.samplingTimes(steps: 1000)
        let times = (0..<count).map { _ in grid[timeIndices.lowerBound + generator.nextInt(below: timeIndices.count)] }
        var regressionBatch: (inputs: Tensor, targets: Tensor)?
        if let regression {
            let chosen = (0..<count).map { _ in generator.nextInt(below: regression.pairs.shape[0]) }
            let pairs = regression.pairs.indexSelect(axis: 0, indices: chosen)
            let pairShape = [count] + Array(regression.pairs.shape.dropFirst(2))
            regressionBatch = (self.generator.input(data: nil, noise: pairs.slice(axis: 1, start: 1, end: 2).reshaped(pairShape), step: [Int](repeating: 0, count: count)),
                               pairs.slice(axis: 1, start: 0, end: 1).reshaped(pairShape))
        }
        let target = backtracking.flatMap { path in path.target(atEpoch: epoch).map { path.path[$0] } } ?? realScore
        let noise = Tensor.normal(inputs.shape, using: &generator)
        return Prepared(inputs: inputs, steps: steps, noise: noise, times: times, fakeScoreBatches: fakeScoreBatches, regression: regressionBatch,
                        target: target, classifierBatches: classifierBatches,
                        generatorClassification: adversarial == nil ? nil : noising(nil, shape: inputs.shape, using: &generator),
                        reconstruction: idempotence == nil ? nil : data, classes: classes)
    }

    /// The fake score's update `update`: the teacher's denoising loss on a batch of the
    /// generator's current samples, plus the GAN term's classifier loss if there is one.
    public func loss(_ prepared: Prepared, student _: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        var (total, parts) = try fakeScoreDenoising.loss(prepared.fakeScoreBatches[update], student: fakeScore.network)
        if let adversarial, update < prepared.classifierBatches.count {
            let (real, fake) = prepared.classifierBatches[update]
            let classification = try classifierLogits(fake.samples!, fake, adversarial: adversarial).softplus().mean()
                + (-(try classifierLogits(real.samples!, real, adversarial: adversarial))).softplus().mean()
            parts["classification"] = classification.item
            total = total + adversarial.discriminatorWeight * classification
        }
        return (total, parts)
    }

    /// Where the generator's loss draws its times on the process's descending grid of 1000
    /// steps: DMD2's 20…980, which leaves out the ends where the two scores agree or carry no
    /// signal; SiD's last 80% toward the data.
    private var timeIndices: ClosedRange<Int> {
        switch generatorLoss {
        case .distributionMatching, .variationalScore: return 20...980
        case .scoreIdentity: return 200...999
        }
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let samples = generator.denoise(prepared.inputs, step: prepared.steps, classes: prepared.classes)
        var (total, parts): (Tensor, [String: Float])
        switch generatorLoss {
        case .distributionMatching:
            let gradient = try distributionMatchingGradient(at: samples.detached(), noise: prepared.noise, times: prepared.times, real: prepared.target,
                                                            classes: prepared.classes)
            total = 0.5 * (samples - (samples.detached() - gradient)).squared().mean()
            parts = ["distribution_matching": total.item]
        case .variationalScore:
            let gradient = try variationalScoreGradient(at: samples.detached(), noise: prepared.noise, times: prepared.times, real: prepared.target,
                                                        classes: prepared.classes)
            total = 0.5 * sumPerSample((samples - (samples.detached() - gradient)).squared()).mean()
            parts = ["variational_score": total.item]
        case .scoreIdentity(let alpha):
            total = scoreIdentityLoss(samples, noise: prepared.noise, times: prepared.times, alpha: alpha, real: prepared.target as! NetworkDenoiser,
                                      classes: prepared.classes)
            parts = ["score_identity": total.item]
        }
        if let adversarial, let noising = prepared.generatorClassification {
            let realism = (-(try classifierLogits(samples, noising, adversarial: adversarial))).softplus().mean()
            parts["adversarial"] = realism.item
            total = total + adversarial.generatorWeight * realism
        }
        if let idempotence, let data = prepared.reconstruction {
            let (reconstruction, idempotenceLoss) = idempotenceLosses(samples: samples, data: data)
            parts["reconstruction"] = reconstruction.item
            parts["idempotence"] = idempotenceLoss.item
            total = total + idempotence.reconstructionWeight * reconstruction + idempotence.idempotenceWeight * idempotenceLoss
        }
        if let regression, let batch = prepared.regression {
            let generated = generator.denoise(batch.inputs, step: [Int](repeating: 0, count: batch.inputs.shape[0]))
            let regressionLoss = (generated - batch.targets).squared().mean()
            parts["regression"] = regressionLoss.item
            total = total + regression.weight * regressionLoss
        }
        return (total, parts)
    }

    /// SIGN's `L_rec` on `data` and `L_idem` on the generator's `samples` (with gradients).
    private func idempotenceLosses(samples: Tensor, data: Tensor) -> (reconstruction: Tensor, idempotence: Tensor) {
        let once = { (x: Tensor) in self.generator.denoise(x, step: [Int](repeating: 0, count: x.shape[0])) }
        let reapplied = generator.denoiser.network.withFrozenParameters { once(samples) }
        return ((once(data) - data).abs().mean(), (reapplied - samples).abs().mean())
    }

    /// SiD's generator loss for samples `x` (with gradients) noised by `noise` at `times`.
    func scoreIdentityLoss(_ x: Tensor, noise: Tensor, times: [Double], alpha: Float, real realScore: NetworkDenoiser, classes: Tensor? = nil) -> Tensor {
        let noisy = generator.process.noised(x, noise: noise, atEach: times)
        let real = (classes.map { realScore.conditioned(on: $0) } ?? realScore).dataPrediction(noisy, atEach: times)
        let fake = (classes.map { fakeScore.conditioned(on: $0) } ?? fakeScore).dataPrediction(noisy, atEach: times)
        let normaliser = (x.detached() - real.detached()).abs().reshaped([x.shape[0], -1]).mean(axis: 1).clamped(min: 1e-5)
        let difference = real - fake
        return (sumPerSample(difference * ((real - x) - alpha * difference)) / normaliser).mean()
    }

    /// The distribution-matching gradient `(μ_fake − μ_real)/mean|x − μ_real|` at samples `x`
    /// noised by `noise` at `times` (DMD2's `compute_distribution_matching_loss`).
    func distributionMatchingGradient(at x: Tensor, noise: Tensor, times: [Double], real realScore: any Denoiser, classes: Tensor? = nil) throws -> Tensor {
        let (real, fake) = try cleanEstimates(at: x, noise: noise, times: times, real: realScore, classes: classes)
        return normalisedScoreDifference(real: real, fake: fake, clean: x)
    }

    /// VSD's gradient `w(t)·(α/σ)·(μ_fake − μ_real)` at samples `x` noised by `noise` at `times`.
    func variationalScoreGradient(at x: Tensor, noise: Tensor, times: [Double], real realScore: any Denoiser, classes: Tensor? = nil) throws -> Tensor {
        let (real, fake) = try cleanEstimates(at: x, noise: noise, times: times, real: realScore, classes: classes)
        let process = generator.process
        let scale = times.map { time -> Double in
            let (alpha, sigma) = (process.alpha(time), process.sigma(time))
            return alpha * sigma / (alpha * alpha + sigma * sigma)
        }
        return perSample(scale, like: x) * (fake - real)
    }

    /// The real and the fake score's clean estimates at samples `x` noised by `noise` at `times`
    /// (for `classes`, when given).
    private func cleanEstimates(at x: Tensor, noise: Tensor, times: [Double], real realScore: any Denoiser,
                                classes: Tensor?) throws -> (real: Tensor, fake: Tensor) {
        let noisy = generator.process.noised(x, noise: noise, atEach: times)
        return (try realScore.conditionedIfAsked(on: classes).estimate(noisy, atEach: times).data,
                try fakeScore.conditionedIfAsked(on: classes).estimate(noisy, atEach: times).data)
    }
}

/// DMD's normalised score difference `(μ_fake − μ_real)/mean|x − μ_real|`, per sample, for
/// clean samples (or clean estimates) `clean`: the distribution-matching gradient of DMD,
/// DMD2 and each phase of Phased DMD.
func normalisedScoreDifference(real: Tensor, fake: Tensor, clean: Tensor) -> Tensor {
    let perSampleError = (clean - real).abs().reshaped([clean.shape[0], -1]).mean(axis: 1)
    // A sample the teacher denoises exactly has no direction to move in (PyTorch's
    // nan_to_num of 0/0).
    return (fake - real) / perSample(perSampleError.clamped(min: 1e-12), like: clean)
}
