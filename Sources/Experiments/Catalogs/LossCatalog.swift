import Datasets
import Distillation
import NN
import Robustness
import Tensors

/// What a loss term may refer to: the models whose features it reads, and their feature
/// shapes (found by one forward pass on two training samples, so that a wrong path or an
/// incompatible pair fails before training).
public struct LossContext {
    public let student: Module
    /// The teacher whose features teacher paths name (an ensemble offers its first member's,
    /// a panel its members' under `name/path`, a cache none); nil without a teacher.
    public let teacher: (any Teacher)?
    /// A few samples of the training data, which the models run on to read their feature
    /// shapes: real inputs and fields (token ids, times, graphs) where zeros might not be.
    public let sampleBatch: Batch
    /// The number of training samples (CRD's memory bank has a row for each).
    public let trainingSamples: Int
    public let classes: Int

    public init(student: Module, teacher: (any Teacher)?, sampleBatch: Batch, trainingSamples: Int, classes: Int) {
        (self.student, self.teacher, self.sampleBatch) = (student, teacher, sampleBatch)
        (self.trainingSamples, self.classes) = (trainingSamples, classes)
    }

    public var hasTeacher: Bool { teacher != nil }

    /// The shape of the student's feature at the path in `node` (for the sample inputs), or an error at
    /// `node` naming the valid paths.
    func studentFeatureShape(at node: ConfigNode) throws -> [Int] {
        let wasTraining = student.isTraining
        student.eval()
        defer { student.train(wasTraining) }
        return try featureShape(role: "student", at: node) { path, batch in
            try withoutGradients { try student.capturingFeatures([path]) { try student.outputs(for: batch) } }.features
        }
    }

    /// The shape of the teacher's feature at the path in `node`.
    func teacherFeatureShape(at node: ConfigNode) throws -> [Int] {
        guard let teacher else { throw node.error("this run has no teacher") }
        return try featureShape(role: "teacher", at: node) { path, batch in try teacher.outputs(for: batch, featurePaths: [path]).features }
    }

    private func featureShape(role: String, at node: ConfigNode, _ features: (String, Batch) throws -> [String: Tensor]) throws -> [Int] {
        let path: String = try node.value()
        do {
            guard let feature = try features(path, sampleBatch)[path] else {
                throw node.error("the \(role)'s module '\(path)' produced no output")
            }
            return feature.shape
        } catch let error as FeatureTapError {
            throw node.error("no module '\(path)' in the \(role) (valid: \(error.validPaths.prefix(40).joined(separator: ", "))\(error.validPaths.count > 40 ? ", …" : ""))")
        } catch let error as ConfigError {
            throw error
        } catch {
            throw node.error("\(error)")
        }
    }
}

/// The loss terms a configuration can name. Each entry of `losses:` is a mapping with
/// `name`, `weight` (default 1) and the term's own keys; the total is the weighted sum.
///
/// ```yaml
/// losses:
///   - {name: kd, weight: 0.9, temperature: 4}
///   - {name: ce, weight: 0.1}
///   - {name: fitnets, weight: 100, student: layer2, teacher: layer3}
/// ```
public enum LossCatalog {
    /// Every term name with its keys, as listed in errors and in the README.
    public static let terms: [(name: String, keys: String)] = [
        ("ce", "label_smoothing"),
        ("kd", "temperature"),
        ("ssld", "divergence (kl | js), temperature"),
        ("dkd", "alpha, beta, temperature, warmup_epochs"),
        ("fitnets", "student, teacher (feature paths)"),
        ("at", "pairs: [{student, teacher}], power"),
        ("sp", "student, teacher"),
        ("rkd", "student, teacher, distance_weight, angle_weight"),
        ("pkt", "student, teacher"),
        ("vid", "student, teacher"),
        ("crd", "student, teacher, embedding_size, negatives, temperature, momentum"),
        ("meal", "hidden, optimizer (MEAL V2's discriminator on the outputs; its optimizer defaults to a copy of the student's)"),
        ("mi_alpha", "student, teacher, alpha, critic_size"),
        ("token_relations", "student, teacher, temperature (Hybrid Distill's relation half)"),
        ("defensive", "temperature (defensive distillation: labels or teacher at T)"),
    ]

    public static var names: [String] { terms.map(\.name) }

    /// Builds the weighted sum from the `losses` list.
    public static func build(_ list: ConfigNode, context: LossContext, using generator: inout RandomGenerator) throws -> WeightedLoss {
        let entries = try list.elements()
        guard !entries.isEmpty else { throw list.error("expected at least one loss term") }
        return WeightedLoss(try entries.map { entry in
            let term = try buildTerm(entry, context: context, using: &generator)
            let weight: Float = try entry.value("weight", default: 1)
            try entry.finish()
            return (weight, term)
        })
    }

