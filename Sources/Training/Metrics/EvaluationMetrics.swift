import Datasets
import NN

/// What an evaluation of a trained model reports: the metrics of classification, of
/// regression, and later of samples, graphs and language models. Each epoch's record and
/// the run's summary store them as an `EvaluationRecord`.
public protocol EvaluationMetrics: Equatable, Sendable {
    /// The task's name in records (`classification`, `regression`).
    static var task: String { get }
    /// Every figure by name (`top1`, `loss`, …), as `metrics.jsonl` and run comparisons read them.
    var namedValues: [String: Double] { get }
    /// The number of samples evaluated.
    var count: Int { get }
    /// The figure an epoch's progress line shows, `val top-1 97.21%`.
    var headline: String { get }
    /// The metrics a record holds, or nil when it is another task's or lacks a figure.
    init?(_ record: EvaluationRecord)
}

extension EvaluationMetrics {
    /// The metrics as a record: task, count and named values.
    public var record: EvaluationRecord { EvaluationRecord(task: Self.task, count: count, values: namedValues) }
}

/// How a task evaluates a student on labeled data: the trainer calls it after each epoch
/// (`TrainingOptions.evaluation`), and records what it returns.
public protocol TaskEvaluation {
    associatedtype Metrics: EvaluationMetrics
    /// The metrics of `student` (in inference mode) on `data`, with `teacher` for the
    /// figures that compare the two (agreement).
    func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> Metrics
}

/// One evaluation as `metrics.jsonl` and `summary.json` store it: a flat JSON object with
/// the task, the sample count and each named value,
/// `{"task": "classification", "count": 359, "top1": 0.97, "loss": 0.11, …}`.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    public var task: String
    public var count: Int
    public var values: [String: Double]

    public init(task: String, count: Int, values: [String: Double]) {
        precondition(values["task"] == nil && values["count"] == nil, "EvaluationRecord: 'task' and 'count' are not value names")
        (self.task, self.count, self.values) = (task, count, values)
    }

    /// The value named `name` (`record["top1"]`), or nil.
    public subscript(name: String) -> Double? { values[name] }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The keys of `ClassificationMetrics` as records stored them before records had a task:
    /// old checkpoints' histories and summaries still read.
    private static let legacyClassificationKeys = ["top1": "top1", "top5": "top5", "expectedCalibrationError": "ece",
                                                   "loss": "loss", "teacherAgreement": "teacher_agreement"]

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        count = try container.decode(Int.self, forKey: Key("count"))
        values = [:]
        if container.contains(Key("task")) {
            task = try container.decode(String.self, forKey: Key("task"))
            for key in container.allKeys where key.stringValue != "task" && key.stringValue != "count" {
                values[key.stringValue] = try container.decode(Double.self, forKey: key)
            }
        } else {
            task = ClassificationMetrics.task
            for (old, name) in Self.legacyClassificationKeys {
                values[name] = try container.decodeIfPresent(Double.self, forKey: Key(old))
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(task, forKey: Key("task"))
        try container.encode(count, forKey: Key("count"))
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { try container.encode(value, forKey: Key(name)) }
    }
}
