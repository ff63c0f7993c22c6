import Datasets
import Foundation
import NN
import Optim
import Tensors
import Training

/// Adversarial distillation of a one- or few-step generator: ADD (Sauer et al. 2023,
/// "Adversarial Diffusion Distillation") and LADD (Sauer et al. 2024, "Fast High-Resolution
/// Image Synthesis with Latent Adversarial Diffusion Distillation").
///
/// A discriminator of small trainable heads `h_k`, one per layer `k` of a frozen feature
/// network `F`, tells the data `x` from the generator's samples `x̂ = G(z)` with the hinge
/// loss (ADD §3, after StyleGAN-T's discriminator; the equation numbers of the paper were not
/// at hand here):
///
///     L_D   = Σ_k mean max(0, 1 − h_k(F_k(x))) + mean max(0, 1 + h_k(F_k(x̂))),
///     L_adv = −Σ_k mean h_k(F_k(G(z))),
///
/// and the generator descends `γ·L_adv + λ·L_distill` (γ = 1; 0 for ADD's distillation-only
/// ablation), where ADD's score-distillation term pulls each sample toward the teacher's
/// clean estimate of it, noised again:
///
///     L_distill = mean c(t)·‖x̂ − sg(μ_teacher(α(t)·x̂ + σ(t)·ε, t))‖²,   c(t) = α(t),
///
/// at times 2%…98% of the process's grid (ADD's exponential weighting `c(t) = ᾱ_t`, read here as
/// the signal coefficient of the teacher's process; λ = 2.5).
///
/// - ADD's features (`Features.frozenNetwork`) are a pretrained discriminative network's on the
///   clean samples: DINOv2 in the paper, here a classifier trained on the data.
/// - LADD's (`Features.teacher`) are the teacher's own, on the data and the samples both noised
///   to a time drawn from a logit-normal distribution `π(t; m, s)` (LADD; shifted toward
///   noise, `m` = 1, it weighs global structure), and LADD drops the distillation term
///   (λ = 0). The paper trains on the teacher's synthetic samples; here the data stands in.
///
/// ADD's R1 penalty on the discriminator needs a gradient of a gradient, which this engine
/// does not differentiate, and is not applied.
public struct AdversarialDistillation: TrainingObjective {
    /// Where the discriminator's features come from.
    public enum Features {
        /// ADD: a frozen network on clean samples, tapped at `paths`.
        case frozenNetwork(Module, paths: [String])
        /// LADD: the teacher's network on samples noised at a logit-normal time
        /// (`location` m, `scale` s), tapped at `paths`.
        case teacher(paths: [String], location: Double, scale: Double)

        var paths: [String] {
            switch self {
            case .frozenNetwork(_, let paths), .teacher(let paths, _, _): return paths
            }
        }
    }

    /// The discriminator's trainable heads, one per feature layer (`heads.k` in checkpoints).
    final class Heads: Module {
        let heads: [Module]
        init(_ heads: [Module]) {
            self.heads = heads
            super.init()
        }
    }

    /// The teacher's denoiser: its clean estimates for ADD's distillation term, its network's
    /// features for LADD's discriminator.
    public let teacherScore: NetworkDenoiser
    public let generator: FewStepGenerator
    public let features: Features
    /// The weight λ of ADD's distillation term (0: LADD's adversarial loss alone).
    public let distillationWeight: Float
    /// The weight γ of the generator's adversarial loss (0: ADD's distillation alone).
    public let adversarialWeight: Float
    /// Discriminator updates per generator step.
    public let discriminatorUpdates: Int
    /// The discriminator's optimizer; nil for a copy of the generator's.
    public let discriminatorOptimizer: Optimizer?
    /// The discriminator's learning rate per step; nil for the generator's.
    public var discriminatorSchedule: LearningRateSchedule?
    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()
    private let heads: Heads

