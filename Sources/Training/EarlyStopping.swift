/// Model selection on the validation data: the trainer keeps the weights of the epoch whose
/// validation `metric` was best, stops once `patience` epochs have passed without a better
/// one, and leaves the student holding the kept weights.
///
/// GCN's and GAT's recipes train this way (the GCN paper stops when the validation loss has
/// not fallen for 10 epochs; GAT's code keeps the best of 100), as does Keras's
/// `EarlyStopping(restore_best_weights=True)`.
public struct EarlyStopping: Equatable, Sendable {
    /// Whether a larger or a smaller value of the metric is better.
    public enum Goal: String, Equatable, Sendable, CaseIterable {
        case maximize = "max"
        case minimize = "min"
    }

    /// A named value of the evaluation's record (`top1`, `loss`, …).
    public var metric: String
    public var goal: Goal
    /// Epochs without improvement after which training stops; nil trains every epoch and
    /// still keeps the best.
    public var patience: Int?
    /// How much a value must beat the best so far by to count as better.
    public var minimumImprovement: Double

    public init(metric: String = "top1", goal: Goal? = nil, patience: Int? = nil, minimumImprovement: Double = 0) {
        precondition(patience.map { $0 >= 1 } ?? true && minimumImprovement >= 0, "EarlyStopping: patience ≥ 1 and minimumImprovement ≥ 0")
        (self.metric, self.patience, self.minimumImprovement) = (metric, patience, minimumImprovement)
        self.goal = goal ?? Self.defaultGoal(for: metric)
    }

    /// Accuracy-like figures are maximised, every other (losses, errors, distances) minimised.
    public static func defaultGoal(for metric: String) -> Goal {
        ["top1", "top5", "teacher_agreement", "accuracy", "precision", "recall"].contains(metric) ? .maximize : .minimize
    }

    /// Whether `value` beats `best` (any finite value beats none).
    public func improves(_ value: Double, over best: Double?) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        switch goal {
        case .maximize: return value > best + minimumImprovement
        case .minimize: return value < best - minimumImprovement
        }
    }

    /// The epoch (as numbered in the records) whose value was best in `history`, and the value.
    public func best(in history: [EpochRecord]) -> (epoch: Int, value: Double)? {
        var best: (epoch: Int, value: Double)?
        for record in history {
            if let value = record.validation?[metric], improves(value, over: best?.value) { best = (record.epoch, value) }
        }
        return best
    }

    /// Whether `history` has run `patience` epochs past its best.
    public func shouldStop(after history: [EpochRecord]) -> Bool {
        guard let patience, let last = history.last else { return false }
        return last.epoch - (best(in: history)?.epoch ?? 0) >= patience
    }
}
