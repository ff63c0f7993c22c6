import Tensors

/// Checks on data as it is read, so that one bad value in a file becomes an error naming the
/// file and the sample, not a model full of NaN or a crash deep inside a loss.
public enum DataChecks {
    /// Throws, naming `source` and the first sample, when `samples` (`[N, …]`) holds NaN or ±∞.
    public static func requireFinite(_ samples: Tensor, source: String) throws {
        let perSample = samples.rank == 0 ? 1 : samples.shape.dropFirst().reduce(1, *)
        let position = samples.withUnsafeBufferPointer { values in values.firstIndex { !$0.isFinite } }
        guard let position else { return }
        let value = samples.withUnsafeBufferPointer { $0[position] }
        throw DataError(source, "sample \(perSample == 0 ? 0 : position / perSample) holds \(value); every value must be finite")
    }

    /// Throws, naming `source` and the first bad sample, unless every label of `labels`
    /// (`[N]`) is a whole number in `0..<classCount`.
    public static func requireClassLabels(_ labels: Tensor, classCount: Int, source: String) throws {
        guard labels.rank == 1 else { throw DataError(source, "labels of shape \(labels.shape) are not one class index per sample [N]") }
        let bad = labels.withUnsafeBufferPointer { values in
            values.enumerated().first { !($0.element.rounded() == $0.element && $0.element >= 0 && $0.element < Float(classCount)) }
        }
        guard let (index, label) = bad else { return }
        throw DataError(source, "sample \(index) has label \(label); labels must be class indices 0…\(classCount - 1)")
    }
}