    /// The discriminator's name in checkpoints and metrics.
    public static let discriminatorName = "discriminator"

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }
    public var optimizedModules: [OptimizedModule] {
        [OptimizedModule(name: Self.discriminatorName, module: heads, optimizer: discriminatorOptimizer, schedule: discriminatorSchedule, pass: .ownPass, updatesPerStep: discriminatorUpdates)]
    }

    /// `heads[k]` maps the features at `features.paths[k]`, flattened per sample, to one
    /// logit per sample. The teacher and the generator share one process and target.
    public init(teacherScore: NetworkDenoiser, generator: FewStepGenerator, features: Features, heads: [Module], distillationWeight: Float = 2.5,
                adversarialWeight: Float = 1, discriminatorUpdates: Int = 1, discriminatorOptimizer: Optimizer? = nil) {
        precondition(heads.count == features.paths.count && !heads.isEmpty, "AdversarialDistillation: one head per feature layer")
        precondition(teacherScore.process == generator.process && teacherScore.target == generator.denoiser.target,
                     "AdversarialDistillation: the generator is on the teacher's process and target")
        precondition(discriminatorUpdates >= 1, "AdversarialDistillation: at least one discriminator update per step")
        (self.teacherScore, self.generator, self.features, self.heads) = (teacherScore, generator, features, Heads(heads))
        (self.distillationWeight, self.adversarialWeight) = (distillationWeight, adversarialWeight)
        (self.discriminatorUpdates, self.discriminatorOptimizer) = (discriminatorUpdates, discriminatorOptimizer)
    }

    /// LADD's noise and times for a batch of samples, which noise them before the teacher's
    /// features.
    struct Noising {
        let noise: Tensor
        let times: [Double]
    }

    public struct Prepared {
        let inputs: Tensor
        let steps: [Int]
        /// ADD's distillation term's noise and times.
        let distillation: Noising
        /// Per discriminator update: the data, the generator's samples (no gradients), and
        /// their noising (LADD).
        let discriminatorBatches: [(real: Tensor, fake: Tensor, realNoising: Noising?, fakeNoising: Noising?)]
        /// The noising of the generator's samples in its adversarial loss (LADD).
        let generatorNoising: Noising?
    }

    /// LADD's noise and logit-normal times over the process's time range; nil for ADD.
    private func noising(shape: [Int], using random: inout RandomGenerator) -> Noising? {
        guard case .teacher(_, let location, let scale) = features else { return nil }
        let range = generator.process.timeRange
        let times = (0..<shape[0]).map { _ -> Double in
            let u = 1 / (1 + exp(-(location + scale * Double(random.nextNormal()))))
            return range.lowerBound + u * (range.upperBound - range.lowerBound)
        }
        return Noising(noise: Tensor.normal(shape, using: &random), times: times)
    }

    public func prepare(_ batch: Batch, student _: Module, epoch _: Int, using random: inout RandomGenerator) throws -> Prepared {
        let (count, shape) = (batch.count, Array(batch.inputs.shape.dropFirst()))
        let real = scaling.trainingValues(batch.inputs)
        let discriminatorBatches = (0..<discriminatorUpdates).map { _ in
            let (inputs, steps) = generator.trainingInputs(count: count, shape: shape, using: &random)
            let fake = withoutGradients { generator.denoise(inputs, step: steps) }
            return (real, fake, noising(shape: real.shape, using: &random), noising(shape: fake.shape, using: &random))
        }
        let (inputs, steps) = generator.trainingInputs(count: count, shape: shape, using: &random)
        let grid = generator.process.samplingTimes(steps: 1000)
        let distillation = Noising(noise: Tensor.normal(inputs.shape, using: &random), times: (0..<count).map { _ in grid[20 + random.nextInt(below: 961)] })
        return Prepared(inputs: inputs, steps: steps, distillation: distillation, discriminatorBatches: discriminatorBatches,
                        generatorNoising: noising(shape: inputs.shape, using: &random))
    }

    /// The heads' logits `[N]` per feature layer for samples `x`. Only the heads and the
    /// generator train: the feature network, frozen, passes gradients on to `x`.
    private func logits(_ x: Tensor, noising: Noising?) throws -> [Tensor] {
        let count = x.shape[0]
        let captured: [String: Tensor]
        switch features {
        case .frozenNetwork(let network, let paths):
            captured = try network.capturingFeatures(paths) { network(x) }.features
        case .teacher(let paths, _, _):
            let noising = noising!
            let noisy = generator.process.noised(x, noise: noising.noise, atEach: noising.times)
            captured = try teacherScore.network.capturingFeatures(paths) { teacherScore.dataPrediction(noisy, atEach: noising.times) }.features
        }
        return zip(features.paths, heads.heads).map { path, head in head(captured[path]!.reshaped([count, -1])).reshaped([-1]) }
    }

    /// The discriminator's hinge loss.
    public func loss(_ prepared: Prepared, student _: Module, updating _: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        let batch = prepared.discriminatorBatches[update]
        let onReal = try logits(batch.real, noising: batch.realNoising), onFake = try logits(batch.fake, noising: batch.fakeNoising)
        let total = zip(onReal, onFake).map { real, fake in (1 - real).relu().mean() + (1 + fake).relu().mean() }.reduce(Tensor(0), +)
        return (total, ["hinge": total.item])
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let samples = generator.denoise(prepared.inputs, step: prepared.steps)
        var (total, parts) = (Tensor(0), [String: Float]())
        if adversarialWeight > 0 {
            let adversarial = -(try logits(samples, noising: prepared.generatorNoising)).map { $0.mean() }.reduce(Tensor(0), +)
            parts["adversarial"] = adversarial.item
            total = total + adversarialWeight * adversarial
        }
        if distillationWeight > 0 {
            let (noise, times) = (prepared.distillation.noise, prepared.distillation.times)
            let target = try withoutGradients { try teacherScore.estimate(generator.process.noised(samples.detached(), noise: noise, atEach: times), atEach: times).data }
            let weight = perSample(times.map { generator.process.alpha($0) }, like: samples)
            let distillation = (weight * (samples - target).squared()).mean()
            parts["distillation"] = distillation.item
            total = total + distillationWeight * distillation
        }
        return (total, parts)
    }
}
