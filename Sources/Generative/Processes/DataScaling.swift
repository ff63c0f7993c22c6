import Configuration
import Tensors

/// The map between the data's values and the space a denoising network trains in: a range
/// the data lies in (images in [0, 1]) taken affinely to [−1, 1], where the processes' σ_d
/// of 0.5 fits; or the data as it is. A teacher and its students share it.
public struct DataScaling: Sendable, Equatable {
    /// The data's range, or nil to take the data as it is.
    public let range: ClosedRange<Float>?

    public init(range: ClosedRange<Float>? = nil) {
        precondition(range.map { $0.upperBound > $0.lowerBound } ?? true, "DataScaling: a data range of positive width")
        self.range = range
    }

    /// Data values in the training space.
    public func trainingValues(_ data: Tensor) -> Tensor {
        guard let range else { return data }
        return (data - range.lowerBound) * (2 / (range.upperBound - range.lowerBound)) - 1
    }

    /// Samples of the training space mapped back to the data's range.
    public func dataValues(_ samples: Tensor) -> Tensor {
        guard let range else { return samples }
        return (samples + 1) * (0.5 * (range.upperBound - range.lowerBound)) + range.lowerBound
    }

    /// The `data_range: [low, high]` key of a generative method's section (absent: none).
    public static func read(from entry: any ConfigEntry) throws -> DataScaling {
        guard let rangeEntry = try entry.optional("data_range") else { return DataScaling() }
        let bounds: [Float] = try entry.values("data_range", default: [])
        guard bounds.count == 2, bounds.allSatisfy(\.isFinite), bounds[0] < bounds[1] else {
            throw rangeEntry.error("data_range is [low, high] with low < high, found \(bounds)")
        }
        return DataScaling(range: bounds[0]...bounds[1])
    }
}
