import Configuration
import Datasets
import NN
import Tensors
import Training

/// What sets ADD and LADD apart in a config: where the discriminator's features come from,
/// and the distillation term's default weight.
public protocol AdversarialDistillationRecipe {
    static var configName: String { get }
    /// Whether the features are the teacher's own on noised samples (LADD) rather than a
    /// frozen network's on clean ones (ADD's `feature_network`).
    static var readsTheTeacher: Bool { get }
    /// λ, the distillation term's weight.
    static var distillationWeight: Float { get }
}

/// ADD (Sauer et al. 2023): a frozen feature network's discriminator and the distillation term.
public enum ADDRecipe: AdversarialDistillationRecipe {
    public static var configName: String { "add" }
    public static var readsTheTeacher: Bool { false }
    public static var distillationWeight: Float { 2.5 }
}

/// LADD (Sauer et al. 2024): the teacher's features on noised samples, the adversarial loss alone.
public enum LADDRecipe: AdversarialDistillationRecipe {
    public static var configName: String { "ladd" }
    public static var readsTheTeacher: Bool { true }
    public static var distillationWeight: Float { 0 }
}

extension AdversarialDistillation {
    /// One discriminator head per feature layer: an MLP from the layer's width (flattened per
    /// sample) through one hidden layer of `width` (leaky ReLU) to a logit. The widths are
    /// read from one forward pass on a zero sample of `sampleShape`.
    public static func heads(for features: Features, teacherScore: NetworkDenoiser, sampleShape: [Int], width: Int,
                             using generator: inout RandomGenerator) throws -> [Module] {
        let probe = Tensor.zeros([1] + sampleShape)
        let captured: [String: Tensor]
        switch features {
        case .frozenNetwork(let network, let paths):
            captured = try network.capturingFeatures(paths) { network(probe) }.features
        case .teacher(let paths, _, _):
            let middle = (teacherScore.process.timeRange.lowerBound + teacherScore.process.timeRange.upperBound) / 2
            captured = try teacherScore.network.capturingFeatures(paths) { teacherScore.dataPrediction(probe, atEach: [middle]) }.features
        }
        return features.paths.map { MLP(widths: [captured[$0]!.count, width, 1], activation: .leakyRelu, using: &generator) }
    }
}

/// `AdversarialDistillation` as a config method, `add` or `ladd`:
///
/// ```yaml
/// teacher: {model: denoising-mlp, checkpoint: ../runs/gaussians-flow-teacher/model.safetensors}
/// student: {model: denoising-mlp, checkpoint: ../runs/gaussians-flow-teacher/model.safetensors}
/// method:
///   name: add
///   feature_network: {model: mlp, hidden: [64, 64], checkpoint: ../runs/gaussians-classifier/model.safetensors}
/// ```
///
/// The student's network is the generator, read as the teacher's network is (its process and
/// target); start it from the teacher's weights with `student.checkpoint`.
public struct AdversarialDistillationMethod<Recipe: AdversarialDistillationRecipe>: ConfigurableMethod, GenerativeMethod, ForwardingObjective {
    public let objective: AdversarialDistillation

    public init(_ objective: AdversarialDistillation) { self.objective = objective }

    public static var configName: String { Recipe.configName }
    public static var configKeys: String {
        let features = Recipe.readsTheTeacher
            ? "feature_layers (the teacher's network's layers the heads read; default every hidden activation of a denoising-mlp), time_location (1) and "
                + "time_scale (1): the logit-normal time the data and the samples are noised to before the teacher's features, "
            : "feature_network (a model section with a checkpoint, like a teacher's: the frozen network whose features the heads read, e.g. an mlp "
                + "trained on the data's labels), feature_layers (its layers; default every hidden activation of an mlp), "
        return features
            + "distillation_weight (\(Recipe.distillationWeight): λ of the score-distillation term), head_width (64), discriminator_updates (1 per "
            + "generator step), discriminator_learning_rate (the generator's schedule if absent; the discriminator's optimizer is a copy of the run's), "
            + "steps (1), teacher_process and teacher_target, data_range"
    }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self {
        let name = Recipe.configName
        let setup = try StepDistillationSetup(entry, context: context, method: name)
        guard let teacher = setup.teacher as? NetworkDenoiser else {
            throw entry.error("method '\(name)' reads the teacher's network: the teacher must be one model with a checkpoint")
        }
        let steps: Int = try entry.value("steps", default: 1, in: 1...64)
        let layersEntry = try entry.optional("feature_layers")
        var layers: [String]? = try layersEntry.map { _ in try entry.values("feature_layers", default: [String]()) }
        if layers?.isEmpty == true { throw layersEntry!.error("feature_layers: at least one layer") }
        let features: AdversarialDistillation.Features
        if Recipe.readsTheTeacher {
            if layers == nil, let mlp = teacher.network as? DenoisingMLP {
                layers = hiddenActivations(of: mlp.network).map { "network.\($0)" }
            }
            guard let layers else { throw entry.error("method 'ladd' on a \(type(of: teacher.network)) teacher: name its feature_layers") }
            features = .teacher(paths: layers, location: try entry.value("time_location", default: 1, in: -10...10),
                                scale: try entry.value("time_scale", default: 1, in: 1e-3...10))
        } else {
            let section = try entry.required("feature_network", "a model section with a checkpoint: the frozen network the discriminator reads")
            guard let load = context.loadModel else { throw section.error("method 'add' loads its feature_network, which this caller cannot") }
            let network = try load(section)
            if layers == nil, let mlp = network as? MLP {
                layers = hiddenActivations(of: mlp).map { "\($0)" }
            }
            guard let layers else { throw (layersEntry ?? entry).error("method 'add' on a \(type(of: network)) feature network: name its feature_layers") }
            features = .frozenNetwork(network, paths: layers)
        }
        var drawing = RandomGenerator(seed: 1)
        let heads: [Module]
        do {
            heads = try AdversarialDistillation.heads(for: features, teacherScore: teacher, sampleShape: context.sampleShape,
                                                      width: try entry.value("head_width", default: 64, in: 1...65536), using: &drawing)
        } catch let error as FeatureTapError {
            throw (layersEntry ?? entry).error("\(error)")
        }
        let rate: Float? = try entry.optional("discriminator_learning_rate") == nil ? nil
            : try entry.value("discriminator_learning_rate", default: 1, in: 1e-9...10)
        var objective = AdversarialDistillation(teacherScore: teacher, generator: FewStepGenerator(teacher.replacingNetwork(setup.network), steps: steps),
                                                features: features, heads: heads,
                                                distillationWeight: try entry.value("distillation_weight", default: Recipe.distillationWeight, in: 0...1e6),
                                                discriminatorUpdates: try entry.value("discriminator_updates", default: 1, in: 1...100))
        objective.discriminatorSchedule = rate.map { .constant($0) }
        objective.scaling = setup.scaling
        return Self(objective)
    }

    /// The indices of an MLP's hidden activations among its layers.
    private static func hiddenActivations(of mlp: MLP) -> [Int] {
        mlp.layers.indices.filter { mlp.layers[$0] is Activation }
    }

    public typealias Prepared = AdversarialDistillation.Prepared

    public var scaling: DataScaling { objective.scaling }
    public var defaultSteps: Int { objective.generator.times.count }

    public func draw(_ network: any DenoisingNetwork, count: Int, shape: [Int], request: SamplingRequest,
                     using generator: inout RandomGenerator) throws -> (samples: Tensor, evaluations: Int) {
        try drawOwnSteps(of: objective.generator, network: network, count: count, shape: shape, request: request, name: Self.configName,
                             using: &generator)
    }
}
