import Datasets
import Foundation
import NN
import Tensors

/// What a regression's evaluation measures, over every element of the targets: the mean
/// squared and absolute errors, the coefficient of determination R² (1 − SSE/SST, with SST
/// about each target dimension's mean), and — with a teacher — the mean squared difference
/// between student and teacher predictions.
public struct RegressionMetrics: EvaluationMetrics {
    public var meanSquaredError: Double
    public var meanAbsoluteError: Double
    public var rSquared: Double
    public var teacherMeanSquaredError: Double?
    public var count: Int

    public static let task = "regression"

    /// The metrics of `predictions` against `targets` (one shape, samples first).
    public init(predictions: Tensor, targets: Tensor, teacherPredictions: Tensor? = nil) {
        precondition(predictions.shape == targets.shape,
                     "RegressionMetrics: predictions \(predictions.shape) and targets \(targets.shape) differ in shape")
        let p = predictions.scalars, y = targets.scalars
        let n = targets.shape.first ?? 0, width = n == 0 ? 0 : y.count / n
        var squared = 0.0, absolute = 0.0
        for i in y.indices {
            let error = Double(p[i]) - Double(y[i])
            squared += error * error
            absolute += Swift.abs(error)
        }
        // The total sum of squares about each target dimension's own mean.
        var total = 0.0
        for j in 0..<width {
            let column = stride(from: j, to: y.count, by: width).map { Double(y[$0]) }
            let mean = column.reduce(0, +) / Double(max(n, 1))
            total += column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        }
        let elements = Double(max(y.count, 1))
        meanSquaredError = squared / elements
        meanAbsoluteError = absolute / elements
        rSquared = total > 0 ? 1 - squared / total : 0
        if let teacherPredictions {
            teacherMeanSquaredError = Double(Tensors.meanSquaredError(predictions, teacherPredictions).item)
        }
        count = n
    }

    public var namedValues: [String: Double] {
        var values = ["mse": meanSquaredError, "mae": meanAbsoluteError, "r2": rSquared]
        values["teacher_mse"] = teacherMeanSquaredError
        return values
    }

    public var headline: String { String(format: "val MSE %.4g  R² %.3f", meanSquaredError, rSquared) }

    public init?(_ record: EvaluationRecord) {
        guard record.task == Self.task, let mse = record["mse"], let mae = record["mae"], let r2 = record["r2"] else { return nil }
        (meanSquaredError, meanAbsoluteError, rSquared) = (mse, mae, r2)
        (teacherMeanSquaredError, count) = (record["teacher_mse"], record.count)
    }
}

/// A regressor's evaluation: the student's primary output against the data's targets (the
/// batch's labels, real-valued, in the output's shape), and against a teacher's.
public struct RegressionEvaluation: TaskEvaluation {
    public var batchSize: Int

    public init(batchSize: Int = 256) { self.batchSize = batchSize }

    public func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> RegressionMetrics {
        let predicted = try predictions(of: student, teacher: teacher, on: data, batchSize: batchSize) { outputs, _ in outputs.primary }
        guard predicted.student.shape == predicted.labels.shape else {
            throw DataError("evaluation", "the model's outputs \(predicted.student.shape) and the data's targets \(predicted.labels.shape) differ in shape")
        }
        if let teacherOutputs = predicted.teacher, teacherOutputs.shape != predicted.student.shape {
            throw DataError("evaluation", "the teacher's outputs \(teacherOutputs.shape) and the student's \(predicted.student.shape) differ in shape")
        }
        return RegressionMetrics(predictions: predicted.student, targets: predicted.labels, teacherPredictions: predicted.teacher)
    }
}
