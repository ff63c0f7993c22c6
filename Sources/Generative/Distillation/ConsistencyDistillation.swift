import Configuration
import Datasets
import Foundation
import NN
import Tensors
import Training

/// A consistency model on the EDM process (Song et al. 2023): `f(x, σ)`, a preconditioned
/// denoising network (an MLP for points, a UNet for images) with the boundary condition `f(x, σ_min) = x`, mapping any point of a
/// probability-flow trajectory to the trajectory's origin.
public struct ConsistencyModel {
    /// How `f(x, σ)` meets its boundary condition `f(x, σ_b) = x`.
    public enum Parameterization: Sendable {
        /// Song et al.'s skip and output scales, shifted to the boundary.
        case skipAndOutput
        /// The network denoises (EDM's preconditioning), and `f` takes the DDIM step from
        /// `x` to the boundary along that estimate: `f = D + (σ_b/σ)·(x − D)` — Hyper-SD's
        /// (and TCD's) choice for segments, whose edges hold noisy points, not data.
        case ddimJump
    }

    public let network: any DenoisingNetwork
    public let preconditioning: EDMPreconditioning
    public let process: NoiseProcess
    public let parameterization: Parameterization

    public init(network: any DenoisingNetwork, process: NoiseProcess, parameterization: Parameterization = .skipAndOutput) {
        precondition(process.kind == .edm, "ConsistencyModel: the EDM process (t = σ)")
        (self.network, self.process, self.parameterization) = (network, process, parameterization)
        preconditioning = EDMPreconditioning(sigmaData: Float(process.sigmaData), sigmaMin: Float(process.sigmaMin),
                                             isConsistencyModel: parameterization == .skipAndOutput)
    }

    /// `f(x, σ)` for samples `x` `[N, D]` at levels `sigma` `[N]`: the trajectory's point at
    /// `boundary` (`[N]`, a segment's lower edge), or at σ_min when nil (its origin).
    public func callAsFunction(_ x: Tensor, sigma: Tensor, boundary: Tensor? = nil) -> Tensor {
        switch parameterization {
        case .skipAndOutput:
            return preconditioning(network, x, sigma: sigma, boundary: boundary)
        case .ddimJump:
            let denoised = preconditioning(network, x, sigma: sigma)
            let ratio = perSample(boundary ?? Tensor(shape: sigma.shape, repeating: Float(process.sigmaMin)), like: x) / perSample(sigma, like: x)
            return denoised + ratio * (x - denoised)
        }
    }

    /// Segment-wise sampling (Hyper-SD): from noise at σ_max, one evaluation per segment,
    /// each mapping to its lower edge (`edges`, descending, ending at σ_min), deterministic.
    public func sample(count: Int, dimension: Int, segmentEdges edges: [Double], using generator: inout RandomGenerator) -> Tensor {
        sample(count: count, shape: [dimension], segmentEdges: edges, using: &generator)
    }

    /// The same for samples of `shape` (without the batch axis).
    public func sample(count: Int, shape: [Int], segmentEdges edges: [Double], using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let levels = { (level: Double) in Tensor(shape: [count], repeating: Float(level)) }
            var (x, sigma) = (Tensor.normal([count] + shape, using: &generator) * Float(process.sigmaMax), process.sigmaMax)
            for edge in edges {
                x = self(x, sigma: levels(sigma), boundary: levels(edge))
                sigma = edge
            }
            return x
        }
    }

    /// Multistep consistency sampling (Song et al. 2023, Algorithm 1): one evaluation at
    /// σ_max, then for each of `intermediate` levels (descending) noise added back to that
    /// level and one more evaluation. `count` samples of dimension `dimension`.
    public func sample(count: Int, dimension: Int, intermediate: [Double] = [], using generator: inout RandomGenerator) -> Tensor {
        sample(count: count, shape: [dimension], intermediate: intermediate, using: &generator)
    }

    /// The same for samples of `shape` (without the batch axis).
    public func sample(count: Int, shape: [Int], intermediate: [Double] = [], using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let levels = { (level: Double) in Tensor(shape: [count], repeating: Float(level)) }
            var x = self(Tensor.normal([count] + shape, using: &generator) * Float(process.sigmaMax), sigma: levels(process.sigmaMax))
            for level in intermediate {
                let scale = Float((level * level - process.sigmaMin * process.sigmaMin).squareRoot())
                x = self(x + scale * Tensor.normal([count] + shape, using: &generator), sigma: levels(level))
            }
            return x
        }
    }
}

