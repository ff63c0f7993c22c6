import Configuration
import NN
import Tensors

/// Activation boundaries, AB (Heo et al., AAAI 2019, "Knowledge Transfer via Distillation of
/// Activation Boundaries Formed by Hidden Neurons"): the student learns where the teacher's
/// neurons switch on, not how strongly. On each pair of features taken before the ReLU, the
/// student's (through a connector) is pushed past a margin m on the side of zero the
/// teacher's is on:
///
///     AB(s, t) = Σ (s + m)² · 1[s > −m and t ≤ 0] + (s − m)² · 1[s ≤ m and t > 0],
///
/// the pairs weighted 2^(i − n + 1) (the last 1, each earlier one half the next), divided by
/// the batch size and by 1000/3. As RepDistiller's `ABLoss` computes it
/// (`distiller_zoo/AB.py`, its `criterion_alternative_l2`; checked in
/// `Tests/DistillationTests/Fixtures/make_fixtures.py`), with its `Connector`
/// (`models/util.py`): nothing where the two maps have the same channels and size, else a
/// `ConvolutionalRegressor` without ReLU.
///
/// Built from a config, the term trains only in an initialisation stage, as in the paper and
/// RepDistiller's `init`: the connectors and the student's layers the loss reaches are fitted
/// with the student in `eval()` mode, and the main training then runs without the term. The
/// features it reads are the blocks' `preact` points (`layer1.0.preact`; see the models).
public struct ActivationBoundaries: LossTerm {
    public let pairs: [(student: String, teacher: String)]
    /// Each pair's connector (`Identity` where the shapes already agree).
    public let connectors: [Module]
    public let margin: Float
    /// The initialisation stage's settings; nil for a term of the main training.
    public let initialisation: StageSettings?
    public var name: String { "ab" }
    public var studentFeaturePaths: [String] { pairs.map(\.student) }
    public var teacherFeaturePaths: [String] { pairs.map(\.teacher) }
    public var trainableModules: [Module] { connectors.filter { !$0.namedParameters().isEmpty } }

    public init(pairs: [(student: String, teacher: String)], connectors: [Module], margin: Float = 1, initialisation: StageSettings? = nil) {
        precondition(pairs.count == connectors.count && !pairs.isEmpty, "AB needs one connector per feature pair")
        (self.pairs, self.connectors, self.margin, self.initialisation) = (pairs, connectors, margin, initialisation)
    }

    public var stage: LossTermStage? {
        initialisation.map {
            LossTermStage(name: name, settings: $0, loss: Self(pairs: pairs, connectors: connectors, margin: margin),
                          trainsStudent: true, studentMode: .inference, role: .replacesTheTerm)
        }
    }

    /// The margin loss of one pair, summed over its elements. The indicators are constants:
    /// the loss is differentiated where it is smooth, as autograd differentiates RepDistiller's.
    func boundaryLoss(_ student: Tensor, _ teacher: Tensor) -> Tensor {
        let (s, t) = (student.detached().scalars, teacher.scalars)
        let belowZero = Tensor(zip(s, t).map { $0 > -margin && $1 <= 0 ? 1 : 0 }, shape: student.shape)
        let aboveZero = Tensor(zip(s, t).map { $0 <= margin && $1 > 0 ? 1 : 0 }, shape: student.shape)
        return ((student + margin).squared() * belowZero + (student - margin).squared() * aboveZero).sum()
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        var (total, samples) = (Tensor(0), 1)
        for (index, (pair, connector)) in zip(pairs, connectors).enumerated() {
            let (s, t) = batch.featurePair(student: pair.student, teacher: pair.teacher, term: name)
            let weight = 1 / Float(1 << (pairs.count - 1 - index))  // 2^(i − n + 1)
            total = total + weight * boundaryLoss(connector(s), t)
            samples = s.shape[0]
        }
        return total / Float(samples) / 1000 * 3
    }
}

extension ActivationBoundaries: ConfigurableLossTerm {
    public static let configName = "ab"
    public static let configKeys = "pairs: [{student, teacher}] (features before the ReLU, such as layer1.0.preact), margin, initialisation: {epochs, optimizer}"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        var (pairs, connectors) = ([(student: String, teacher: String)](), [Module]())
        for pair in try context.featurePairs(entry) {
            let (s, t) = (pair.studentShape, pair.teacherShape)
            guard s.count == 4, t.count == 4 else {
                throw pair.entry.error("ab needs [N, C, H, W] features; the student's is \(s), the teacher's \(t)")
            }
            if s[1] == t[1] && s[2] == t[2] && s[3] == t[3] {
                connectors.append(Identity())
            } else if let connector = ConvolutionalRegressor(student: s, teacher: t, appliesReLU: false, using: &generator) {
                connectors.append(connector)
            } else {
                throw pair.entry.error("ab's connector maps the student's map to the teacher's size: it must be at least as large, or half as large; the student's is \(s), the teacher's \(t)")
            }
            pairs.append((pair.student, pair.teacher))
        }
        let margin: Float = try entry.value("margin", default: 1, in: 0...1e6)
        return Self(pairs: pairs, connectors: connectors, margin: margin,
                    initialisation: try StageSettings.read("initialisation", of: entry, context: context))
    }
}
