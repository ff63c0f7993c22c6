import Configuration
import NN

/// What a training method needs of a run, checked before it is built.
public enum MethodNeed: Hashable, Sendable {
    /// A `teacher:` section.
    case teacher
    /// No `teacher:` section (a method that trains alone).
    case noTeacher
    /// A `clean_teacher:` section besides the teacher (MTARD).
    case cleanTeacher
}

/// What a run's config declares besides the method, for a method's builder: the teachers,
/// and the model it trains.
public struct MethodContext {
    /// The `teacher:` section's teacher.
    public let teacher: (any Teacher)?
    /// The `clean_teacher:` section's teacher.
    public let cleanTeacher: (any Teacher)?
    /// The single teacher's model (nil without one, or for an ensemble or cached logits): a
    /// method that calls its teacher other than for outputs (a denoiser's estimates) reads it.
    public let teacherModel: Module?
    /// The model the run trains: a method whose student is wrapped (a consistency model
    /// around a denoising network) builds the wrapper around it.
    public let student: Module?
    /// Builds another instance of the single teacher's model with its checkpoint's weights
    /// (nil without one): a network a method trains from the teacher's start, such as DMD's
    /// fake score.
    public let teacherReplica: (() throws -> Module)?
    /// The shape of one training sample (without the batch axis).
    public let sampleShape: [Int]
    /// Builds the model a section inside the method's own describes, as a teacher's section
    /// does (`model`, its keys, a `checkpoint`), with the checkpoint's weights, frozen: ADD's
    /// feature network (nil where the caller builds no models).
    public let loadModel: ((any ConfigEntry) throws -> Module)?

    public init(teacher: (any Teacher)?, cleanTeacher: (any Teacher)?, teacherModel: Module? = nil, student: Module? = nil,
                teacherReplica: (() throws -> Module)? = nil, sampleShape: [Int] = [], loadModel: ((any ConfigEntry) throws -> Module)? = nil) {
        (self.teacher, self.cleanTeacher, self.teacherModel, self.student) = (teacher, cleanTeacher, teacherModel, student)
        (self.teacherReplica, self.sampleShape, self.loadModel) = (teacherReplica, sampleShape, loadModel)
    }
}

/// A training method a config's `method:` section can name (it replaces `losses:`): its
/// name, its keys, what it needs, and how it builds itself from the section, next to its
/// type. Each target lists its methods (`RobustnessRegistry.methods`); the config reader
/// joins the lists.
public protocol ConfigurableMethod: TrainingObjective {
    /// The name in configs (`pgd-at`).
    static var configName: String { get }
    /// The keys it reads besides `name`, as listed in the README.
    static var configKeys: String { get }
    /// What it needs of the run.
    static var needs: Set<MethodNeed> { get }
    /// The objective from its section, each key validated; the caller finishes the section.
    static func build(from entry: any ConfigEntry, context: MethodContext) throws -> Self
    /// How a run of this method is evaluated after each epoch; nil for the run's default
    /// (classification). A method whose student is not a classifier names its own.
    var evaluation: (any TaskEvaluation)? { get }
}

extension ConfigurableMethod {
    public var evaluation: (any TaskEvaluation)? { nil }
}
