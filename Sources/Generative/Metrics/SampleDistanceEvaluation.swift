import Datasets
import NN
import Tensors
import Training

/// A generator's samples against held-out points after each epoch: the sliced Wasserstein
/// distance, the figure of a curve of quality against training steps (DisBack's against
/// DMD's). For low-dimensional data, where sampling 2,000 points costs little.
public struct SampleDistanceMetrics: EvaluationMetrics {
    public var slicedWasserstein: Double
    public var count: Int

    public static let task = "samples"
    public var namedValues: [String: Double] { ["swd": slicedWasserstein] }
    public var headline: String { String(format: "val SWD %.4f", slicedWasserstein) }

    public init(slicedWasserstein: Double, count: Int) { (self.slicedWasserstein, self.count) = (slicedWasserstein, count) }

    public init?(_ record: EvaluationRecord) {
        guard record.task == Self.task, let distance = record["swd"] else { return nil }
        (slicedWasserstein, count) = (distance, record.count)
    }
}

/// Draws `count` samples from the student network by `draw` (with a fixed seed, so that
/// epochs compare) and measures them against the first `count` validation points.
public struct SampleDistanceEvaluation: TaskEvaluation {
    public let draw: (any DenoisingNetwork, Int, inout RandomGenerator) -> Tensor
    public var count = 2000
    public var seed: UInt64 = 13

    public init(draw: @escaping (any DenoisingNetwork, Int, inout RandomGenerator) -> Tensor) { self.draw = draw }

    public func evaluate<Data: Dataset>(student: Module, teacher: (any Teacher)?, on data: Data) throws -> SampleDistanceMetrics {
        guard let network = student as? any DenoisingNetwork else {
            throw TrainerSetupError("sample distances evaluate a denoising network; the student is a \(type(of: student))")
        }
        let reference = data.batch(at: Array(0..<min(count, data.count))).inputs
        var generator = RandomGenerator(seed: seed)
        let samples = draw(network, count, &generator).reshaped([count, -1])
        return SampleDistanceMetrics(slicedWasserstein: PointCloudMetrics.slicedWasserstein(samples, reference.reshaped([reference.shape[0], -1]), projections: 128),
                                     count: reference.shape[0])
    }
}
