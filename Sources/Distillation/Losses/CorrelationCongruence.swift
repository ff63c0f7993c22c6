import Configuration
import Foundation
import NN
import Tensors

/// Correlation congruence, CC (Peng et al., ICCV 2019, "Correlation Congruence for Knowledge
/// Distillation"): besides matching each sample, the student keeps the teacher's
/// correlations between samples. Both features are first mapped by a linear embedding of
/// their own (`embedding` wide, default 128), trained with the student, as RepDistiller's
/// `LinearEmbed` does.
///
/// Two forms, chosen by `kernel`:
/// - `repdistiller` (the default): what RepDistiller's `Correlation` computes
///   (`distiller_zoo/CC.py`, the code its authors emailed to RepDistiller's), with
///   δ = |e_s − e_t|, the products of consecutive samples' differences,
///   `mean over i of Σ_d δ[i, d]·δ[i+1, d]`;
/// - `rbf`: the paper's correlation matrices, a Gaussian RBF kernel between the samples'
///   L2-normalised embeddings approximated by its Taylor series to order P (2),
///   `C = Σ_{p=0}^{P} e^{−2γ} (2γ)^p / p! · (ê ê^T)^{∘p}` (γ = 0.4), and
///   `CC = ‖C_s − C_t‖²_F / n²`.
///
/// Both are checked against PyTorch in `Tests/DistillationTests/Fixtures/make_fixtures.py`.
public final class CorrelationCongruence: FeaturePairTerm {
    public enum Kernel: String, CaseIterable, Sendable {
        case repdistiller, rbf
    }

    public let studentPath: String, teacherPath: String
    public let kernel: Kernel
    /// γ and P of the RBF kernel's Taylor approximation.
    public let gamma: Float, order: Int
    /// The embeddings of the student's and the teacher's flattened features.
    public let studentEmbedding: Linear, teacherEmbedding: Linear
    public var name: String { "cc" }
    public var trainableModules: [Module] { [studentEmbedding, teacherEmbedding] }

    public init(student: String, teacher: String, studentFeatures: Int, teacherFeatures: Int, embedding: Int = 128, kernel: Kernel = .repdistiller,
                gamma: Float = 0.4, order: Int = 2, using generator: inout RandomGenerator) {
        (studentPath, teacherPath, self.kernel, self.gamma, self.order) = (student, teacher, kernel, gamma, order)
        studentEmbedding = Linear(studentFeatures, embedding, using: &generator)
        teacherEmbedding = Linear(teacherFeatures, embedding, using: &generator)
    }

    /// The samples' correlations `[n, n]` under the Taylor-approximated RBF kernel.
    func correlations(_ embedded: Tensor) -> Tensor {
        let unit = embedded / maximum(embedded.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
        let similarity = matmul(unit, unit, transposeB: true)
        var power = Tensor.ones(similarity.shape), total = Tensor.zeros(similarity.shape)
        var factorial: Float = 1
        for p in 0...order {
            if p > 0 { power = power * similarity; factorial *= Float(p) }
            total = total + (Foundation.exp(-2 * gamma) * Foundation.pow(2 * gamma, Float(p)) / factorial) * power
        }
        return total
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let (student, teacher) = (studentEmbedding(s.flattened(startAxis: 1)), teacherEmbedding(t.flattened(startAxis: 1)))
        switch kernel {
        case .repdistiller:
            let n = student.shape[0]
            guard n > 1 else { return Tensor(0) }
            let difference = (student - teacher).abs()
            return (difference.slice(axis: 0, start: 0, end: n - 1) * difference.slice(axis: 0, start: 1, end: n)).sum(axes: [1]).mean()
        case .rbf:
            return (correlations(student) - correlations(teacher)).squared().mean()
        }
    }
}

extension CorrelationCongruence: ConfigurableLossTerm {
    public static let configName = "cc"
    public static let configKeys = "student, teacher, embedding, kernel (repdistiller | rbf), gamma, order"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        let kernel = Kernel(rawValue: try entry.choice("kernel", from: Kernel.allCases.map(\.rawValue), default: Kernel.repdistiller.rawValue, what: "kernel"))!
        let gamma: Float = try entry.value("gamma", default: 0.4, in: Float.ulpOfOne...100)
        let order: Int = try entry.value("order", default: 2, in: 0...8)
        if kernel == .repdistiller, let extra = try ["gamma", "order"].first(where: { try entry.optional($0) != nil }) {
            throw try entry.required(extra).error("only the rbf kernel takes \(extra) (add kernel: rbf)")
        }
        return Self(student: student, teacher: teacher, studentFeatures: s.dropFirst().reduce(1, *), teacherFeatures: t.dropFirst().reduce(1, *),
                    embedding: try entry.value("embedding", default: 128, in: 1...65_536), kernel: kernel, gamma: gamma, order: order, using: &generator)
    }
}
