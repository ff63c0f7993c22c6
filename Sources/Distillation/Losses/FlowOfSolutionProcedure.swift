import Configuration
import NN
import Tensors

/// The flow of solution procedure, FSP (Yim et al., CVPR 2017, "A Gift from Knowledge
/// Distillation: Fast Optimization, Network Minimization and Transfer Learning"): how a
/// network turns one layer's features into the next is summarised by their Gram matrix over
/// the positions,
///
///     G(F₁, F₂)ᵢⱼ = mean over positions of F₁[i] · F₂[j]   ([N, C₁, C₂]),
///
/// for each pair of consecutive layers, and the student's matrices match the teacher's by
/// their mean squared difference, summed over the pairs. As RepDistiller's `FSP` computes it
/// (`distiller_zoo/FSP.py`; checked in `Tests/DistillationTests/Fixtures/make_fixtures.py`):
/// the larger map of a pair is average-pooled to the smaller's size, and the two models'
/// layers must have equal channel counts.
///
/// Built from a config, the term trains in an initialisation stage of its own, as the paper's
/// first stage and RepDistiller's `init` have it: the student's layers that the matrices reach
/// (not its classifier) are fitted for `initialisation.epochs`, with the student in `eval()`
/// mode, and the main training then runs without the term.
public struct FlowOfSolutionProcedure: LossTerm {
    /// The layers, in order, of each model; consecutive layers form the pairs.
    public let studentLayers: [String], teacherLayers: [String]
    /// The initialisation stage's settings; nil for a term of the main training.
    public let initialisation: StageSettings?
    public var name: String { "fsp" }
    public var studentFeaturePaths: [String] { studentLayers }
    public var teacherFeaturePaths: [String] { teacherLayers }

    public init(studentLayers: [String], teacherLayers: [String], initialisation: StageSettings? = nil) {
        precondition(studentLayers.count == teacherLayers.count && studentLayers.count >= 2, "FSP needs two or more layers of each model, as many of each")
        (self.studentLayers, self.teacherLayers, self.initialisation) = (studentLayers, teacherLayers, initialisation)
    }

    public var stage: LossTermStage? {
        initialisation.map {
            LossTermStage(name: name, settings: $0, loss: Self(studentLayers: studentLayers, teacherLayers: teacherLayers),
                          trainsStudent: true, studentMode: .inference, role: .replacesTheTerm)
        }
    }

    /// The FSP matrices `[N, C_lower, C_upper]` of consecutive layers of `features`.
    func matrices(_ features: [Tensor]) -> [Tensor] {
        zip(features, features.dropFirst()).map { lower, upper in
            let (lower, upper) = pooledToTheSmallerSize(lower, upper)
            let positions = Float(lower.shape[2] * lower.shape[3])
            return matmul(lower.flattened(startAxis: 2), upper.flattened(startAxis: 2), transposeB: true) / positions
        }
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let pairs = zip(studentLayers, teacherLayers).map { batch.featurePair(student: $0, teacher: $1, term: name) }
        return zip(matrices(pairs.map(\.0)), matrices(pairs.map(\.1))).map { ($0 - $1).squared().mean() }.reduce(Tensor(0), +)
    }
}

extension FlowOfSolutionProcedure: ConfigurableLossTerm {
    public static let configName = "fsp"
    public static let configKeys = "student, teacher (lists of layer paths, in order), initialisation: {epochs, optimizer}"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let studentEntry = try entry.required("student", "the student's layers, in order"), teacherEntry = try entry.required("teacher", "the teacher's layers, in order")
        let (studentPaths, teacherPaths) = (try studentEntry.elements(), try teacherEntry.elements())
        guard studentPaths.count >= 2, studentPaths.count == teacherPaths.count else {
            throw entry.error("fsp needs two or more layers of each model, as many of each; found \(studentPaths.count) and \(teacherPaths.count)")
        }
        var (students, teachers) = ([String](), [String]())
        var (studentShapes, teacherShapes) = ([[Int]](), [[Int]]())
        for (studentPath, teacherPath) in zip(studentPaths, teacherPaths) {
            let s = try context.studentFeatureShape(at: studentPath), t = try context.teacherFeatureShape(at: teacherPath)
            guard s.count == 4, t.count == 4, s[1] == t[1] else {
                throw studentPath.error("fsp needs [N, C, H, W] features with as many channels in both models; the student's is \(s), the teacher's \(t)")
            }
            (students, teachers) = (students + [try studentPath.value()], teachers + [try teacherPath.value()])
            (studentShapes, teacherShapes) = (studentShapes + [s], teacherShapes + [t])
        }
        // One map of each consecutive pair is pooled down to the other's size.
        for (paths, shapes) in [(studentPaths, studentShapes), (teacherPaths, teacherShapes)] {
            for index in 1..<shapes.count where !poolableToOneSize(shapes[index - 1], shapes[index]) {
                throw paths[index].error("fsp pools one map of a pair to the other's size; \(shapes[index - 1]) and \(shapes[index]) are each larger one way")
            }
        }
        return Self(studentLayers: students, teacherLayers: teachers, initialisation: try StageSettings.read("initialisation", of: entry, context: context))
    }
}
