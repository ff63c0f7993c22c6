import Tensors

/// A data file or data set that cannot be used, naming the file (or data set) and what
/// was wrong or expected.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file or data set at fault.
    public let source: String
    /// What was wrong, and what was expected.
    public let reason: String

    public init(_ source: String, _ reason: String) {
        self.source = source
        self.reason = reason
    }

    /// One line: text quoted from the file keeps its line breaks escaped.
    public var description: String { "\(source): \(reason)".escapingControlCharacters }
}
