import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// A continuous-time consistency model on the TrigFlow process (Lu & Song 2024, sCM):
/// `f(x_t, t) = cos t·x_t − sin t·σ_d·F_θ(x_t/σ_d, t)`, which meets the boundary condition
/// `f(x, 0) = x` by construction. `F_θ` is any denoising network (an MLP for points, a UNet
/// for images) whose time feature is `timeScale·t` (sCM's identity time transformation,
/// `c_noise(t) = t`, at scale 1).
public struct TrigFlowConsistencyModel {
    public let network: any DenoisingNetwork
    public let process: NoiseProcess
    public let timeScale: Float

    public init(network: any DenoisingNetwork, process: NoiseProcess, timeScale: Float = 1) {
        precondition(process.kind == .trigFlow, "TrigFlowConsistencyModel: the TrigFlow process")
        (self.network, self.process, self.timeScale) = (network, process, timeScale)
    }

    private var sigmaData: Float { Float(process.sigmaData) }

    /// `F_θ(x_t/σ_d, t)` for samples `x_t` `[N, D]` at times `t` `[N]`: σ_d times it is the
    /// model's estimate of the flow `dx_t/dt`.
    public func flow(_ x: Tensor, times: Tensor) -> Tensor {
        network(.init(x: x / sigmaData, noiseLevel: timeScale * times)).prediction
    }

    /// `f(x_t, t)`: the origin of the trajectory through `x_t` at `t`.
    public func callAsFunction(_ x: Tensor, times: Tensor) -> Tensor {
        let column = perSample(times, like: x)
        return column.cos() * x - column.sin() * sigmaData * flow(x, times: times)
    }

    /// Multistep sampling: one evaluation from pure noise at `t = π/2`, then for each of
    /// `intermediate` times (descending) the estimate noised back to that time and one more
    /// evaluation (sCM's 2-step sampling uses `t = 1.1`). `count` samples of `shape` (without
    /// the batch axis).
    public func sample(count: Int, shape: [Int], intermediate: [Double] = [], using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let times = { (t: Double) in Tensor(shape: [count], repeating: Float(t)) }
            let end = process.timeRange.upperBound
            var x = self(sigmaData * Tensor.normal([count] + shape, using: &generator), times: times(end))
            for t in intermediate {
                let noise = sigmaData * Tensor.normal([count] + shape, using: &generator)
                x = self(Float(Foundation.cos(t)) * x + Float(Foundation.sin(t)) * noise, times: times(t))
            }
            return x
        }
    }

    /// `count` samples of vectors of `dimension` (see `sample(count:shape:intermediate:using:)`).
    public func sample(count: Int, dimension: Int, intermediate: [Double] = [], using generator: inout RandomGenerator) -> Tensor {
        sample(count: count, shape: [dimension], intermediate: intermediate, using: &generator)
    }
}

/// sCM's learned loss weighting `w_φ(t)`: a linear map of the sinusoidal embedding of the
/// time feature to one number per sample, the log-variance the adaptive weighting divides by.
public final class AdaptiveLossWeight: Module {
    public let embedding: SinusoidalEmbedding
    public let projection: Linear
    public let timeScale: Float

    public init(embeddingSize: Int = 32, timeScale: Float = 1, using generator: inout RandomGenerator) {
        embedding = SinusoidalEmbedding(size: embeddingSize)
        projection = Linear(embeddingSize, 1, using: &generator)
        self.timeScale = timeScale
        super.init()
    }

    /// The log-variance at each time of `times` (`[N]` → `[N]`).
    public override func forward(_ times: Tensor) -> Tensor {
        projection(embedding(timeScale * times)).reshaped([-1])
    }
}

