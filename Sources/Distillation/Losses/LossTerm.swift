import NN
import Tensors
import Training

/// What a loss term sees of one batch: the student's and teacher's logits, the labels
/// (class indices; nil on unlabeled data), the features tapped from both models by path,
/// every named output of both models, and the batch's padding mask.
public struct DistillationBatch {
    public var studentLogits: Tensor
    public var teacherLogits: Tensor?
    public var labels: Tensor?
    public var studentFeatures: [String: Tensor]
    public var teacherFeatures: [String: Tensor]
    /// The training epoch (0-based), for terms whose weight ramps up (DKD's warm-up).
    public var epoch: Int
    /// The samples' positions in the training set (for CRD's memory bank); nil outside a loader.
    public var sampleIndices: [Int]?
    /// All of the student's outputs by name (`studentLogits` is its `logits`); nil where the
    /// caller gave logits only.
    public var studentOutputs: ModelOutputs?
    /// All of the teacher's outputs by name.
    public var teacherOutputs: ModelOutputs?
    /// The batch's mask (1 kept, 0 padding), for terms over token positions.
    public var mask: Tensor?
    /// The graph the batch's samples are nodes of, and each sample's node, for terms over
    /// the edges among them (FF-G2M).
    public var graph: SparseMatrix?
    public var nodes: [Int]?

    public init(
        studentLogits: Tensor, teacherLogits: Tensor? = nil, labels: Tensor? = nil,
        studentFeatures: [String: Tensor] = [:], teacherFeatures: [String: Tensor] = [:], epoch: Int = 0, sampleIndices: [Int]? = nil,
        studentOutputs: ModelOutputs? = nil, teacherOutputs: ModelOutputs? = nil, mask: Tensor? = nil, graph: SparseMatrix? = nil, nodes: [Int]? = nil
    ) {
        self.studentLogits = studentLogits
        self.teacherLogits = teacherLogits
        self.labels = labels
        self.studentFeatures = studentFeatures
        self.teacherFeatures = teacherFeatures
        self.epoch = epoch
        self.sampleIndices = sampleIndices
        (self.studentOutputs, self.teacherOutputs, self.mask) = (studentOutputs, teacherOutputs, mask)
        (self.graph, self.nodes) = (graph, nodes)
    }

    /// The teacher's logits, or a failure naming the term that needs them.
    public func requireTeacherLogits(_ term: String) -> Tensor {
        guard let teacherLogits else { preconditionFailure("\(term) needs teacher logits") }
        return teacherLogits
    }

    /// The labels, or a failure naming the term that needs them.
    public func requireLabels(_ term: String) -> Tensor {
        guard let labels else { preconditionFailure("\(term) needs labels") }
        return labels
    }

    /// The student's and teacher's features at the given paths.
    func featurePair(student: String, teacher: String, term: String) -> (Tensor, Tensor) {
        guard let s = studentFeatures[student] else { preconditionFailure("\(term) needs the student feature '\(student)'") }
        guard let t = teacherFeatures[teacher] else { preconditionFailure("\(term) needs the teacher feature '\(teacher)'") }
        return (s, t.detached())
    }
}

/// One named term of a distillation objective. A term may own trainable modules: trained
/// with the student by its optimizer (the regressor of a FitNets hint), or by an optimizer of
/// their own (MEAL V2's discriminator).
public protocol LossTerm {
    /// The name used in configs and metrics (`"kd"`, `"dkd"`, `"fitnets"` …).
    var name: String { get }
    /// The student and teacher feature paths this term reads (tapped during the forward pass).
    var studentFeaturePaths: [String] { get }
    var teacherFeaturePaths: [String] { get }
    /// Modules with parameters of their own, trained together with the student.
    var trainableModules: [Module] { get }
    /// Modules trained by optimizers of their own (see `OptimizedModule`).
    var optimizedModules: [OptimizedModule] { get }
    /// A stage the term trains in before the main training, if any (see `LossTermStage`).
    var stage: LossTermStage? { get }
    /// The term's value for a batch (a scalar, differentiable in the student's outputs).
    func callAsFunction(_ batch: DistillationBatch) -> Tensor
}

extension LossTerm {
    public var studentFeaturePaths: [String] { [] }
    public var teacherFeaturePaths: [String] { [] }
    public var trainableModules: [Module] { [] }
    public var optimizedModules: [OptimizedModule] { [] }
    public var stage: LossTermStage? { nil }
}

/// A weighted sum of terms, as torchdistill composes its losses: `Σ wᵢ·termᵢ(batch)`.
///
/// A term that trains only in a stage of its own (`LossTermStage.Role.replacesTheTerm`)
/// leaves the sum for `stages`, its weight with it.
public struct WeightedLoss {
    /// The main training's terms.
    public var terms: [(weight: Float, term: any LossTerm)]
    /// The terms' stages, in the terms' order, each with the weight of its loss.
    public var stages: [(weight: Float, stage: LossTermStage)]

    public init(_ terms: [(weight: Float, term: any LossTerm)]) {
        self.terms = terms.filter { $0.term.stage?.role != .replacesTheTerm }
        stages = terms.compactMap { weight, term in
            term.stage.map { ($0.role == .replacesTheTerm ? weight : 1, $0) }
        }
    }

    /// The total and each term's (unweighted) value, for logging.
    public func callAsFunction(_ batch: DistillationBatch) -> (total: Tensor, parts: [String: Float]) {
        var total = Tensor(0)
        var parts: [String: Float] = [:]
        for (weight, term) in terms {
            let value = term(batch)
            parts[term.name] = value.item
            total = total + weight * value
        }
        return (total, parts)
    }

    /// Every feature path the terms read, per model.
    public var studentFeaturePaths: [String] { Array(Set(terms.flatMap { $0.term.studentFeaturePaths })).sorted() }
    public var teacherFeaturePaths: [String] { Array(Set(terms.flatMap { $0.term.teacherFeaturePaths })).sorted() }
}

/// A term that compares one student feature with one teacher feature.
public protocol FeaturePairTerm: LossTerm {
    var studentPath: String { get }
    var teacherPath: String { get }
}

extension FeaturePairTerm {
    public var studentFeaturePaths: [String] { [studentPath] }
    public var teacherFeaturePaths: [String] { [teacherPath] }
}
