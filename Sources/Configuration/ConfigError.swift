import Tensors

/// A problem with a configuration, in one line that names the file, the line, the key and
/// what was expected: `run.yaml:7: losses[1].name: unknown loss 'kdd' (valid: at, ce, …)`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The configuration file (as given by the user).
    public let file: String
    /// The line of the offending node, where the YAML parser knows it.
    public let line: Int?
    /// The key path, e.g. `training.optimizer.learning_rate` or `losses[1].name`; empty for
    /// the whole file.
    public let key: String
    public let message: String

    public init(file: String, line: Int?, key: String, message: String) {
        (self.file, self.line, self.key, self.message) = (file, line, key, message)
    }

    /// One line: text quoted from the file keeps its line breaks escaped.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(key.isEmpty ? "" : "\(key): ")\(message)".escapingControlCharacters
    }
}