/// Consistency distillation (Song et al. 2023, Algorithm 2) from a teacher denoiser on the
/// EDM process: for a data sample `x₀` and a random pair of adjacent levels
/// `σ_n < σ_{n+1}` of the `levels`-point Karras grid, `x_{n+1} = x₀ + σ_{n+1}·z`, the
/// teacher's one solver step (`teacherStep`: Heun or Euler on the ODE; or, as SCott does, a
/// stochastic DDIM step of noise strength η) gives `x̂_n`, and the student learns
/// `f(x_{n+1}, σ_{n+1}) ≈ f⁻(x̂_n, σ_n)`, where the target network `f⁻` is the student
/// itself without gradients (EMA decay 0, as improved consistency training and sCM use).
/// The distance is the squared L2 norm, or the pseudo-Huber loss `√(‖·‖² + c²) − c` of
/// improved consistency training with `c = 0.00054·√D` when `pseudoHuber` is set.
public struct ConsistencyDistillation: TrainingObjective {
    /// The teacher, or nil for consistency training: the step from `x_{n+1}` to level σ_n
    /// then reuses the sample's own noise, `x₀ + σ_n·z`, the one-sample estimate of the ideal
    /// denoiser's step (Song et al. 2023, §5).
    public let teacherDenoiser: (any Denoiser)?
    public let student: ConsistencyModel
    /// The Karras levels σ_1 = σ_min < … < σ_N = σ_max.
    public let levels: [Double]
    /// How the teacher steps from one level to the next: a one-step `Sampler` over the pair.
    public let teacherStep: (method: Sampler.Method, eta: Double)
    public let pseudoHuber: Bool
    /// Hyper-SD's trajectory segments (1: plain consistency distillation): within each run of
    /// levels the student maps to the run's lower edge.
    public let segments: Int
    /// The level index of each segment's lower edge, ascending from 0: an even split unless
    /// given (the split of two segments is a choice as CD's intermediate time is).
    private let edgeIndices: [Int]

    /// The segments' lower edges, descending (the last is σ_min): the grid of segment-wise
    /// sampling.
    public var segmentEdges: [Double] { edgeIndices.reversed().map { levels[$0] } }

    /// Consistency training's choices (improved consistency training, Song & Dhariwal 2023):
    /// level pairs drawn with the lognormal weights of `ln σ ~ N(−1.1, 2.0²)`, and each pair's
    /// loss weighted by `1/(σ_{n+1} − σ_n)`; off for plain (uniform, unweighted) pairs.
    public let improvedTraining: Bool

    /// The data's map into the training space (the teacher's).
    public var scaling = DataScaling()

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    /// `teacherStep` is Heun's or Euler's method, or DDIM with noise strength `eta` (SCott's
    /// stochastic teacher: `eta` 0 is Euler's step on EDM's process, 1 an ancestral step).
    public init(teacher: any Denoiser, student: ConsistencyModel, levels: Int = 18, teacherStep: Sampler.Method = .heun, eta: Double = 0,
                pseudoHuber: Bool = false, segments: Int = 1, edgeLevels: [Int]? = nil) {
        precondition(teacher.process.kind == .edm, "ConsistencyDistillation: a teacher on the EDM process")
        precondition(levels >= 2 && [.heun, .euler, .ddim].contains(teacherStep), "ConsistencyDistillation: ≥ 2 levels and a Heun, Euler or DDIM step")
        precondition((1..<levels).contains(segments), "ConsistencyDistillation: 1…\(levels - 1) segments for \(levels) levels, found \(segments)")
        self.init(teacher: teacher, process: teacher.process, student: student, levels: levels, teacherStep: teacherStep, eta: eta, pseudoHuber: pseudoHuber,
                  segments: segments, edgeLevels: edgeLevels, improvedTraining: false)
    }

