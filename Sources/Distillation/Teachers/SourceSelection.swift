import Datasets
import Foundation
import NN
import Tensors
import Training

/// How well a source model (trained on another task) suits a target task, measured on the
/// target's few labeled samples from the source's outputs alone — no source data, no
/// training (Borup et al., 2023, "Distilling from Similar Tasks for Transfer Learning on a
/// Budget", which compares such task-similarity metrics). Higher is more similar.
public enum TaskSimilarity: String, Sendable, CaseIterable {
    /// LEEP (Nguyen et al., 2020), from the source's pseudo-labels (its softmax over its own
    /// classes): the average log-likelihood of the target labels under the "expected
    /// empirical predictor" `P(y | x) = Σ_z P̂(y | z)·θ(x)_z`, where `P̂(y | z)` is the empirical
    /// conditional of target labels given source classes. At most 0; log(1/classes) is chance.
    case leep
    /// Leave-one-out 1-nearest-neighbour accuracy (cosine similarity) of the target labels in
    /// the source's feature space: how well the source's features already separate the target
    /// classes.
    case nearestNeighbor = "knn"

    /// The similarity of one source to the labeled target data.
    /// - Parameters:
    ///   - featurePath: the source module whose output is the feature (for `.nearestNeighbor`).
    public func score<Data: Dataset>(of source: Module, featurePath: String, on target: Data) throws -> Double {
        let batch = target.all()
        guard let labels = batch.labels?.integerScalars else { throw DataError("task similarity", "the target data needs labels") }
        source.eval()
        switch self {
        case .leep:
            let probabilities = try withoutGradients {
                try source.outputs(for: batch).required(ModelOutputs.logitsName, of: "the source model").softmax(axis: 1)
            }
            return Self.leep(probabilities: probabilities, labels: labels)
        case .nearestNeighbor:
            let (_, features) = try withoutGradients { try source.capturingFeatures([featurePath]) { try source.outputs(for: batch) } }
            return Self.nearestNeighborAccuracy(features: features[featurePath]!.flattened(startAxis: 1), labels: labels)
        }
    }

    static func leep(probabilities: Tensor, labels: [Int]) -> Double {
        let (n, sourceClasses) = (probabilities.shape[0], probabilities.shape[1])
        let targetClasses = (labels.max() ?? 0) + 1
        let theta = probabilities.scalars.map(Double.init)
        var joint = [Double](repeating: 0, count: targetClasses * sourceClasses)
        for i in 0..<n {
            for z in 0..<sourceClasses { joint[labels[i] * sourceClasses + z] += theta[i * sourceClasses + z] / Double(n) }
        }
        var marginal = [Double](repeating: 0, count: sourceClasses)
        for y in 0..<targetClasses { for z in 0..<sourceClasses { marginal[z] += joint[y * sourceClasses + z] } }
        var total = 0.0
        for i in 0..<n {
            var likelihood = 0.0
            for z in 0..<sourceClasses where marginal[z] > 0 {
                likelihood += joint[labels[i] * sourceClasses + z] / marginal[z] * theta[i * sourceClasses + z]
            }
            total += log(max(likelihood, 1e-300))
        }
        return total / Double(n)
    }

    static func nearestNeighborAccuracy(features: Tensor, labels: [Int]) -> Double {
        let unit = features / maximum(features.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
        let similarity = matmul(unit, unit, transposeB: true).scalars
        let n = labels.count
        var correct = 0
        for i in 0..<n {
            var (best, bestSimilarity) = (-1, -Float.infinity)
            for j in 0..<n where j != i && similarity[i * n + j] > bestSimilarity { (best, bestSimilarity) = (j, similarity[i * n + j]) }
            if best >= 0 && labels[best] == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(max(n, 1))
    }
}

/// Choosing and weighting source models for a target task by their task similarity:
/// DistillNearest distills from the single most similar source; DistillWeighted from all of
/// them, each weighted by `softmax(score / temperature)` (Borup et al., 2023). Where the
/// sources share the target's classes, `EnsembleTeacher(sources, weights: ranking.weights(…))`
/// is DistillWeighted and `ModelTeacher(sources[ranking.nearest])` DistillNearest.
public struct SourceRanking {
    public let scores: [Double]

    /// Scores every source (a model and the path of its feature module) on the labeled target data.
    public init<Data: Dataset>(sources: [(model: Module, featurePath: String)], target: Data, similarity: TaskSimilarity) throws {
        scores = try sources.map { try similarity.score(of: $0.model, featurePath: $0.featurePath, on: target) }
    }

    /// DistillNearest's choice: the index of the most similar source.
    public var nearest: Int { scores.indices.max { scores[$0] < scores[$1] }! }

    /// DistillWeighted's weights, `softmax(score / temperature)`: a low temperature approaches
    /// DistillNearest, a high one the plain average.
    public func weights(temperature: Double) -> [Float] {
        let top = scores.max() ?? 0
        let exponentials = scores.map { exp(($0 - top) / temperature) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Float($0 / total) }
    }
}
