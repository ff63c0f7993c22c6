import Configuration
import NN
import Tensors

/// Neuron selectivity transfer, NST (Huang & Wang, 2017, "Like What You Like: Knowledge
/// Distill via Neuron Selectivity Transfer"). Each channel's activation map, flattened over
/// the positions and L2-normalised, is one sample of how that neuron selects; the student's
/// channels and the teacher's are matched as two distributions by the squared maximum mean
/// discrepancy with the polynomial kernel k(a, b) = (aᵀb)² (the paper's best, d = 2, c = 0):
///
///     NST = mean K(t, t) + mean K(s, s) − 2 · mean K(s, t),   K(x, y)ᵢⱼ = (xᵢᵀyⱼ)²,
///
/// per sample over channel pairs, averaged over the batch, and summed over the layer pairs.
/// As RepDistiller's `NSTLoss` computes it (`distiller_zoo/NST.py`; checked against it in
/// `Tests/DistillationTests/Fixtures/make_fixtures.py`): the larger map is average-pooled to
/// the smaller's size (PyTorch's adaptive windows) and the teacher's own term, a constant, is
/// kept, so that the loss is the MMD itself. The two models' channel counts may differ.
public struct NeuronSelectivityTransfer: LossTerm {
    public let pairs: [(student: String, teacher: String)]
    public var name: String { "nst" }
    public var studentFeaturePaths: [String] { pairs.map(\.student) }
    public var teacherFeaturePaths: [String] { pairs.map(\.teacher) }

    public init(pairs: [(student: String, teacher: String)]) { self.pairs = pairs }

    /// Channel maps `[N, C, H·W]`, each normalised to unit L2 norm over its positions.
    private func selectivities(_ feature: Tensor) -> Tensor {
        let maps = feature.flattened(startAxis: 2)
        return maps / maximum(maps.norm(.l2, axes: [2], keepDims: true), Tensor(1e-12))
    }

    /// The mean of the polynomial kernel (aᵀb)² over every sample's channel pairs.
    private func kernelMean(_ a: Tensor, _ b: Tensor) -> Tensor { matmul(a, b, transposeB: true).squared().mean() }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        pairs.map { pair -> Tensor in
            let (s, t) = batch.featurePair(student: pair.student, teacher: pair.teacher, term: name)
            let (pooledStudent, pooledTeacher) = pooledToTheSmallerSize(s, t)
            let (student, teacher) = (selectivities(pooledStudent), selectivities(pooledTeacher))
            return kernelMean(teacher, teacher) + kernelMean(student, student) - 2 * kernelMean(student, teacher)
        }.reduce(Tensor(0), +)
    }
}

extension NeuronSelectivityTransfer: ConfigurableLossTerm {
    public static let configName = "nst"
    public static let configKeys = "pairs: [{student, teacher}]"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        Self(pairs: try context.featurePairs(entry).map { pair in
            let (s, t) = (pair.studentShape, pair.teacherShape)
            guard poolableToOneSize(s, t) else {
                throw pair.entry.error("nst needs [N, C, H, W] features, one map at least as large as the other both ways; the student's is \(s), the teacher's \(t)")
            }
            return (pair.student, pair.teacher)
        })
    }
}
