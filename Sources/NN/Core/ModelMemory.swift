import Configuration
import Foundation
import Tensors

extension ModelRequest {
    /// Bytes training holds for each parameter: the Float32 weight, its gradient and the
    /// optimizer's two moments (Adam's; SGD with momentum holds one).
    public static let trainingBytesPerParameter = 16
    /// Bytes each activation value takes in training: the Float32 value, kept for the
    /// backward pass, and its gradient.
    public static let trainingBytesPerActivation = 8

    /// Refuses, before any weight is allocated, a model whose memory cannot fit in this
    /// machine's, saying how much it needs: its parameters (`parameterShapes`; weights alone
    /// for a model that is only run) and, for one that is trained, the activations of a batch
    /// (`activationShapes` per sample, their elements counted, times `batchSize`). A size too
    /// large to count is refused alike. An allocation that large would end the process instead.
    public func requireMemory(forParameterShapes parameterShapes: [[Int]], activationShapes: [[Int]] = []) throws {
        let available = ProcessInfo.processInfo.physicalMemory
        // Each size is nil once it no longer fits in an Int.
        let parameters = checkedElementCount(ofShapes: parameterShapes)
        let parameterBytes = parameters.flatMap { checkedByteCount(shape: [$0], elementSize: isTrained ? Self.trainingBytesPerParameter : 4) }
        let activationBytes = isTrained
            ? checkedElementCount(ofShapes: activationShapes).flatMap { checkedByteCount(shape: [batchSize, $0], elementSize: Self.trainingBytesPerActivation) }
            : 0
        let total = parameterBytes.flatMap { weights in activationBytes.flatMap { checkedElementCount(ofShapes: [[weights], [$0]]) } }
        if let total, UInt64(total) <= available { return }
        throw tooLarge(total, parameters, activationBytes, available)
    }

    private func tooLarge(_ total: Int?, _ parameters: Int?, _ activationBytes: Int?, _ available: UInt64) -> ConfigError {
        let parts = [
            parameters.map { "\($0) parameters (\(isTrained ? Self.trainingBytesPerParameter : 4) bytes each\(isTrained ? ": weight, gradient, optimizer state" : ""))" },
            activationBytes.flatMap { $0 > 0 ? "activations of batches of \(batchSize) (\(Self.gibibytes(UInt64($0))) GiB)" : nil },
        ].compactMap { $0 }
        let need = total.map { "about \(Self.gibibytes(UInt64($0))) GiB" } ?? "more memory than can be addressed"
        return section.error("\(name) as configured needs \(need)\(parts.isEmpty ? "" : " for " + parts.joined(separator: " and ")); this machine has \(Self.gibibytes(available)) GiB")
    }

    private static func gibibytes(_ bytes: UInt64) -> String {
        String(format: "%.1f", Double(bytes) / Double(1 << 30))
    }
}
