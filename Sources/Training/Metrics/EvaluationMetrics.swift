/// What an evaluation of a trained model reports: the metrics of classification, and later
/// of samples, graphs and language models, written into each epoch's record and the run's
/// summary.
public protocol EvaluationMetrics: Codable, Equatable, Sendable {
    /// Every figure by name (`top1`, `loss`, …), as logs and run comparisons read them.
    var namedValues: [String: Double] { get }
    /// The figure an epoch's progress line shows, `val top-1 97.21%`.
    var headline: String { get }
}