    private static func buildTerm(_ entry: ConfigNode, context: LossContext, using generator: inout RandomGenerator) throws -> any LossTerm {
        let name = try entry.choice("name", from: names, what: "loss")
        if !["ce", "defensive"].contains(name) && !context.hasTeacher {
            throw entry.error("loss '\(name)' needs a teacher, and this run has none (only 'ce' trains without one)")
        }
        // The feature-matching terms name one student and one teacher module.
        func pair() throws -> (student: String, teacher: String, studentShape: [Int], teacherShape: [Int]) {
            let studentNode = try entry.required("student", "a module path of the student"), teacherNode = try entry.required("teacher", "a module path of the teacher")
            return (try studentNode.value(), try teacherNode.value(),
                    try context.studentFeatureShape(at: studentNode), try context.teacherFeatureShape(at: teacherNode))
        }
        switch name {
        case "ce":
            return CrossEntropyTerm(labelSmoothing: try entry.value("label_smoothing", default: 0))
        case "kd":
            return KnowledgeDistillationLoss(temperature: try positive(entry, "temperature", default: 4))
        case "ssld":
            let divergence = try entry.choice("divergence", from: SoftTargetLoss.Divergence.allCases.map(\.rawValue), default: "js")
            return SoftTargetLoss(divergence: .init(rawValue: divergence)!, temperature: try positive(entry, "temperature", default: 1))
        case "dkd":
            return DecoupledKD(alpha: try entry.value("alpha", default: 1), beta: try entry.value("beta", default: 8),
                               temperature: try positive(entry, "temperature", default: 4), warmupEpochs: try entry.value("warmup_epochs", default: 0))
        case "fitnets":
            let (student, teacher, s, t) = try pair()
            // [N, D] vectors and [N, T, D] tokens regress their last axis with a linear map;
            // [N, C, H, W] maps their channels with a 1×1 convolution.
            guard s.count == t.count, s.count == 2 || (s.count == 3 && s[1] == t[1]) || (s.count == 4 && s[2...] == t[2...]) else {
                throw entry.error("fitnets needs features of the same kind and spatial size (or token count); student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
            }
            let channelAxis = s.count == 3 ? 2 : 1
            return FitNetsHint(student: student, teacher: teacher, studentChannels: s[channelAxis], teacherChannels: t[channelAxis],
                               spatial: s.count == 4, using: &generator)
        case "at":
            let pairs = try entry.required("pairs", "a list of {student, teacher} module paths").elements().map { pairNode -> (student: String, teacher: String) in
                let studentNode = try pairNode.required("student"), teacherNode = try pairNode.required("teacher")
                try pairNode.finish()
                let s = try context.studentFeatureShape(at: studentNode)
                let t = try context.teacherFeatureShape(at: teacherNode)
                guard s.count == 4, t.count == 4, s[2...] == t[2...] else {
                    throw pairNode.error("attention transfer needs [N, C, H, W] features of one spatial size; the student's is \(s), the teacher's \(t)")
                }
                return (try studentNode.value(), try teacherNode.value())
            }
            return AttentionTransfer(pairs: pairs, power: try entry.value("power", default: 2))
        case "sp":
            let (student, teacher, _, _) = try pair()
            return SimilarityPreserving(student: student, teacher: teacher)
        case "rkd":
            let (student, teacher, _, _) = try pair()
            return RelationalKD(student: student, teacher: teacher, distanceWeight: try entry.value("distance_weight", default: 25),
                                angleWeight: try entry.value("angle_weight", default: 50))
        case "pkt":
            let (student, teacher, _, _) = try pair()
            return ProbabilisticKT(student: student, teacher: teacher)
        case "vid":
            let (student, teacher, s, t) = try pair()
            guard s.count == t.count, s.count == 2 || (s.count == 4 && s[2...] == t[2...]) else {
                throw entry.error("vid needs features of the same kind and spatial size; student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
            }
            return VariationalInformationDistillation(student: student, teacher: teacher, studentChannels: s[1], teacherChannels: t[1],
                                                      spatial: s.count == 4, using: &generator)
        case "crd":
            let (student, teacher, s, t) = try pair()
            return ContrastiveRepresentationDistillation(
                student: student, teacher: teacher, studentSize: s.dropFirst().reduce(1, *), teacherSize: t.dropFirst().reduce(1, *),
                samples: context.trainingSamples, embeddingSize: try entry.value("embedding_size", default: 128),
                negatives: try entry.value("negatives", default: 4096), temperature: try positive(entry, "temperature", default: 0.07),
                momentum: try entry.value("momentum", default: 0.5), using: &generator)
        case "mi_alpha":
            let (student, teacher, s, t) = try pair()
            let alpha: Float = try entry.value("alpha", default: 0.5)
            guard (0...1).contains(alpha) else { throw (try entry.optional("alpha") ?? entry).error("must be in [0, 1], found \(alpha)") }
            return MutualInformationAlpha(student: student, teacher: teacher, studentSize: s.dropFirst().reduce(1, *),
                                          teacherSize: t.dropFirst().reduce(1, *), alpha: alpha, criticSize: try entry.value("critic_size", default: 64),
                                          using: &generator)
        case "token_relations":
            let (student, teacher, s, t) = try pair()
            guard [3, 4].contains(s.count), [3, 4].contains(t.count) else {
                throw entry.error("token_relations needs token features [N, T, D] (or [N, C, H, W]); student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
            }
            return TokenRelationDistillation(student: student, teacher: teacher, temperature: try positive(entry, "temperature", default: 0.1))
        case "meal":
            // Its own optimizer, at a constant learning rate, where the config names one; else a
            // copy of the student's, on the student's schedule.
            let optimizer = try entry.optional("optimizer").map(OptimizerCatalog.optimizer)
            return MEALV2Discriminator(classes: context.classes, hidden: try entry.value("hidden", default: 64), optimizer: optimizer?.optimizer,
                                       schedule: optimizer.map { .constant($0.learningRate) }, using: &generator)
        case "defensive":
            return DefensiveDistillationLoss(temperature: try positive(entry, "temperature", default: 20))
        default:
            preconditionFailure("LossCatalog: '\(name)' is listed but not built")
        }
    }

    private static func positive(_ entry: ConfigNode, _ key: String, default defaultValue: Float) throws -> Float {
        let value: Float = try entry.value(key, default: defaultValue)
        guard value > 0 else { throw (try entry.optional(key) ?? entry).error("must be positive, found \(value)") }
        return value
    }
}
