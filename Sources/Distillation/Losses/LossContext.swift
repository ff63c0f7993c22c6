import Configuration
import Datasets
import NN
import Optim
import Tensors
import Training

/// What a loss term's builder may refer to: the models whose features it reads and their
/// feature shapes (found by one forward pass on two training samples, so that a wrong path
/// or an incompatible pair fails before training), and the facts of the run it checks
/// against.
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
    /// Whether the training data has labels, and whether some samples have none
    /// (semi-supervised data).
    public let hasLabels: Bool
    public let hasUnlabeledSamples: Bool
    /// Reads an optimizer entry (`{name, learning_rate, …}`) for a term that trains a module
    /// with an optimizer of its own; the optimizer and its learning rate.
    public let readOptimizer: (any ConfigEntry) throws -> (optimizer: Optimizer, learningRate: Float)

    public init(student: Module, teacher: (any Teacher)?, sampleBatch: Batch, trainingSamples: Int, classes: Int,
                hasLabels: Bool = true, hasUnlabeledSamples: Bool = false,
                readOptimizer: @escaping (any ConfigEntry) throws -> (optimizer: Optimizer, learningRate: Float)) {
        (self.student, self.teacher, self.sampleBatch) = (student, teacher, sampleBatch)
        (self.trainingSamples, self.classes) = (trainingSamples, classes)
        (self.hasLabels, self.hasUnlabeledSamples, self.readOptimizer) = (hasLabels, hasUnlabeledSamples, readOptimizer)
    }

    public var hasTeacher: Bool { teacher != nil }

    /// The shape of the student's feature at the path in `entry` (for the sample batch), or
    /// an error at `entry` naming the valid paths.
    public func studentFeatureShape(at entry: any ConfigEntry) throws -> [Int] {
        let wasTraining = student.isTraining
        student.eval()
        defer { student.train(wasTraining) }
        return try featureShape(role: "student", at: entry) { path, batch in
            try withoutGradients { try student.capturingFeatures([path]) { try student.outputs(for: batch) } }.features
        }
    }

    /// The shape of the teacher's feature at the path in `entry`.
    public func teacherFeatureShape(at entry: any ConfigEntry) throws -> [Int] {
        guard let teacher else { throw entry.error("this run has no teacher") }
        return try featureShape(role: "teacher", at: entry) { path, batch in try teacher.outputs(for: batch, featurePaths: [path]).features }
    }

    /// The student and teacher module paths a feature-matching term names (`student:` and
    /// `teacher:` in `entry`), with their feature shapes.
    public func featurePair(_ entry: any ConfigEntry) throws -> (student: String, teacher: String, studentShape: [Int], teacherShape: [Int]) {
        let studentEntry = try entry.required("student", "a module path of the student")
        let teacherEntry = try entry.required("teacher", "a module path of the teacher")
        return (try studentEntry.value(), try teacherEntry.value(),
                try studentFeatureShape(at: studentEntry), try teacherFeatureShape(at: teacherEntry))
    }

    /// The `pairs: [{student, teacher}]` of module paths a term over several layer pairs
    /// names (AT, NST), each with its feature shapes and its entry (for errors about the pair).
    public func featurePairs(_ entry: any ConfigEntry) throws -> [(student: String, teacher: String, studentShape: [Int], teacherShape: [Int], entry: any ConfigEntry)] {
        let pairs = try entry.required("pairs", "a list of {student, teacher} module paths").elements()
        guard !pairs.isEmpty else { throw try entry.required("pairs").error("expected at least one {student, teacher} pair") }
        return try pairs.map { pair in
            let (student, teacher, s, t) = try featurePair(pair)
            try pair.finish()
            return (student, teacher, s, t, pair)
        }
    }

    private func featureShape(role: String, at entry: any ConfigEntry, _ features: (String, Batch) throws -> [String: Tensor]) throws -> [Int] {
        let path: String = try entry.value()
        do {
            guard let feature = try features(path, sampleBatch)[path] else {
                throw entry.error("the \(role)'s module '\(path)' produced no output")
            }
            return feature.shape
        } catch let error as FeatureTapError {
            throw entry.error("no module '\(path)' in the \(role) (valid: \(error.validPaths.prefix(40).joined(separator: ", "))\(error.validPaths.count > 40 ? ", …" : ""))")
        } catch let error as ConfigError {
            throw error
        } catch {
            throw entry.error("\(error)")
        }
    }
}
