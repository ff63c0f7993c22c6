import Tensors

/// A token sequence cut into windows for next-token prediction: sample `i` is the `context`
/// tokens from `i·stride` as its inputs `[T]` and the `context` tokens one further as its
/// labels `[T]` (each position's next token).
public struct TokenWindows: Dataset {
    public let tokens: [Int]
    public let context: Int
    public let stride: Int
    /// The vocabulary's size (the class count of every position).
    public let vocabularySize: Int

    /// Fails when the sequence is shorter than one window plus its next token, or a token is
    /// outside the vocabulary.
    public init(tokens: [Int], context: Int, stride: Int? = nil, vocabularySize: Int, source: String = "tokens") throws {
        guard context >= 1 else { throw DataError(source, "a context of \(context) tokens (expected at least 1)") }
        guard tokens.count > context else { throw DataError(source, "\(tokens.count) tokens do not fill one window of \(context) and its next token") }
        if let token = tokens.first(where: { !(0..<vocabularySize).contains($0) }) {
            throw DataError(source, "token \(token) is outside the vocabulary of \(vocabularySize)")
        }
        let stride = stride ?? context
        guard stride >= 1 else { throw DataError(source, "a stride of \(stride) tokens (expected at least 1)") }
        (self.tokens, self.context, self.stride, self.vocabularySize) = (tokens, context, stride, vocabularySize)
    }

    public var count: Int { (tokens.count - context - 1) / stride + 1 }
    public var sampleShape: [Int] { [context] }
    public var classNames: [String] { [] }

    public func batch(at indices: [Int]) -> Batch {
        var (inputs, labels) = ([Float](), [Float]())
        inputs.reserveCapacity(indices.count * context)
        labels.reserveCapacity(indices.count * context)
        for index in indices {
            let start = index * stride
            inputs += tokens[start..<(start + context)].map(Float.init)
            labels += tokens[(start + 1)...(start + context)].map(Float.init)
        }
        return Batch(inputs: Tensor(inputs, shape: [indices.count, context]), labels: Tensor(labels, shape: [indices.count, context]))
    }

    /// nanoGPT's split: the first `1 − validationFraction` of the tokens to train on, the
    /// rest to validate, each cut into windows.
    public static func split(_ tokens: [Int], context: Int, stride: Int? = nil, vocabularySize: Int, validationFraction: Double = 0.1,
                             source: String = "tokens") throws -> (train: TokenWindows, validation: TokenWindows) {
        guard validationFraction > 0 && validationFraction < 1 else {
            throw DataError(source, "a validation fraction of \(validationFraction) (expected one in (0, 1))")
        }
        let cut = Int(Double(tokens.count) * (1 - validationFraction))
        return (try TokenWindows(tokens: Array(tokens[..<cut]), context: context, stride: stride, vocabularySize: vocabularySize, source: "\(source) (train)"),
                try TokenWindows(tokens: Array(tokens[cut...]), context: context, stride: stride, vocabularySize: vocabularySize, source: "\(source) (validation)"))
    }
}