    /// Consistency training from data alone, no teacher: `improved` uses improved
    /// consistency training's pseudo-Huber loss, lognormal level pairs and weighting.
    public init(trainingOn process: NoiseProcess, student: ConsistencyModel, levels: Int = 18, improved: Bool = true) {
        precondition(process.kind == .edm && levels >= 2, "ConsistencyDistillation: the EDM process and ≥ 2 levels")
        self.init(teacher: nil, process: process, student: student, levels: levels, teacherStep: .euler, eta: 0, pseudoHuber: improved,
                  segments: 1, edgeLevels: nil, improvedTraining: improved)
    }

    private init(teacher: (any Denoiser)?, process: NoiseProcess, student: ConsistencyModel, levels: Int, teacherStep: Sampler.Method, eta: Double,
                 pseudoHuber: Bool, segments: Int, edgeLevels: [Int]?, improvedTraining: Bool) {
        (self.teacherDenoiser, self.student, self.pseudoHuber, self.segments) = (teacher, student, pseudoHuber, segments)
        (self.teacherStep, self.improvedTraining) = ((teacherStep, eta), improvedTraining)
        self.levels = Array(process.samplingTimes(steps: levels).dropLast().reversed())
        let even = (0..<segments).map { Int((Double($0) * Double(levels - 1) / Double(segments)).rounded()) }
        let edges = edgeLevels ?? even
        precondition(edges.count == segments && edges.first == 0 && edges == edges.sorted() && Set(edges).count == edges.count && edges.last! < levels - 1,
                     "ConsistencyDistillation: \(segments) ascending edge levels from 0 below \(levels - 1), found \(edges)")
        edgeIndices = edges
    }

    public struct Prepared {
        let noisy: Tensor
        let sigma: Tensor
        let boundary: Tensor
        let target: Tensor
        let weight: Tensor?
    }

    /// iCT's probability of each adjacent pair: the mass `ln σ ~ N(−1.1, 2.0²)` puts between them.
    private var lognormalPairWeights: [Double] {
        let cumulative = levels.map { 0.5 * (1 + erf((Foundation.log($0) + 1.1) / (2.0 * 2.0.squareRoot()))) }
        return zip(cumulative, cumulative.dropFirst()).map { $1 - $0 }
    }

    public func prepare(_ batch: Batch, student _: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        let data = scaling.trainingValues(batch.inputs)
        let count = data.shape[0]
        let pairs: [Int]
        if improvedTraining {
            var cumulative: [Double] = []
            let weights = lognormalPairWeights
            for weight in weights { cumulative.append((cumulative.last ?? 0) + weight / weights.reduce(0, +)) }
            pairs = (0..<count).map { _ in let u = Double(generator.nextUniform()); return cumulative.firstIndex { u < $0 } ?? cumulative.count - 1 }
        } else {
            pairs = (0..<count).map { _ in generator.nextInt(below: levels.count - 1) }
        }
        let noise = Tensor.normal(data.shape, using: &generator)
        let upper = Tensor(pairs.map { Float(levels[$0 + 1]) }, shape: [count])
        let noisy = data + noise * perSample(upper, like: data)
        let lower = Tensor(pairs.map { Float(levels[$0]) }, shape: [count])
        let stepped: Tensor
        if let teacherDenoiser {
            stepped = try Sampler(teacherStep.method, steps: 1, eta: teacherStep.eta)
                .step(teacherDenoiser, noisy, from: pairs.map { levels[$0 + 1] }, to: pairs.map { levels[$0] }, using: &generator).x
        } else {
            stepped = data + noise * perSample(lower, like: data)
        }
        // Each pair's segment: the last edge at or below its lower level.
        let edges = edgeIndices
        let boundary = Tensor(pairs.map { pair in Float(levels[edges.last { $0 <= pair }!]) }, shape: [count])
        let target = withoutGradients { self.student(stepped, sigma: lower, boundary: boundary) }
        let weight = improvedTraining ? Tensor(pairs.map { Float(1 / (levels[$0 + 1] - levels[$0])) }, shape: [count]) : nil
        return Prepared(noisy: noisy, sigma: upper, boundary: boundary, target: target, weight: weight)
    }

