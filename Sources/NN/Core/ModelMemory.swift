import Configuration
import Foundation
import Tensors

extension ModelRequest {
    /// Bytes training holds for each parameter: the Float32 weight, its gradient and the
    /// optimizer's two moments (Adam's; SGD with momentum holds one).
    public static let trainingBytesPerParameter = 16

    /// Refuses, before any weight is allocated, a model of `parameterShapes` whose training
    /// state cannot fit in this machine's memory, saying how much it needs; a shape too large
    /// to count is refused alike. An allocation that large would end the process instead.
    public func requireMemory(forParameterShapes parameterShapes: [[Int]]) throws {
        let available = ProcessInfo.processInfo.physicalMemory
        let parameters = checkedElementCount(ofShapes: parameterShapes)
        let bytes = parameters.flatMap { count -> Int? in
            let (product, overflow) = count.multipliedReportingOverflow(by: Self.trainingBytesPerParameter)
            return overflow ? nil : product
        }
        guard let bytes, UInt64(bytes) <= available else {
            let need = bytes.map { "about \(Self.gibibytes(UInt64($0))) GiB to train its \(parameters ?? 0) parameters" }
                ?? "more memory than can be addressed to train its parameters"
            throw section.error("\(name) as configured needs \(need) (\(Self.trainingBytesPerParameter) bytes each: weight, gradient, optimizer state); this machine has \(Self.gibibytes(available)) GiB")
        }
    }

    private static func gibibytes(_ bytes: UInt64) -> String {
        String(format: "%.1f", Double(bytes) / Double(1 << 30))
    }
}
