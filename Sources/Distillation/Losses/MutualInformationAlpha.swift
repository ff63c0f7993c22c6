import Configuration
import Foundation
import NN
import Tensors

/// MI-α, the intermediate-representation objective of the Distiller study (He et al., 2021):
/// maximise a lower bound on the mutual information between student and teacher features
/// that interpolates, by α, between the low-variance but biased InfoNCE bound and the
/// unbiased but high-variance NWJ bound — Poole et al.'s (2019) `I_α`, as in their reference
/// implementation (`interpolated_lower_bound`):
///
///     scores S_ij = ⟨g(s_i), h(t_j)⟩/√d       (separable critic: learned linear maps g, h)
///     B_ij = log(α·loomean_i,j + (1 − α)·e^b)  (loomean: mean of e^{S_ik} over k ≠ j; b learned)
///     I_α = 1 + mean_{i≠j}(S_ii − B_ij) − mean_{i≠j} e^{S_ij − B_ii}
///
/// The loss is `−I_α`. α = 1 leans on InfoNCE's leave-one-out baseline, α = 0 on the learned
/// baseline alone (NWJ).
public final class MutualInformationAlpha: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let alpha: Float
    public let critic: Critic
    public var name: String { "mi_alpha" }
    public var trainableModules: [Module] { [critic] }

    /// The separable critic's maps and the learned log-baseline `b`.
    public final class Critic: Module {
        public let student: Linear, teacher: Linear
        @Parameter public var baseline: Tensor

        init(studentSize: Int, teacherSize: Int, size: Int, using generator: inout RandomGenerator) {
            student = Linear(studentSize, size, using: &generator)
            teacher = Linear(teacherSize, size, using: &generator)
            _baseline = Parameter(Tensor.zeros([1]), key: "baseline")
            super.init()
        }
    }

    public init(student: String, teacher: String, studentSize: Int, teacherSize: Int, alpha: Float = 0.5, criticSize: Int = 64,
                using generator: inout RandomGenerator) {
        precondition((0...1).contains(alpha), "mi_alpha: alpha \(alpha) must be in [0, 1]")
        (studentPath, teacherPath, self.alpha) = (student, teacher, alpha)
        critic = Critic(studentSize: studentSize, teacherSize: teacherSize, size: criticSize, using: &generator)
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        return -bound(studentFeature: s, teacherFeature: t)
    }

    /// The critic's scores `[K, K]` (row i: student sample i against every teacher sample).
    public func scores(studentFeature: Tensor, teacherFeature: Tensor) -> Tensor {
        let g = critic.student(studentFeature.flattened(startAxis: 1)), h = critic.teacher(teacherFeature.flattened(startAxis: 1))
        return matmul(g, h, transposeB: true) / Float(g.shape[1]).squareRoot()
    }

    /// `I_α` for a batch of paired features (at least two samples).
    public func bound(studentFeature: Tensor, teacherFeature: Tensor) -> Tensor {
        let scores = self.scores(studentFeature: studentFeature, teacherFeature: teacherFeature)
        let k = scores.shape[0]
        precondition(k >= 2, "mi_alpha: needs at least two samples per batch")
        let offDiagonal = 1 - Tensor.eye(k)
        // log Σ_{k≠j} e^{S_ik} = LSE_i + log(1 − softmax_ij), then the mean over the K − 1 terms.
        let rowLSE = scores.logSumExp(axes: [1], keepDims: true)
        let share = minimum((scores - rowLSE).exp(), Tensor(1 - 1e-6))
        let leaveOneOutMean = rowLSE + (-share).log1p() - Float(k - 1).log()
        // log(α·e^{loo} + (1 − α)·e^{b}), stably.
        let baseline = critic.baseline.reshaped([1, 1]) + Tensor.zeros([k, k])
        let interpolated = logSumExpPair(leaveOneOutMean + Float(alpha).safeLog(), baseline + Float(1 - alpha).safeLog())
        let diagonalScores = (scores * Tensor.eye(k)).sum(axes: [1], keepDims: true)           // S_ii  [K, 1]
        let diagonalBaseline = (interpolated * Tensor.eye(k)).sum(axes: [1], keepDims: true)   // B_ii  [K, 1]
        let pairs = Float(k * (k - 1))
        let joint = ((diagonalScores - interpolated) * offDiagonal).sum() / pairs
        let marginalTerms = scores - diagonalBaseline + (1 - offDiagonal) * -1e9
        let marginal = (marginalTerms.logSumExp() - pairs.log()).exp()
        return 1 + joint - marginal
    }

    /// `log(e^a + e^b)` elementwise.
    private func logSumExpPair(_ a: Tensor, _ b: Tensor) -> Tensor {
        let high = maximum(a, b)
        return high + ((a - high).exp() + (b - high).exp()).log()
    }
}

private extension Float {
    func log() -> Float { Foundation.log(self) }
    /// log(x), with log(0) a large negative number rather than −∞ (α = 0 or 1).
    func safeLog() -> Float { self > 0 ? Foundation.log(self) : -1e9 }
}

extension MutualInformationAlpha: ConfigurableLossTerm {
    public static let configName = "mi_alpha"
    public static let configKeys = "student, teacher, alpha, critic_size"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        let alpha: Float = try entry.value("alpha", default: 0.5, in: 0...1)
        guard (0...1).contains(alpha) else { throw (try entry.optional("alpha") ?? entry).error("must be in [0, 1], found \(alpha)") }
        return Self(student: student, teacher: teacher, studentSize: s.dropFirst().reduce(1, *), teacherSize: t.dropFirst().reduce(1, *),
                    alpha: alpha, criticSize: try entry.value("critic_size", default: 64, in: 1...65_536), using: &generator)
    }
}