    public func loss(_ prepared: Prepared, student _: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let output = student(prepared.noisy, sigma: prepared.sigma, boundary: prepared.boundary)
        let squared = sumPerSample((output - prepared.target).squared())
        var distance = squared
        if pseudoHuber {
            let c = 0.00054 * Float(prepared.noisy.count / prepared.noisy.shape[0]).squareRoot()
            distance = (squared + c * c).sqrt() - c
        }
        let total = (prepared.weight.map { $0 * distance } ?? distance).mean()
        return (total, ["consistency": total.item])
    }
}

extension ConsistencyDistillation: ConfigurableMethod, GenerativeMethod {
    public static var configName: String { "consistency" }
    public static var configKeys: String {
        "levels (18), solver (heun, euler or ddim: the teacher's step; default heun), eta (0; with ddim, SCott's stochastic teacher), "
            + "segments (1; Hyper-SD's TSCD above 1), pseudo_huber (false; iCT's loss); without a teacher, consistency training (iCT's loss, "
            + "level pairs and weighting); " + StepDistillationSetup.configKeys
    }
    /// A teacher distils; without one the method is consistency training.
    public static var needs: Set<MethodNeed> { [] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> ConsistencyDistillation {
        let setup = try StepDistillationSetup(entry, context: context, method: configName)
        let process = NoiseProcess(.edm, sigmaData: setup.sigmaData)
        let levels: Int = try entry.value("levels", default: 18, in: 2...1000)
        var objective: ConsistencyDistillation
        if let teacher = setup.teacher(on: process) {
            let solver = try entry.choice("solver", from: [Sampler.Method.heun, .euler, .ddim].map(\.rawValue), default: "heun")
            let eta: Double = try entry.value("eta", default: 0, in: 0...1)
            if eta > 0 && solver != "ddim" { throw (try entry.optional("eta") ?? entry).error("eta (SCott's noise strength) takes solver: ddim, found \(solver)") }
            let segments: Int = try entry.value("segments", default: 1, in: 1...(levels - 1))
            let student = ConsistencyModel(network: setup.network, process: process, parameterization: segments > 1 ? .ddimJump : .skipAndOutput)
            objective = ConsistencyDistillation(teacher: teacher, student: student, levels: levels, teacherStep: Sampler.Method(rawValue: solver)!, eta: eta,
                                                pseudoHuber: try entry.value("pseudo_huber", default: false), segments: segments)
        } else {
            for key in ["solver", "eta", "segments", "pseudo_huber"] {
                if let stray = try entry.optional(key) { throw stray.error("\(key) sets the teacher's step or loss; consistency training (no teacher) uses iCT's") }
            }
            objective = ConsistencyDistillation(trainingOn: process, student: ConsistencyModel(network: setup.network, process: process), levels: levels)
        }
        objective.scaling = setup.scaling
        return objective
    }

    /// One step, or one per trained segment.
    public var defaultSteps: Int { segments }

    /// Multistep consistency sampling, or with segments, one evaluation per segment (the
    /// trained segments when `steps` is their count, else an even split of the levels).
    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        let segmented = student.parameterization == .ddimJump
        try requireOwnSampler(request, name: segmented ? "segmented consistency (TSCD)" : Self.configName, takesLevels: !segmented)
        let model = ConsistencyModel(network: network, process: student.process, parameterization: student.parameterization)
        guard segmented else {
            let intermediate = try request.consistencyLevels(sigmaMin: student.process.sigmaMin, sigmaMax: student.process.sigmaMax)
            return (model.sample(count: count, shape: shape, intermediate: intermediate, using: &generator), request.steps)
        }
        guard request.steps < levels.count else { throw SamplingRefused("a student of \(levels.count) levels samples in at most \(levels.count - 1) segments, asked for \(request.steps)") }
        let edges = request.steps == segments ? segmentEdges
            : (0..<request.steps).reversed().map { levels[Int((Double($0) * Double(levels.count - 1) / Double(request.steps)).rounded())] }
        return (model.sample(count: count, shape: shape, segmentEdges: edges, using: &generator), request.steps)
    }
}