/// Continuous-time consistency distillation and training (Lu & Song 2024, Algorithm 1, as
/// SANA-Sprint uses it): for a sample `x₀`, `z ~ N(0, σ_d²I)`, a time
/// `t = arctan(e^τ/σ_d)` with `τ ~ N(P_mean, P_std²)`, `x_t = cos t·x₀ + sin t·z`, and the
/// flow `dx_t/dt` from the teacher (`σ_d·F_teacher`) or, with no teacher, the sample's own
/// `cos t·z − sin t·x₀` (sCT), the student's output `F_θ` is pulled along the tangent
///
///     g = −cos²t·(σ_d·F⁻ − dx_t/dt) − r·cos t·sin t·(x_t + σ_d·dF⁻/dt),
///
/// where `F⁻` is the student without gradients and `dF⁻/dt` its total derivative along the
/// trajectory (a Jacobian-vector product, here `centralDifferenceJVP`). Three stabilisers
/// of the paper: tangent normalisation `g/(‖g‖ + c)`, the tangent warm-up `r` rising
/// linearly from 0 to 1 (here over `warmupEpochs`), and adaptive weighting — the loss is
/// `e^{−w(t)}·‖F_θ − F⁻ − g‖²/D + w(t)` with `w` the learned log-variance.
public struct ContinuousConsistencyDistillation: TrainingObjective {
    public let teacherDenoiser: (any Denoiser)?
    public let student: TrigFlowConsistencyModel
    public let weighting: AdaptiveLossWeight
    /// The proposal of `ln(σ_d·tan t)`: sCM's CIFAR-10 choice.
    public let proposalMean: Double, proposalDeviation: Double
    /// Epochs over which the tangent's second term is warmed up (0: on from the start).
    public let warmupEpochs: Int
    /// Tangent normalisation's `c`.
    public let normalization: Float
    /// The central difference's step.
    public let jvpStep: Float

    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [weighting] }

    /// Distillation from `teacher`, a denoiser on the student's TrigFlow process, or, with
    /// `teacher` nil, continuous-time consistency training from the data alone.
    public init(teacher: (any Denoiser)?, student: TrigFlowConsistencyModel, weighting: AdaptiveLossWeight, proposalMean: Double = -1.0,
                proposalDeviation: Double = 1.4, warmupEpochs: Int = 10, normalization: Float = 0.1, jvpStep: Float = 1e-3) {
        precondition(teacher.map { $0.process == student.process } ?? true, "ContinuousConsistencyDistillation: the teacher on the student's process")
        precondition(proposalDeviation > 0 && warmupEpochs >= 0 && normalization > 0 && jvpStep > 0, "ContinuousConsistencyDistillation: positive settings")
        (self.teacherDenoiser, self.student, self.weighting) = (teacher, student, weighting)
        (self.proposalMean, self.proposalDeviation, self.warmupEpochs) = (proposalMean, proposalDeviation, warmupEpochs)
        (self.normalization, self.jvpStep) = (normalization, jvpStep)
    }

    public struct Prepared {
        let noisy: Tensor
        let times: Tensor
        let target: Tensor
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let data = scaling.trainingValues(batch.inputs)
        let count = data.shape[0]
        let sigmaData = student.process.sigmaData
        let times = (0..<count).map { _ in Foundation.atan(Foundation.exp(proposalMean + proposalDeviation * Double(generator.nextNormal())) / sigmaData) }
        let (cosines, sines) = (perSample(times.map(Foundation.cos), like: data), perSample(times.map(Foundation.sin), like: data))
        let noise = Float(sigmaData) * Tensor.normal(data.shape, using: &generator)
        let noisy = cosines * data + sines * noise
        let flow = try teacherDenoiser.map { try $0.velocity(noisy, atEach: times).velocity } ?? cosines * noise - sines * data
        let timeTensor = Tensor(times.map(Float.init), shape: [count])
        let current = withoutGradients { student.flow(noisy, times: timeTensor) }
        let derivative = centralDifferenceJVP(of: { student.flow($0, times: $1) }, at: noisy, times: timeTensor, tangent: flow,
                                              timeTangent: Tensor(shape: [count], repeating: 1), step: jvpStep)
        let warmup = warmupEpochs == 0 ? 1 : min(1, Float(epoch) / Float(warmupEpochs))
        let s = Float(sigmaData)
        var tangent = -(cosines * cosines) * (s * current - flow) - warmup * cosines * sines * (noisy + s * derivative)
        tangent = tangent / (perSample(sumPerSample(tangent.squared()).sqrt(), like: data) + normalization)
        return Prepared(noisy: noisy, times: timeTensor, target: current + tangent)
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let output = student.flow(prepared.noisy, times: prepared.times)
        let squared = (output - prepared.target).squared().reshaped([output.shape[0], -1]).mean(axis: 1)
        let logVariance = weighting(prepared.times)
        let total = ((-logVariance).exp() * squared + logVariance).mean()
        return (total, ["consistency": squared.mean().item, "log_variance": logVariance.mean().item])
    }
}

extension ContinuousConsistencyDistillation: ConfigurableMethod, GenerativeMethod {
    public static var configName: String { "scm" }
    public static var configKeys: String {
        "warmup_epochs (10), proposal_mean (−1.0), proposal_deviation (1.4), normalization (0.1); sigma_data is TrigFlow's σ_d; "
            + "without a teacher, continuous-time consistency training (sCT); " + StepDistillationSetup.configKeys
    }
    /// A teacher distils (sCD); without one the method is sCT.
    public static var needs: Set<MethodNeed> { [] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> ContinuousConsistencyDistillation {
        let setup = try StepDistillationSetup(entry, context: context, method: configName)
        let process = NoiseProcess(.trigFlow, sigmaData: setup.sigmaData)
        // The weighting's initial projection is drawn from a seed of its own, so that the
        // student's initialisation (the run's seed) is the same as any other method's.
        var generator = RandomGenerator(seed: 0x5C3)
        var objective = ContinuousConsistencyDistillation(
            teacher: setup.teacher(on: process), student: TrigFlowConsistencyModel(network: setup.network, process: process),
            weighting: AdaptiveLossWeight(using: &generator), proposalMean: try entry.value("proposal_mean", default: -1.0, in: -10...10),
            proposalDeviation: try entry.value("proposal_deviation", default: 1.4, in: 0.01...10), warmupEpochs: try entry.value("warmup_epochs", default: 10, in: 0...1_000_000),
            normalization: try entry.value("normalization", default: 0.1, in: 1e-6...1e6))
        objective.scaling = setup.scaling
        return objective
    }

    /// Multistep sampling at the TrigFlow times of consistency sampling's intermediate levels
    /// (`t = arctan(σ/σ_d)`).
    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireOwnSampler(request, name: Self.configName, takesLevels: true)
        let model = TrigFlowConsistencyModel(network: network, process: student.process, timeScale: student.timeScale)
        let edm = NoiseProcess(.edm)
        let intermediate = try request.consistencyLevels(sigmaMin: edm.sigmaMin, sigmaMax: edm.sigmaMax)
            .map { student.process.time(noiseToSignal: $0) }
        return (model.sample(count: count, shape: shape, intermediate: intermediate, using: &generator), request.steps)
    }
}
