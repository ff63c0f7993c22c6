import Tensors
import Training

/// What `distill sample` asks of a run: how many steps, and for a teacher (a `denoising`
/// run) which sampler, its noise, the classes and the guidance.
public struct SamplingRequest {
    public var steps: Int
    /// The sampler; nil for the method's own (Euler for a denoising model; a student's
    /// sampler is part of the method and takes none).
    public var method: Sampler.Method?
    /// DDIM's noise strength.
    public var eta: Double
    /// One class per sample for a class-conditional network, else nil.
    public var classes: Tensor?
    /// Classifier-free guidance's scale (1: the conditional model alone).
    public var guidance: Double
    /// Multistep consistency sampling's re-noising levels: `steps − 1` noise-to-signal
    /// ratios σ (EDM's scale), descending; nil for the method's default.
    public var levels: [Double]?

    public init(steps: Int, method: Sampler.Method? = nil, eta: Double = 0, classes: Tensor? = nil, guidance: Double = 1, levels: [Double]? = nil) {
        (self.steps, self.method, self.eta, self.classes, self.guidance, self.levels) = (steps, method, eta, classes, guidance, levels)
    }

    /// The levels between multistep consistency sampling's evaluations, on a student whose
    /// levels span `sigmaMin…sigmaMax`: the request's own, checked, or by default the interior
    /// of Karras's ρ-spaced grid of `steps + 1` levels.
    func consistencyLevels(sigmaMin: Double, sigmaMax: Double) throws -> [Double] {
        guard let levels else { return NoiseProcess.consistencyIntermediateLevels(steps: steps, sigmaMin: sigmaMin, sigmaMax: sigmaMax) }
        let listed = levels.map { String(format: "%g", $0) }.joined(separator: ",")
        guard levels.count == steps - 1 else {
            throw SamplingRefused("\(steps) steps re-noise at \(steps - 1) level\(steps == 2 ? "" : "s") between them, given \(levels.count) (--levels \(listed))")
        }
        guard levels.allSatisfy({ $0 > sigmaMin && $0 < sigmaMax }), zip(levels, levels.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw SamplingRefused(String(format: "--levels %@ must descend strictly inside the student's σ range (%g, %g)", listed, sigmaMin, sigmaMax))
        }
        return levels
    }
}

/// A request a method cannot honour (a sampler for a consistency student, two steps of a
/// one-step student), said in one line.
public struct SamplingRefused: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A training method whose network, once trained, draws samples: the denoising teacher by a
/// sampler over its process, a distilled student by its own few steps. `distill sample`
/// goes through it, so that every generative run samples the way its method defines.
public protocol GenerativeMethod {
    /// The data's map into the space the network trains in.
    var scaling: DataScaling { get }
    /// The steps a request without a count takes: what the method trained for.
    var defaultSteps: Int { get }
    /// The file-name stem of a request's samples (`euler-4`, `consistency-2`).
    func samplesName(_ request: SamplingRequest) -> String
    /// `count` samples of `shape` (without the batch axis) in the training space, and the
    /// network evaluations each took.
    func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
              using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int)
}

extension ConfigurableMethod where Self: GenerativeMethod {
    /// A generative run's figure after each epoch: its objective's validation loss.
    public var evaluation: (any TaskEvaluation)? { ObjectiveLossEvaluation(objective: self) }

    /// One step, a one-step student's.
    public var defaultSteps: Int { 1 }

    /// A student's samples are named by its method and steps (`consistency-2`).
    public func samplesName(_ request: SamplingRequest) -> String { "\(Self.configName)-\(request.steps)" }
}

extension GenerativeMethod {
    /// Refuses what a student's own sampler does not take: a sampler, guidance, classes unless
    /// it `takesClasses` (a class-conditional generator), and re-noising levels unless it
    /// `takesLevels` (multistep consistency sampling).
    func requireOwnSampler(_ request: SamplingRequest, name: String, takesLevels: Bool = false, takesClasses: Bool = false) throws {
        if let method = request.method {
            throw SamplingRefused("a \(name) student samples by its own steps; --sampler \(method.rawValue) is for a `denoising` run")
        }
        if !takesLevels { try requireNoLevels(request, name: name) }
        if takesClasses {
            if request.guidance != 1 { throw SamplingRefused("a \(name) student samples its classes without guidance; --guidance is for a `denoising` run") }
        } else {
            try requireUnconditional(request, name: name)
        }
    }

    /// A few-step generator's samples at the steps it trained for, with `network` in place of
    /// `generator`'s own (DMD, ADD and their kin), for the method `name`; a class-conditional
    /// network's for the request's classes.
    func drawOwnSteps(of generator: FewStepGenerator, network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest, name: String,
                      using random: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireOwnSampler(request, name: name, takesClasses: network.classCount > 0)
        let steps = generator.times.count
        guard request.steps == steps else {
            throw SamplingRefused("this \(name) generator was trained for \(steps) step\(steps == 1 ? "" : "s"); asked for \(request.steps)")
        }
        let trained = FewStepGenerator(generator.denoiser.replacingNetwork(network), steps: steps)
        return (trained.sample(count: count, shape: shape, classes: request.classes, using: &random), steps)
    }

    /// Refuses classes and guidance, which an unconditional student does not take.
    func requireUnconditional(_ request: SamplingRequest, name: String) throws {
        if request.classes != nil || request.guidance != 1 { throw SamplingRefused("a \(name) student is unconditional: no --class or --guidance") }
    }

    /// Refuses re-noising levels, which only multistep consistency sampling takes.
    func requireNoLevels(_ request: SamplingRequest, name: String) throws {
        if request.levels != nil { throw SamplingRefused("--levels sets a consistency or scm student's re-noising levels; a \(name) run takes none") }
    }
}

extension DenoisingObjective: GenerativeMethod {
    /// Many steps, a teacher's.
    public var defaultSteps: Int { 32 }

    public func samplesName(_ request: SamplingRequest) -> String { "\((request.method ?? .euler).rawValue)-\(request.steps)" }

    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try requireNoLevels(request, name: Self.configName)
        if request.guidance != 1 && !network.embedsNullClass {
            throw SamplingRefused("students that split the classes (`students:`) have no null class to guide against: no --guidance")
        }
        let sampler = Sampler(request.method ?? .euler, steps: request.steps, eta: request.eta)
        let conditional: any Denoiser
        if let classes = request.classes {
            conditional = request.guidance == 1 ? denoiser(network, classes: classes) : GuidedDenoiser(denoiser(network), classes: classes, scale: request.guidance)
        } else {
            conditional = denoiser(network)
        }
        return try sampler.sample(conditional, count: count, shape: shape, using: &generator)
    }
}
