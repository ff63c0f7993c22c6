import Configuration
import Foundation
import NN
import Tensors

/// FitNets hints (Romero et al., 2015): a learnable regressor maps the student's hint-layer
/// feature onto the teacher's guided-layer feature, and their mean squared error is the
/// loss. The regressor is a 1×1 convolution for `[N, C, H, W]` features (a linear map for
/// `[N, D]`), trained with the student.
public final class FitNetsHint: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let regressor: Module
    public var name: String { "fitnets" }
    public var trainableModules: [Module] { [regressor] }

    /// `studentChannels → teacherChannels`; `spatial` picks a 1×1 convolution over a linear map.
    public init(student: String, teacher: String, studentChannels: Int, teacherChannels: Int, spatial: Bool = true, using generator: inout RandomGenerator) {
        (studentPath, teacherPath) = (student, teacher)
        regressor = spatial
            ? Conv2d(studentChannels, teacherChannels, kernelSize: 1, bias: false, using: &generator)
            : Linear(studentChannels, teacherChannels, bias: false, using: &generator)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let mapped = regressor(s)
        precondition(mapped.shape == t.shape, "fitnets: the regressed student feature \(mapped.shape) does not match the teacher feature \(t.shape) (spatial sizes must agree)")
        return meanSquaredError(mapped, t)
    }
}

/// Attention transfer (Zagoruyko & Komodakis, 2017): for each pair of layers, the spatial
/// attention maps `A = normalize(mean_c |f|^p)` of student and teacher are matched,
/// `mean((A_s − A_t)²)`, summed over the pairs.
public struct AttentionTransfer: LossTerm {
    public let pairs: [(student: String, teacher: String)]
    public let power: Float
    public var name: String { "at" }
    public var studentFeaturePaths: [String] { pairs.map(\.student) }
    public var teacherFeaturePaths: [String] { pairs.map(\.teacher) }

    public init(pairs: [(student: String, teacher: String)], power: Float = 2) {
        (self.pairs, self.power) = (pairs, power)
    }

    /// The normalised attention map `[N, H·W]` of a feature `[N, C, H, W]`.
    public func attentionMap(_ feature: Tensor) -> Tensor { Self.attentionMap(feature, power: power) }

    /// `normalize(mean_c |f|^p)` flattened over the positions: also FT's factor (p = 2).
    public static func attentionMap(_ feature: Tensor, power: Float) -> Tensor {
        let map = feature.abs().pow(power).mean(axes: [1]).flattened(startAxis: 1)
        return map / maximum(map.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        pairs.map { pair -> Tensor in
            let (s, t) = batch.featurePair(student: pair.student, teacher: pair.teacher, term: name)
            return (attentionMap(s) - attentionMap(t)).squared().mean()
        }.reduce(Tensor(0), +)
    }
}

/// Similarity-preserving distillation (Tung & Mori, 2019): the batch's pairwise similarity
/// matrices `G = normalize_rows(F·Fᵀ)` of student and teacher features are matched,
/// `‖G_s − G_t‖²_F / b²`.
public struct SimilarityPreserving: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public var name: String { "sp" }

    public init(student: String, teacher: String) { (studentPath, teacherPath) = (student, teacher) }

    private func similarity(_ feature: Tensor) -> Tensor {
        let rows = feature.flattened(startAxis: 1)
        let gram = matmul(rows, rows, transposeB: true)
        return gram / maximum(gram.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let b = Float(s.shape[0])
        return (similarity(s) - similarity(t)).squared().sum() / (b * b)
    }
}

/// Relational knowledge distillation (Park et al., 2019): the student's embeddings keep
/// the teacher's relations — pairwise distances (normalised by their mean) and the angles
/// formed by triples — each compared with the Huber (smooth L1) loss.
public struct RelationalKD: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let distanceWeight: Float, angleWeight: Float
    public var name: String { "rkd" }

    public init(student: String, teacher: String, distanceWeight: Float = 25, angleWeight: Float = 50) {
        (studentPath, teacherPath, self.distanceWeight, self.angleWeight) = (student, teacher, distanceWeight, angleWeight)
    }

