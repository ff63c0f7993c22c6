import Configuration
import Tensors

/// Token-relation distillation, the half of Hybrid Distill (Shi et al., 2023) that comes from
/// the masked-image-modelling teacher: for each sample, the relations among its tokens —
/// `R = softmax(X̂·X̂ᵀ/τ)` row by row, X̂ the L2-normalised token features `[T, D]` — are
/// matched, `KL(R_t ‖ R_s)` averaged over the rows. Student and teacher may differ in width
/// (the relations are `T × T` for both), not in token count. Features are `[N, T, D]`, or
/// `[N, C, H, W]` read as `H·W` tokens of `C` channels.
///
/// Hybrid Distill pairs it with a feature term on another teacher (e.g. `FitNetsHint` on a
/// supervised teacher's tokens) through a `TeacherPanel`: the student keeps the MIM teacher's
/// diverse attention and the supervised teacher's discriminative features.
public struct TokenRelationDistillation: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let temperature: Float
    public var name: String { "token_relations" }

    public init(student: String, teacher: String, temperature: Float = 0.1) {
        precondition(temperature > 0, "token_relations: temperature \(temperature) must be positive")
        (studentPath, teacherPath, self.temperature) = (student, teacher, temperature)
    }

    /// The relation logits `X̂·X̂ᵀ/τ` `[N, T, T]` of token features.
    public func relationLogits(_ feature: Tensor) -> Tensor {
        let tokens = feature.rank == 4 ? feature.flattened(startAxis: 2).transposed(1, 2) : feature
        precondition(tokens.rank == 3, "token_relations: features \(feature.shape) are neither [N, T, D] nor [N, C, H, W]")
        let unit = tokens / maximum(tokens.norm(.l2, axes: [2], keepDims: true), Tensor(1e-12))
        return matmul(unit, unit, transposeB: true) / temperature
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let (studentRelations, teacherRelations) = (relationLogits(s), relationLogits(t))
        precondition(studentRelations.shape == teacherRelations.shape,
                     "token_relations: the student has \(studentRelations.shape[1]) tokens, the teacher \(teacherRelations.shape[1])")
        let (n, tokens) = (studentRelations.shape[0], studentRelations.shape[1])
        let rows = [n * tokens, tokens]
        return klDivergence(logProbabilities: studentRelations.reshaped(rows).logSoftmax(axis: 1),
                            target: teacherRelations.reshaped(rows).softmax(axis: 1))
    }
}

extension TokenRelationDistillation: ConfigurableLossTerm {
    public static let configName = "token_relations"
    public static let configKeys = "student, teacher, temperature (Hybrid Distill's relation half)"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        guard [3, 4].contains(s.count), [3, 4].contains(t.count) else {
            throw entry.error("token_relations needs token features [N, T, D] (or [N, C, H, W]); student '\(student)' is \(s), teacher '\(teacher)' is \(t)")
        }
        return Self(student: student, teacher: teacher, temperature: try entry.positiveValue("temperature", default: 0.1))
    }
}