    /// Pairwise distances `[B, B]`, divided by the mean of the off-diagonal ones.
    func normalizedDistances(_ embedding: Tensor) -> Tensor {
        let b = embedding.shape[0]
        let squared = embedding.squared().sum(axes: [1], keepDims: true)
        let gram = matmul(embedding, embedding, transposeB: true)
        let offDiagonal = 1 - Tensor.eye(b)
        // The floor keeps the square root's gradient finite on the diagonal, where it is masked.
        let distances = maximum(squared + squared.transposed() - 2 * gram, Tensor(1e-12)).sqrt() * offDiagonal
        return distances / (distances.sum() / Float(b * (b - 1)))
    }

    /// Cosines of the angles `∠(e_j − e_i, e_k − e_i)` for all triples, `[B, B, B]`.
    func angles(_ embedding: Tensor) -> Tensor {
        let b = embedding.shape[0], d = embedding.shape[1]
        let differences = embedding.unsqueezed(axis: 0).broadcast(to: [b, b, d]) - embedding.unsqueezed(axis: 1)
        let unit = differences / maximum(differences.norm(.l2, axes: [2], keepDims: true), Tensor(1e-12))
        return matmul(unit, unit, transposeB: true)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let (student, teacher) = (s.flattened(startAxis: 1), t.flattened(startAxis: 1))
        let distance = smoothL1Loss(normalizedDistances(student), normalizedDistances(teacher))
        let angle = smoothL1Loss(angles(student), angles(teacher))
        return distanceWeight * distance + angleWeight * angle
    }
}

/// Probabilistic knowledge transfer (Passalis & Tefas, 2018): the conditional distributions
/// of cosine similarities within the batch (`(cos + 1)/2`, normalised per row) of student
/// and teacher are matched by KL divergence.
public struct ProbabilisticKT: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public var name: String { "pkt" }

    public init(student: String, teacher: String) { (studentPath, teacherPath) = (student, teacher) }

    func conditional(_ feature: Tensor, epsilon: Float = 1e-7) -> Tensor {
        let rows = feature.flattened(startAxis: 1)
        let unit = rows / (rows.norm(.l2, axes: [1], keepDims: true) + epsilon)
        let similarity = (matmul(unit, unit, transposeB: true) + 1) / 2
        return similarity / similarity.sum(axes: [1], keepDims: true)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let (student, teacher) = (conditional(s), conditional(t))
        let epsilon: Float = 1e-7
        return (teacher * ((teacher + epsilon) / (student + epsilon)).log()).mean()
    }
}

/// Variational information distillation, VID (Ahn et al., 2019): the teacher's feature is
/// modelled as a Gaussian around a prediction from the student's, `t ~ N(μ(s), σ²)` with a
/// learned variance per channel, and the student maximises its log-likelihood — a variational
/// lower bound on the mutual information between the two. As in RepDistiller's `VIDLoss`:
/// μ is three 1×1 convolutions (linear maps for `[N, D]` features) with ReLUs between,
/// `σ² = softplus(α) + 10⁻⁵` with α initialised so that σ² = 5, and the loss is
/// `mean(½((t − μ)²/σ² + log σ²))`.
public final class VariationalInformationDistillation: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let predictor: Predictor
    public var name: String { "vid" }
    public var trainableModules: [Module] { [predictor] }

    /// μ(·) and the per-channel variance parameter α (`log_scale`).
    public final class Predictor: Module {
        public let regressor: Sequential
        @Parameter public var logScale: Tensor

        init(_ input: Int, _ middle: Int, _ output: Int, spatial: Bool, using generator: inout RandomGenerator) {
            func map(_ a: Int, _ b: Int) -> Module {
                spatial ? Conv2d(a, b, kernelSize: 1, bias: false, using: &generator) : Linear(a, b, bias: false, using: &generator)
            }
            regressor = Sequential([map(input, middle), Activation(.relu), map(middle, middle), Activation(.relu), map(middle, output)])
            // softplus(α) + ε = 5 at the start.
            _logScale = Parameter(Tensor.full([output], value: Float(Foundation.log(Foundation.exp(5.0 - 1e-5) - 1))), key: "log_scale")
            super.init()
        }
    }

    public init(student: String, teacher: String, studentChannels: Int, teacherChannels: Int, spatial: Bool = true, using generator: inout RandomGenerator) {
        (studentPath, teacherPath) = (student, teacher)
        predictor = Predictor(studentChannels, teacherChannels, teacherChannels, spatial: spatial, using: &generator)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let mean = predictor.regressor(s)
        precondition(mean.shape == t.shape, "vid: the predicted feature \(mean.shape) does not match the teacher feature \(t.shape)")
        let variance = (predictor.logScale.softplus() + 1e-5).reshaped([1, -1] + [Int](repeating: 1, count: t.rank - 2))
        return (((mean - t).squared() / variance + variance.log()) * 0.5).mean()
    }
}

// MARK: Config names

extension FitNetsHint: ConfigurableLossTerm {
    public static let configName = "fitnets"
    public static let configKeys = "student, teacher (feature paths)"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        // [N, D] vectors and [N, T, D] tokens regress their last axis with a linear map;
        // [N, C, H, W] maps their channels with a 1×1 convolution.
        guard s.count == t.count, s.count == 2 || (s.count == 3 && s[1] == t[1]) || (s.count == 4 && s[2...] == t[2...]) else {
            throw entry.error("fitnets needs features of the same kind and spatial size (or token count); student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
        }
        let channelAxis = s.count == 3 ? 2 : 1
        return Self(student: student, teacher: teacher, studentChannels: s[channelAxis], teacherChannels: t[channelAxis],
                    spatial: s.count == 4, using: &generator)
    }
}

extension AttentionTransfer: ConfigurableLossTerm {
    public static let configName = "at"
    public static let configKeys = "pairs: [{student, teacher}], power"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let pairs = try context.featurePairs(entry).map { pair -> (student: String, teacher: String) in
            let (s, t) = (pair.studentShape, pair.teacherShape)
            guard s.count == 4, t.count == 4, s[2...] == t[2...] else {
                throw pair.entry.error("attention transfer needs [N, C, H, W] features of one spatial size; the student's is \(s), the teacher's \(t)")
            }
            return (pair.student, pair.teacher)
        }
        return Self(pairs: pairs, power: try entry.value("power", default: 2, in: 1...8))
    }
}

/// A feature-matching term made from its two module paths alone (any feature shapes).
public protocol ModulePathPairTerm: ConfigurableLossTerm {
    init(student: String, teacher: String)
}

extension ModulePathPairTerm {
    public static var configKeys: String { "student, teacher" }
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, _, _) = try context.featurePair(entry)
        return Self(student: student, teacher: teacher)
    }
}

extension SimilarityPreserving: ModulePathPairTerm {
    public static let configName = "sp"
}

extension RelationalKD: ConfigurableLossTerm {
    public static let configName = "rkd"
    public static let configKeys = "student, teacher, distance_weight, angle_weight"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, _, _) = try context.featurePair(entry)
        return Self(student: student, teacher: teacher, distanceWeight: try entry.nonNegativeValue("distance_weight", default: 25),
                    angleWeight: try entry.nonNegativeValue("angle_weight", default: 50))
    }
}

extension ProbabilisticKT: ModulePathPairTerm {
    public static let configName = "pkt"
}

extension VariationalInformationDistillation: ConfigurableLossTerm {
    public static let configName = "vid"
    public static let configKeys = "student, teacher"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        guard s.count == t.count, s.count == 2 || (s.count == 4 && s[2...] == t[2...]) else {
            throw entry.error("vid needs features of the same kind and spatial size; student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
        }
        return Self(student: student, teacher: teacher, studentChannels: s[1], teacherChannels: t[1], spatial: s.count == 4, using: &generator)
    }
}
